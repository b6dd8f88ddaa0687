"""Reports, exports, statements and settlements in the back office: operators see all, merchants their own."""

import csv
import io
import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core import roles
from orders.aid import unsettled_entries
from orders.models import AidLedgerEntry, AidSettings, Settlement
from tests import factories
from tests.aid.helpers import certify, order_of, pay, sell_at_counter

REPORT = reverse("aid:report")
STATEMENT = reverse("aid:statement")


@pytest.fixture
def sales(prog):
    """Oil coop: 2 x 38.00 online + 1 x 38.00 at the Decheng counter; orchard: 3 x 25.00 online. Both
    merchants are certified, so every sale counts as aid (the reports' default)."""
    certify(prog.oil_coop, prog.brocade)
    pay(order_of((prog.oil, 2)))
    pay(order_of((prog.orange, 3)))
    sell_at_counter(prog.decheng_counter, (prog.oil, 1))
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


def backdate_all(days: int) -> None:
    """Move every entry ``days`` back (the ledger refuses updates, so the guard is bypassed for the test)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        AidLedgerEntry.objects.update(created_at=timezone.now() - timedelta(days=days))
        cursor.execute("SET session_replication_role = DEFAULT")


def rows_of_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_operator_report_by_merchant_with_chart_and_totals(client, operator, sales):
    client.force_login(operator)
    response = client.get(REPORT, {"group_by": "merchant"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "秀山油茶合作社" in html and "隘口果园" in html
    assert 'data-total="net">¥189.00<' in html  # 76.00 + 38.00 + 75.00
    assert "cdn" not in html.lower().split("<svg", 1)[1]


def test_operator_exports_csv_and_xlsx(client, operator, sales):
    client.force_login(operator)
    rows = rows_of_csv(client.get(REPORT, {"group_by": "channel", "export": "csv"}))
    assert rows[1:] == [
        ["Online shop", "151.00", "0.00", "151.00", "2"],
        ["Counter sale", "38.00", "0.00", "38.00", "1"],
        ["Total", "189.00", "0.00", "189.00", "3"],
        # Certified sales are the report's default; uncertified ones are always totalled apart (none here).
        ["Uncertified product sales (not counted as aid)", "0.00", "0.00", "0.00", "0"],
    ]
    response = client.get(REPORT, {"group_by": "merchant", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert [row[0] for row in values[1:]] == [
        "秀山油茶合作社",
        "隘口果园",
        "Total",
        "Uncertified product sales (not counted as aid)",
    ]
    assert values[-2][3] == 189


def test_merchant_sees_and_exports_only_its_own_rows(client, sales):
    member = factories.make_merchant_user(sales.brocade)
    client.force_login(member)
    html = client.get(REPORT, {"group_by": "merchant"}).content.decode()
    assert "隘口果园" in html and "秀山油茶合作社" not in html
    assert 'data-total="net">¥75.00<' in html
    rows = rows_of_csv(client.get(REPORT, {"group_by": "merchant", "export": "csv"}))
    uncertified = "Uncertified product sales (not counted as aid)"
    assert rows[1:] == [
        ["隘口果园", "75.00", "0.00", "75.00", "1"],
        ["Total", "75.00", "0.00", "75.00", "1"],
        [uncertified, "0.00", "0.00", "0.00", "0"],
    ]
    sheet = load_workbook(io.BytesIO(client.get(REPORT, {"group_by": "counter", "export": "xlsx"}).content)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()][1:] == [
        ["None (delivered from the warehouse)", 75, 0, 75, 1],
        ["Total", 75, 0, 75, 1],
        [uncertified, 0, 0, 0, 0],
    ]
    # Asking for another merchant's figures is refused as an invalid choice: nothing of theirs is shown.
    html = client.get(REPORT, {"group_by": "merchant", "merchant": sales.oil_coop.pk}).content.decode()
    assert "秀山油茶合作社" not in html and "¥114.00" not in html


def test_merchant_cannot_open_another_merchants_statement_or_settlement(client, operator, sales):
    backdate_all(3)
    yesterday = timezone.localdate() - timedelta(days=1)
    period = {"date_from": str(yesterday - timedelta(days=10)), "date_to": str(yesterday)}
    client.force_login(operator)
    client.post(STATEMENT, {"merchant": sales.oil_coop.pk, **period})
    settlement = Settlement.objects.get()

    member = factories.make_merchant_user(sales.brocade)
    client.force_login(member)
    assert client.get(STATEMENT, {"merchant": sales.oil_coop.pk, **period}).status_code == 404
    assert client.get(STATEMENT, {"merchant": sales.oil_coop.pk, **period, "export": "csv"}).status_code == 404
    assert client.get(reverse("aid:settlement", args=[settlement.pk])).status_code == 404
    assert client.get(reverse("aid:settlement", args=[settlement.pk]), {"export": "csv"}).status_code == 404
    own = client.get(STATEMENT, {"merchant": sales.brocade.pk, **period})
    assert own.status_code == 200
    assert 'data-total="gross">¥75.00<' in own.content.decode()
    assert "秀山油茶合作社" not in client.get(STATEMENT).content.decode()
    # Merchants may read statements but not settle them.
    assert client.post(STATEMENT, {"merchant": sales.brocade.pk, **period}).status_code == 403


def test_counter_staff_have_no_aid_reports(client, sales):
    staff = factories.make_user(group=roles.COUNTER_STAFF)
    client.force_login(staff)
    assert client.get(REPORT).status_code == 403
    assert client.get(STATEMENT).status_code == 403


def test_settling_records_totals_with_fee_and_later_entries_fall_into_the_next_statement(client, operator, sales):
    settings = AidSettings.load()
    settings.platform_fee_basis_points = 250  # 2.5 %
    settings.save()
    backdate_all(3)
    yesterday = timezone.localdate() - timedelta(days=1)
    period = {"date_from": str(yesterday - timedelta(days=10)), "date_to": str(yesterday)}
    client.force_login(operator)

    page = client.get(STATEMENT, {"merchant": sales.oil_coop.pk, **period}).content.decode()
    # Gross 76.00 + 38.00 = 114.00; fee 2.5 % = 2.85; net 111.15.
    assert 'data-total="gross">¥114.00<' in page and 'data-total="fee">¥2.85<' in page
    assert 'data-total="net"><strong>¥111.15</strong>' in page
    response = client.post(STATEMENT, {"merchant": sales.oil_coop.pk, **period})
    settlement = Settlement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("aid:settlement", args=[settlement.pk])
    assert (settlement.gross, settlement.refunds, settlement.fee, settlement.net, settlement.entry_count) == (
        11400,
        0,
        285,
        11115,
        2,
    )
    assert settlement.settled_by == operator

    # Settling again finds nothing; a sale made now belongs to the next statement, not this one.
    again = client.post(STATEMENT, {"merchant": sales.oil_coop.pk, **period}, follow=True)
    assert "nothing to settle" in again.content.decode()
    assert Settlement.objects.count() == 1
    pay(order_of((sales.oil, 1)))
    assert list(unsettled_entries(sales.oil_coop, timezone.localdate()).values_list("amount", flat=True)) == [3800]
    rows = rows_of_csv(client.get(reverse("aid:settlement", args=[settlement.pk]), {"export": "csv"}))
    assert ["Net payable (yuan)", "111.15"] in rows
    assert len([row for row in rows if row[7:8] == ["38.00"]]) == 1  # the amount column
    printable = client.get(reverse("aid:settlement", args=[settlement.pk]), {"print": "1"}).content.decode()
    assert "¥111.15" in printable and "<script" not in printable


def test_a_period_that_has_not_ended_cannot_be_settled(client, operator, sales):
    client.force_login(operator)
    today = str(timezone.localdate())
    response = client.post(
        STATEMENT, {"merchant": sales.oil_coop.pk, "date_from": today, "date_to": today}, follow=True
    )
    assert "Only a period that has ended can be settled." in response.content.decode()
    assert not Settlement.objects.exists()


def test_bad_report_input_is_a_form_error(client, operator, sales):
    client.force_login(operator)
    response = client.get(REPORT, {"group_by": "nonsense", "date_from": "2026-13-40"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.get(STATEMENT, {"merchant": "x'; drop", "date_from": "a", "date_to": "b"})
    assert response.status_code == 404


def test_default_report_is_by_month_with_a_well_formed_svg_chart(client, operator, sales):
    client.force_login(operator)
    html = client.get(REPORT).content.decode()
    svg = re.search(r"<svg class=\"aid-chart\".*?</svg>", html, re.S).group(0)
    root = ElementTree.fromstring(svg)  # noqa: S314  (our own page)
    assert root.tag.endswith("svg")
    assert timezone.localdate().strftime("%Y-%m") in svg and "¥189.00" in svg


def test_operators_edit_the_aid_settings(client, operator):
    client.force_login(operator)
    url = reverse("wagtailsettings:edit", args=["orders", "aidsettings"])
    response = client.get(url, follow=True)
    assert (
        response.status_code == 200 and "hide products with expired certificates" in response.content.decode().lower()
    )
    member = factories.make_merchant_user(factories.make_merchant())
    client.force_login(member)
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("wagtailadmin_home")
    assert "expired certificates" not in response.content.decode().lower()
