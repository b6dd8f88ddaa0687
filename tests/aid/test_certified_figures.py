"""Only certified sales count as aid, everywhere the same: the impact page, the report's default view, the
statements' certified share and ``reconcile_ledger``'s split agree to the fen; uncertified sales are always
shown apart; the ledger as a whole still reconciles with the money, and a tampered entry is still caught.

The ledger of ``mixed`` (the oil coop is certified; the orchard and the farm are not):
- online order: 2 oil 76.00 (certified) + 1 cabbage 12.90 (uncertified), then 1 oil refunded (-38.00,
  certified: the refund carries its sale's certificate);
- Decheng counter: 1 oil 38.00 (certified) + 2 oranges 50.00 (uncertified).
Certified: 76.00 - 38.00 + 38.00 = 76.00; uncertified: 12.90 + 50.00 = 62.90; all: 138.90.
"""

import csv
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from catalog.certificates import revoke_certificate
from catalog.models import Certificate
from orders.aid import impact_figures, mark_impact_stale, reconcile, statement
from orders.models import AidLedgerEntry
from orders.payments.services import refund_order
from tests.aid.helpers import certify, order_of, pay, sell_at_counter

REPORT = reverse("aid:report")
STATEMENT = reverse("aid:statement")
CERTIFIED, UNCERTIFIED, ALL = 7600, 6290, 13890


@pytest.fixture
def mixed(prog, operator):
    (certificate,) = certify(prog.oil_coop)
    order = pay(order_of((prog.oil, 2), (prog.cabbage, 1)))
    refund_order(order, actor=operator, reason="破损", lines={order.lines.get(variant=prog.oil).pk: 1})
    sell_at_counter(prog.decheng_counter, (prog.oil, 1), (prog.orange, 2))
    mark_impact_stale()
    prog.certificate = certificate
    prog.order = order
    return prog


@pytest.fixture(autouse=True)
def english_admin(monkeypatch):
    """The back office speaks each user's language; these tests log in users who chose English."""
    from django.test import Client
    from wagtail.users.models import UserProfile

    login = Client.force_login

    def force_login(self, user, backend=None):
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = "en"
        profile.save()
        return login(self, user, backend)

    monkeypatch.setattr(Client, "force_login", force_login)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def reconcile_output() -> str:
    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)
    return out.getvalue()


def test_impact_report_statements_and_reconciliation_give_the_same_certified_figure(
    client, operator, mixed, impact_page
):
    # The impact page: the certified total, the uncertified sales one line apart.
    figures = impact_figures()
    assert (figures.total, figures.uncertified) == (CERTIFIED, UNCERTIFIED)
    assert (figures.orders, figures.counter_sales, figures.merchants, figures.households) == (1, 1, 1, 120)
    assert [row.amount for row in figures.top_products] == [CERTIFIED]
    html = client.get(impact_page.url).content.decode()
    assert 'data-figure="total">¥76.00<' in html and 'data-figure="uncertified">¥62.90<' in html

    # The report's default view: certified sales only, the uncertified ones apart.
    client.force_login(operator)
    html = client.get(REPORT, {"group_by": "merchant"}).content.decode()
    assert 'data-total="net">¥76.00<' in html
    rows_table = re.search(r'<table class="listing aid-figures">.*?</table>', html, re.S).group(0)
    assert "秀山油茶合作社" in rows_table and "隘口果园" not in rows_table and "官庄蔬菜园" not in rows_table
    assert '<tr data-apart="uncertified">' in html and 'data-apart-total="net">¥62.90<' in html
    rows = csv_rows(client.get(REPORT, {"group_by": "channel", "export": "csv"}))
    assert rows[1:] == [
        ["Counter sale", "38.00", "0.00", "38.00", "1"],  # equal nets: by label
        ["Online shop", "76.00", "38.00", "38.00", "2"],
        ["Total", "114.00", "38.00", "76.00", "3"],
        ["Uncertified product sales (not counted as aid)", "62.90", "0.00", "62.90", "2"],
    ]

    # The statements keep every sale (money owed) and show the certified share beside it.
    today = timezone.localdate()
    statements = [
        statement(m, today, today, fee_basis_points=0) for m in (mixed.oil_coop, mixed.brocade, mixed.veg_farm)
    ]
    assert sum(s.certified_net for s in statements) == CERTIFIED
    assert sum(s.uncertified_net for s in statements) == UNCERTIFIED
    assert sum(s.net for s in statements) == ALL
    page = client.get(STATEMENT, {"merchant": mixed.oil_coop.pk, "date_from": today, "date_to": today})
    assert 'data-total="certified">¥76.00<' in page.content.decode()

    # reconcile_ledger: the whole ledger balances with the money, and its split gives the same figure.
    result = reconcile()
    assert result.balanced and (result.certified, result.uncertified) == (CERTIFIED, UNCERTIFIED)
    output = reconcile_output()
    assert "aid:    certified 76.00 + uncertified 62.90 = 138.90" in output
    assert "= 138.90" in output.split("money:")[1] and "balanced" in output


