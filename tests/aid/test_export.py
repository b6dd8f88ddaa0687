"""The monitoring export: a period's certified aid sales per product, certificate, channel and counter, with
totals per producer and channel, the same file byte for byte for a closed period, and every download
recorded with who made it. Operators only."""

import csv
import hashlib
import io
import zipfile
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from catalog.regions import DezhouCounty, XiushanTownship
from orders.aid.export import COLUMNS, export_file
from orders.models import AidExport, AidLedgerEntry
from orders.payments.services import refund_order
from tests import factories
from tests.aid.helpers import order_of, pay, sell_at_counter

EXPORT = reverse("aid:export")
REPORT = reverse("aid:report")
HEADINGS = [key for key, _heading in COLUMNS]

# A closed period: a week well before today (Beijing days), every sale of the tests moved into it.
DAY = timezone.localdate() - timedelta(days=40)
PERIOD = {"date_from": (DAY - timedelta(days=3)).isoformat(), "date_to": (DAY + timedelta(days=3)).isoformat()}
DATE_FROM, DATE_TO = DAY - timedelta(days=3), DAY + timedelta(days=3)


def move_entries(entries, when: datetime) -> None:
    """Date ``entries`` at ``when`` (the ledger refuses updates, so its guard is bypassed for the test)."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        AidLedgerEntry.objects.filter(pk__in=[e.pk for e in entries]).update(created_at=when)
        cursor.execute("SET session_replication_role = DEFAULT")


def into_period() -> None:
    move_entries(AidLedgerEntry.objects.all(), timezone.make_aware(datetime.combine(DAY, time(12))))


@pytest.fixture
def sales(prog, operator):
    """In the period:
    - online: 2 oil (certified with the producer's XSXF-OIL) and 1 cabbage (uncertified), then 1 oil
      refunded; 1 orange (certified with its own XSXF-ORANGE);
    - at the Decheng counter: 1 oil and 3 oranges.
    """
    far = timezone.localdate() + timedelta(days=365)
    factories.make_certificate(prog.oil_coop, far, number="XSXF-OIL", issuer="秀山县乡村振兴局")
    factories.make_certificate(prog.orange.product, far, number="XSXF-ORANGE", issuer="重庆市乡村振兴局")
    first = pay(order_of((prog.oil, 2), (prog.cabbage, 1)))
    refund_order(first, actor=operator, reason="破损", lines={first.lines.get(variant=prog.oil).pk: 1})
    pay(order_of((prog.orange, 1)))
    sell_at_counter(prog.decheng_counter, (prog.oil, 1), (prog.orange, 3))
    into_period()
    return prog


@pytest.fixture(autouse=True)
def english_admin(monkeypatch):
    """These tests log in users who chose English (the export itself is in the site's language)."""
    from django.test import Client
    from wagtail.users.models import UserProfile

    login = Client.force_login

    def force_login(self, user, backend=None):
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = "en"
        profile.save()
        return login(self, user, backend)

    monkeypatch.setattr(Client, "force_login", force_login)


def site_language(label) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(label)


def csv_rows(content: bytes) -> list[dict[str, str]]:
    """The rows below the heading, keyed by the schema's column keys (the heading is checked apart)."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [site_language(heading) for _key, heading in COLUMNS]
    return [dict(zip(HEADINGS, row, strict=True)) for row in rows[1:]]


def figures(row: dict[str, str]) -> tuple:
    return (
        row["quantity"],
        row["refunded_quantity"],
        row["sales"],
        row["refunds"],
        row["net"],
        row["entries"],
    )


def download(client, fmt: str = "csv", **params):
    return client.get(EXPORT, {**PERIOD, "format": fmt, **params})


def test_rows_and_totals_to_the_fen_certified_only_by_default(client, operator, sales):
    client.force_login(operator)
    response = download(client)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="aid-monitoring-{PERIOD["date_from"]}-{PERIOD["date_to"]}.csv"'
    )
    rows = csv_rows(response.content)

    period = f"{PERIOD['date_from']}/{PERIOD['date_to']}"
    assert {row["section"] for row in rows} == {"certified"}  # the cabbage is left out
    assert {row["period"] for row in rows} == {period}
    lines = [row for row in rows if row["row_type"] == "line"]
    oil, orange = sales.oil.product, sales.orange.product
    counter = sales.decheng_counter.name
    # Producers in the order of their names: 秀山油茶合作社 (U+79C0) before 隘口果园 (U+9698).
    assert [
        (r["product"], r["certificate_number"], r["certificate_issuer"], r["producer"], r["channel"], r["counter"])
        for r in lines
    ] == [
        (oil.name, "XSXF-OIL", "秀山县乡村振兴局", "秀山油茶合作社", "online", ""),
        (oil.name, "XSXF-OIL", "秀山县乡村振兴局", "秀山油茶合作社", "counter", counter),
        (orange.name, "XSXF-ORANGE", "重庆市乡村振兴局", "隘口果园", "online", ""),
        (orange.name, "XSXF-ORANGE", "重庆市乡村振兴局", "隘口果园", "counter", counter),
    ]
    assert [figures(r) for r in lines] == [
        ("2", "1", "76.00", "38.00", "38.00", "2"),  # 2 x 38.00 sold, 1 refunded
        ("1", "0", "38.00", "0.00", "38.00", "1"),
        ("1", "0", "25.00", "0.00", "25.00", "1"),
        ("3", "0", "75.00", "0.00", "75.00", "1"),
    ]
    assert lines[0]["township"] == site_language(XiushanTownship.HONGAN.label)
    assert lines[0]["paired_county"] == site_language(DezhouCounty.DECHENG.label)
    assert lines[2]["township"] == site_language(XiushanTownship.AIKOU.label)
    assert lines[0]["product_id"] == str(oil.pk) and lines[0]["producer_id"] == str(sales.oil_coop.pk)

    producers = [(r["producer"], *figures(r)) for r in rows if r["row_type"] == "producer_total"]
    assert producers == [
        ("秀山油茶合作社", "3", "1", "114.00", "38.00", "76.00", "3"),
        ("隘口果园", "4", "0", "100.00", "0.00", "100.00", "2"),
    ]
    channels = [(r["channel"], *figures(r)) for r in rows if r["row_type"] == "channel_total"]
    assert channels == [
        ("online", "3", "1", "101.00", "38.00", "63.00", "3"),
        ("counter", "4", "0", "113.00", "0.00", "113.00", "2"),
    ]
    assert [figures(r) for r in rows if r["row_type"] == "total"] == [("7", "1", "214.00", "38.00", "176.00", "5")]
    assert [r["row_type"] for r in rows] == ["line"] * 4 + ["producer_total"] * 2 + ["channel_total"] * 2 + ["total"]


def test_uncertified_sales_come_in_a_section_of_their_own_when_asked(client, operator, sales):
    client.force_login(operator)
    response = download(client, include_uncertified="on")
    assert response["Content-Disposition"].endswith('-with-uncertified.csv"')
    rows = csv_rows(response.content)

    certified = [r for r in rows if r["section"] == "certified"]
    uncertified = [r for r in rows if r["section"] == "uncertified"]
    assert rows == certified + uncertified  # certified first, then the other section
    assert [figures(r) for r in certified if r["row_type"] == "total"] == [("7", "1", "214.00", "38.00", "176.00", "5")]
    assert [
        (r["row_type"], r["product"], r["certificate_number"], r["producer"], *figures(r)) for r in uncertified
    ] == [
        ("line", sales.cabbage.product.name, "", "官庄蔬菜园", "1", "0", "12.90", "0.00", "12.90", "1"),
        ("producer_total", "", "", "官庄蔬菜园", "1", "0", "12.90", "0.00", "12.90", "1"),
        ("channel_total", "", "", "", "1", "0", "12.90", "0.00", "12.90", "1"),
        ("total", "", "", "", "1", "0", "12.90", "0.00", "12.90", "1"),
    ]


def test_the_period_is_beijing_days_and_a_refund_counts_when_it_was_made(operator, prog):
    far = timezone.localdate() + timedelta(days=365)
    factories.make_certificate(prog.oil_coop, far, number="XSXF-OIL")
    late, early = pay(order_of((prog.oil, 1))), pay(order_of((prog.oil, 2)))
    # 23:30 on the last day (15:30 UTC) is in; 00:10 the day after (16:10 UTC the last day) is out.
    move_entries(
        AidLedgerEntry.objects.filter(order=late), timezone.make_aware(datetime.combine(DATE_TO, time(23, 30)))
    )
    after = DATE_TO + timedelta(days=1)
    move_entries(AidLedgerEntry.objects.filter(order=early), timezone.make_aware(datetime.combine(after, time(0, 10))))
    refund_order(late, actor=operator, reason="破损")  # today: after the period

    rows = csv_rows(export_file(DATE_FROM, DATE_TO, "csv", actor=operator).content)
    assert [figures(r) for r in rows if r["row_type"] == "total"] == [("1", "0", "38.00", "0.00", "38.00", "1")]


def test_a_closed_period_exports_the_same_bytes_twice_and_a_change_changes_them(client, operator, sales):
    client.force_login(operator)
    for fmt in ("csv", "xlsx"):
        first = download(client, fmt).content
        again = download(client, fmt).content
        assert first == again, fmt

        pay(order_of((sales.oil, 1)))  # a late sale, moved into the period
        into_period()
        changed = download(client, fmt).content
        assert changed != first, fmt
        assert download(client, fmt).content == changed, fmt


def test_the_xlsx_holds_the_same_rows_and_no_current_time(client, operator, sales):
    client.force_login(operator)
    csv_content = download(client, "csv").content
    response = download(client, "xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 1
    sheet = workbook.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    money = {HEADINGS.index(key) for key in ("sales", "refunds", "net")}

    def text(index: int, value) -> str:
        if value is None:
            return ""
        return f"{value:.2f}" if index in money and not isinstance(value, str) else str(value)

    as_text = [[text(i, v) for i, v in enumerate(row)] for row in values]
    expected = list(csv.reader(io.StringIO(csv_content.decode("utf-8-sig"))))
    assert as_text == expected
    total = next(row for row in sheet.iter_rows() if row[1].value == "total")
    net = total[HEADINGS.index("net")]
    assert net.value == 176 and net.number_format == "0.00"

    # The metadata is dated the end of the period (Beijing midnight after it, in UTC), not now.
    end = datetime.combine(DATE_TO + timedelta(days=1), time.min) - timedelta(hours=8)
    assert workbook.properties.created == end and workbook.properties.modified == end
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_every_download_is_recorded_with_who_and_the_files_digest(client, operator, sales):
    client.force_login(operator)
    csv_response = download(client, "csv")
    xlsx_response = download(client, "xlsx", include_uncertified="on")

    records = list(AidExport.objects.order_by("pk"))
    assert [(r.format, r.include_uncertified, r.exported_by, r.period_start, r.period_end) for r in records] == [
        ("csv", False, operator, DATE_FROM, DATE_TO),
        ("xlsx", True, operator, DATE_FROM, DATE_TO),
    ]
    assert records[0].sha256 == hashlib.sha256(csv_response.content).hexdigest()
    assert records[1].sha256 == hashlib.sha256(xlsx_response.content).hexdigest()
    assert records[0].row_count == 9  # 4 lines, 2 producers, 2 channels, 1 total
    assert records[1].row_count == 13  # and the uncertified section: 1 line and 3 totals
    page = client.get(EXPORT).content.decode()
    assert records[0].sha256[:16] in page and "operator" in page


def test_an_invalid_period_shows_the_form_and_records_nothing(client, operator, sales):
    client.force_login(operator)
    response = client.get(EXPORT, {"date_from": PERIOD["date_to"], "date_to": PERIOD["date_from"], "format": "csv"})
    assert response.status_code == 200 and "text/html" in response["Content-Type"]
    response = client.get(EXPORT, {"date_from": PERIOD["date_from"], "format": "xlsx"})
    assert "text/html" in response["Content-Type"]
    assert not AidExport.objects.exists()


def test_the_report_page_links_the_export_for_operators_only(client, operator, sales):
    client.force_login(operator)
    assert EXPORT in client.get(REPORT).content.decode()
    member = factories.make_merchant_user(sales.oil_coop)
    client.force_login(member)
    response = client.get(REPORT)
    assert response.status_code == 200 and EXPORT not in response.content.decode()


@pytest.mark.parametrize("who", ["merchant", "editor", "counter_staff"])
def test_only_operators_may_export(client, sales, editor, who):
    from core import roles

    user = {
        "merchant": lambda: factories.make_merchant_user(sales.oil_coop),
        "editor": lambda: editor,
        "counter_staff": lambda: factories.make_user(group=roles.COUNTER_STAFF),
    }[who]()
    client.force_login(user)
    assert client.get(EXPORT).status_code == 403
    assert download(client, "csv").status_code == 403
    assert download(client, "xlsx").status_code == 403
    assert not AidExport.objects.exists()


def test_an_anonymous_visitor_is_sent_to_the_login(client, sales):
    response = download(client)
    assert response.status_code == 302 and "login" in response["Location"]
    assert not AidExport.objects.exists()


def test_an_empty_period_still_has_its_total_row(operator, db):
    rows = csv_rows(export_file(DATE_FROM, DATE_TO, "csv", actor=operator).content)
    assert [(r["section"], r["row_type"], *figures(r)) for r in rows] == [
        ("certified", "total", "0", "0", "0.00", "0.00", "0.00", "0")
    ]
    assert Decimal(rows[0]["net"]) == 0
