"""An organisation's purchases report: certified (aid) and uncertified purchases net of refunds per month, quarter
or year, the annual target's share, per producer and per product, CSV/XLSX downloads; members and operators only.

Hand-computed fixture (the union; prices in fen):
- last year, 10 March: 2 x tea oil 6800 (certified, 茶油合作社) + 1 x eggs 3000 (uncertified, producer
  "=土鸡蛋合作社", a name a spreadsheet would read as a formula) → certified 13600, uncertified 3000;
- this month: 1 x tea oil 6800 + 2 x oranges 4500 (certified, 脐橙合作社) + 1 x eggs 3000, then one orange
  refunded → certified 6800 + 9000 - 4500 = 11300, uncertified 3000, refunds 4500;
- annual target 200000: last year 13600 / 200000 = 6.8 %, this year 11300 / 200000 = 5.65 % → 5.7 %.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from orders.institutions.bulk import add_line, create_draft
from orders.institutions.placement import submit
from orders.institutions.reports import (
    COLUMNS,
    MONTH,
    QUARTER,
    YEAR,
    organisation_report,
    parse_period,
    period_of,
)
from orders.models import BulkOrder, Order
from orders.payments.reservation import mark_paid_locked
from orders.payments.services import refund_order
from orders.state import lock_order
from tests import factories
from tests.aid.helpers import pay
from tests.fixtures.catalog import set_stock
from tests.institutions.bulk_world import gift_shop

pytestmark = pytest.mark.django_db

KEYS = [key for key, _heading in COLUMNS]


def report_url(organisation) -> str:
    with translation.override("en"):
        return reverse("storefront:institution_report", args=[organisation.pk])


def bulk_order(world, items) -> BulkOrder:
    draft = create_draft(
        organisation=world.union,
        actor=world.ann,
        delivery=BulkOrder.Delivery.ADDRESS,
        address=world.union.addresses.get(),
    )
    for variant, quantity in items:
        add_line(draft, actor=world.ann, variant=variant, quantity=quantity)
    return submit(draft, actor=world.ann)


@pytest.fixture
def bought(world):
    """The union's two bulk orders of the module's fixture, paid, the later one partly refunded; gives today."""
    shop = gift_shop()
    egg_farm = factories.make_merchant("=土鸡蛋合作社")
    eggs = factories.make_product(egg_farm, name="秀山土鸡蛋", price=3000).variants.get()
    set_stock(eggs, shop.warehouse, 100)
    world.union.annual_target = 200_000
    world.union.save(update_fields=["annual_target"])
    today = timezone.localdate()
    last_year = timezone.make_aware(datetime.datetime(today.year - 1, 3, 10, 10, 0))

    earlier = bulk_order(world, [(shop.oil, 2), (eggs, 1)])
    with transaction.atomic():
        (order,) = Order.objects.filter(bulk_order=earlier)
        lock_order(order)
        mark_paid_locked(order, actor=world.ann, paid_at=last_year)

    recent = bulk_order(world, [(shop.oil, 1), (shop.oranges, 2), (eggs, 1)])
    (order,) = Order.objects.filter(bulk_order=recent)
    pay(order)
    orange_line = order.lines.get(variant=shop.oranges)
    refund_order(order, actor=world.operator, reason="一箱脐橙破损", lines={orange_line.pk: 1})
    return today


def test_this_months_figures_to_the_fen(world, bought):
    today = bought

    report = organisation_report(world.union, period_of(MONTH, today))

    assert (report.certified, report.uncertified, report.total, report.refunds) == (11300, 3000, 14300, 4500)
    assert (report.year_certified, report.target, report.target_share) == (11300, 200_000, Decimal("5.7"))
    assert [(r.producer, r.certified, r.uncertified) for r in report.producers] == [
        ("秀山茶油合作社", 6800, 0),
        ("秀山脐橙合作社", 4500, 0),
        ("=土鸡蛋合作社", 0, 3000),
    ]
    assert [(r.product, r.producer, r.quantity, r.certified, r.uncertified) for r in report.products] == [
        ("秀山山茶油", "秀山茶油合作社", 1, 6800, 0),
        ("秀山脐橙", "秀山脐橙合作社", 1, 4500, 0),
        ("秀山土鸡蛋", "=土鸡蛋合作社", 1, 0, 3000),
    ]


def test_last_years_month_quarter_and_year(world, bought):
    today = bought
    march = parse_period(f"{today.year - 1}-03")

    for period in (march, parse_period(f"{today.year - 1}-Q1"), parse_period(str(today.year - 1))):
        report = organisation_report(world.union, period)
        assert (report.certified, report.uncertified, report.refunds) == (13600, 3000, 0), period
        assert (report.year_certified, report.target_share) == (13600, Decimal("6.8")), period
        assert [(r.product, r.quantity) for r in report.products] == [("秀山山茶油", 2), ("秀山土鸡蛋", 1)]

    assert organisation_report(world.union, parse_period(f"{today.year - 1}-04")).empty
    assert organisation_report(world.union, parse_period(f"{today.year - 1}-Q2")).total == 0
    this_year = organisation_report(world.union, period_of(YEAR, today))
    assert (this_year.certified, this_year.uncertified) == (11300, 3000)
    assert march.kind == MONTH and parse_period(f"{today.year}-Q1").kind == QUARTER


def test_without_a_target_no_share_is_shown(client, world, bought):
    world.union.annual_target = 0
    world.union.save(update_fields=["annual_target"])

    assert organisation_report(world.union, period_of(MONTH, bought)).target_share is None
    client.force_login(world.ann)
    page = client.get(report_url(world.union)).content.decode()
    assert "No annual target is set for this organisation." in page
    assert 'data-figure="share"' not in page


def test_the_page_shows_the_chosen_period(client, world, bought):
    today = bought
    client.force_login(world.ann)

    page = client.get(report_url(world.union)).content.decode()  # this month by default
    assert 'data-figure="certified">¥113.00<' in page
    assert 'data-figure="uncertified">¥30.00<' in page
    assert 'data-figure="refunds">¥45.00<' in page
    assert 'data-figure="share">5.7%<' in page
    assert "秀山脐橙合作社" in page and "of which uncertified ¥30.00" in page

    march = client.get(report_url(world.union), {"period": f"{today.year - 1}-03"}).content.decode()
    assert 'data-figure="certified">¥136.00<' in march
    assert 'data-figure="share">6.8%<' in march
    assert "秀山脐橙合作社" not in march

    with translation.override("zh-hans"):
        chinese = client.get(reverse("storefront:institution_report", args=[world.union.pk]))
    assert chinese.status_code == 200 and "¥113.00" in chinese.content.decode()


def rows_of_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_and_xlsx_downloads(client, world, bought):
    today = bought
    client.force_login(world.ann)
    march = f"{today.year - 1}-03"

    response = client.get(report_url(world.union), {"period": march, "format": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert f"purchases-{world.union.pk}-{march}.csv" in response["Content-Disposition"]
    rows = rows_of_csv(response.content)
    assert len(rows[0]) == len(KEYS)
    by_type = [dict(zip(KEYS, row, strict=True)) for row in rows[1:]]
    pick = ("row_type", "producer", "product", "quantity", "certified", "uncertified", "total", "share")
    assert [tuple(row[key] for key in pick) for row in by_type] == [
        ("product", "秀山茶油合作社", "秀山山茶油", "2", "136.00", "0.00", "136.00", ""),
        ("product", "'=土鸡蛋合作社", "秀山土鸡蛋", "1", "0.00", "30.00", "30.00", ""),  # no formula
        ("producer_total", "秀山茶油合作社", "", "", "136.00", "0.00", "136.00", ""),
        ("producer_total", "'=土鸡蛋合作社", "", "", "0.00", "30.00", "30.00", ""),
        ("total", "", "", "", "136.00", "30.00", "166.00", ""),
        ("refunds", "", "", "", "", "", "0.00", ""),
        ("year_certified", "", "", "", "136.00", "", "", "6.8"),
        ("annual_target", "", "", "", "2000.00", "", "", ""),
    ]
    assert {row["organisation"] for row in by_type} == {"德州市总工会"}
    assert {row["period"] for row in by_type} == {f"{today.year - 1}-03"}

    xlsx = client.get(report_url(world.union), {"period": march, "format": "xlsx"})
    again = client.get(report_url(world.union), {"period": march, "format": "xlsx"})
    assert xlsx.content == again.content  # a closed period: the same bytes every time
    assert rows_of_csv(client.get(report_url(world.union), {"period": march, "format": "csv"}).content) == rows
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[1][KEYS.index("producer")] == "秀山茶油合作社"
    assert cells[1][KEYS.index("certified")] == 136
    assert cells[2][KEYS.index("producer")] == "'=土鸡蛋合作社"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)

    current = rows_of_csv(client.get(report_url(world.union), {"format": "csv"}).content)
    total = next(dict(zip(KEYS, row, strict=True)) for row in current[1:] if row[KEYS.index("row_type")] == "total")
    assert (total["certified"], total["uncertified"], total["total"]) == ("113.00", "30.00", "143.00")


def test_members_and_operators_only(client, world, bought):
    assert client.get(report_url(world.union)).status_code == 302  # signed out: to the sign-in page

    for outsider in (world.ben, world.shopper):
        client.force_login(outsider)
        assert client.get(report_url(world.union)).status_code == 404
        assert client.get(report_url(world.union), {"format": "csv"}).status_code == 404

    client.force_login(world.ben)
    own = client.get(report_url(world.bureau)).content.decode()
    assert "No purchases in this period." in own and "秀山脐橙合作社" not in own

    client.force_login(world.operator)
    assert client.get(report_url(world.union)).status_code == 200