def test_the_reports_other_views_split_the_same_sales(client, operator, mixed):
    client.force_login(operator)
    html = client.get(REPORT, {"group_by": "merchant", "certification": "uncertified"}).content.decode()
    assert 'data-total="net">¥62.90<' in html
    assert '<tr data-apart="certified">' in html and 'data-apart-total="net">¥76.00<' in html

    rows = csv_rows(client.get(REPORT, {"group_by": "month", "certification": "all", "export": "csv"}))
    assert rows[-3:] == [
        ["Total", "176.90", "38.00", "138.90", "5"],
        ["Certified sales (counted as aid)", "114.00", "38.00", "76.00", "3"],
        ["Uncertified product sales (not counted as aid)", "62.90", "0.00", "62.90", "2"],
    ]
    # "All sales" is the statements' total: money owed covers every sale.
    today = timezone.localdate()
    owed = sum(
        statement(m, today, today, fee_basis_points=0).net for m in (mixed.oil_coop, mixed.brocade, mixed.veg_farm)
    )
    assert owed == ALL


def test_a_merchant_sees_its_uncertified_sales_apart_from_its_aid(client, mixed):
    from tests import factories

    member = factories.make_merchant_user(mixed.brocade)
    client.force_login(member)
    html = client.get(REPORT, {"group_by": "merchant"}).content.decode()
    assert 'data-total="net">¥0.00<' in html and 'data-apart-total="net">¥50.00<' in html


def test_revoking_the_certificate_later_changes_no_past_figure(mixed, operator):
    revoke_certificate(mixed.certificate, actor=operator, reason="认定被撤销")
    Certificate.objects.filter(pk=mixed.certificate.pk).update(number="XSXF-CHANGED")
    mark_impact_stale()
    assert (impact_figures().total, impact_figures().uncertified) == (CERTIFIED, UNCERTIFIED)

    # Sold after the revocation: uncertified, the aid figure does not move.
    pay(order_of((mixed.oil, 3)))
    mark_impact_stale()
    assert (impact_figures().total, impact_figures().uncertified) == (CERTIFIED, UNCERTIFIED + 3 * 3800)
    result = reconcile()
    assert result.balanced and (result.certified, result.uncertified) == (CERTIFIED, UNCERTIFIED + 3 * 3800)


def test_reconcile_ledger_still_flags_a_tampered_certified_entry(mixed):
    credit = AidLedgerEntry.objects.get(order=mixed.order, product=mixed.oil.product, kind="order_paid")
    with connection.cursor() as cursor:  # the ledger refuses updates: bypass the guard, as a tamperer would
        cursor.execute("SET session_replication_role = replica")
        AidLedgerEntry.objects.filter(pk=credit.pk).update(amount=credit.amount + 100)
        cursor.execute("SET session_replication_role = DEFAULT")

    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("reconcile_ledger", stdout=out)
    assert error.value.returncode == 1
    output = out.getvalue()
    assert f"MISMATCH {mixed.order.number}: ledger 51.90, expected 50.90" in output
    assert "aid:    certified 77.00 + uncertified 62.90 = 139.90" in output


def test_the_merchants_month_sales_panel_opens_the_report_of_all_its_sales(client, mixed, rf):
    """The dashboard's "This month's sales" counts every sale (it does not say "aid"); its link opens the report
    of all sales, whose total is the panel's figure."""
    from orders.dashboard.panels import MonthSalesPanel
    from orders.dashboard.selectors import month_sales
    from tests import factories

    member = factories.make_merchant_user(mixed.brocade)  # two oranges at the counter, uncertified
    request = rf.get("/admin/")
    request.user = member
    url = MonthSalesPanel(request).more_url()
    assert "certification=all" in url
    client.force_login(member)
    html = client.get(url).content.decode()
    assert month_sales(member).amount == 5000
    assert 'data-total="net">¥50.00<' in html  # the default view (certified only) would say ¥0.00


def test_sales_before_and_after_the_certificate_expires_are_certified_and_uncertified(mixed):
    """The issue's acceptance: a sale made while the certificate was valid stays certified after it expired; a
    sale made after it expired is uncertified; the figures before the expiry do not move."""
    yesterday = timezone.localdate() - timezone.timedelta(days=1)
    Certificate.objects.filter(pk=mixed.certificate.pk).update(valid_until=yesterday)  # it ran out yesterday
    mark_impact_stale()
    assert (impact_figures().total, impact_figures().uncertified) == (CERTIFIED, UNCERTIFIED)

    after = pay(order_of((mixed.oil, 1)))
    mark_impact_stale()
    assert (impact_figures().total, impact_figures().uncertified) == (CERTIFIED, UNCERTIFIED + 3800)
    assert AidLedgerEntry.objects.get(order=after).certificate_number == ""
    assert AidLedgerEntry.objects.filter(order=mixed.order, certificate_number=mixed.certificate.number).exists()
