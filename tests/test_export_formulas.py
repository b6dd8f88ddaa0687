"""Every back-office export neutralises spreadsheet formulas: a name, SKU, reason or form answer that
starts with ``=`` is written with a leading ``'`` (as text), in CSV and XLSX alike; numbers stay numbers."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.contrib.forms.models import FormSubmission
from wagtail.log_actions import log

from catalog.models import Category, Product, StockMovement
from catalog.services import adjust_stock, receive_stock
from catalog.stock_csv import export_stock, import_stock
from cms.models import ContactFormField, ContactPage, HomePage
from tests.aid.helpers import certify, order_of, pay, programme
from tests.catalog.admin_world import PRODUCT, build_world, url

EVIL = '=HYPERLINK("http://evil","x")'
QUOTED = "'" + EVIL
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection: text starting so is a formula
NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")  # in CSV a negative number reads back as text

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = build_world()
    world.product_a.name = EVIL
    world.product_a.save()
    variant = world.variant_a
    variant.sku = EVIL
    variant.save()
    receive_stock(variant=variant, location=world.warehouse, quantity=1, actor=world.operator, reason=EVIL)
    adjust_stock(variant=variant, location=world.warehouse, quantity=-3, actor=world.operator, reason="破损")
    return world


def content_of(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_cells(response) -> list[str]:
    assert response["Content-Type"].startswith("text/csv")
    rows = csv.reader(io.StringIO(content_of(response).decode("utf-8-sig"), newline=""))
    return [cell for row in rows for cell in row]


def xlsx_cells(response) -> list:
    sheet = load_workbook(io.BytesIO(content_of(response))).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    return [cell.value for cell in cells]


def assert_neutralised(values: list) -> None:
    """No text cell starts with a formula prefix, and the planted formula is there, quoted."""
    dangerous = [
        value
        for value in values
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not NUMBER.fullmatch(value)
    ]
    assert dangerous == []
    assert QUOTED in values


def test_product_listing_export(client, world):
    client.force_login(world.operator)
    for fmt, cells in (("csv", csv_cells), ("xlsx", xlsx_cells)):
        assert_neutralised(cells(client.get(url(f"{PRODUCT}:list"), {"export": fmt})))


def test_stock_export_quotes_names_and_skus_and_imports_back(client, world):
    client.force_login(world.operator)
    response = client.get(url("stock:export"), {"download": "1", "merchant": world.merchant_a.pk})
    cells = csv_cells(response)
    assert_neutralised(cells)
    assert response["Content-Disposition"].startswith('attachment; filename="stock-')

    result = import_stock(export_stock(world.alice).encode("utf-8"), user=world.alice, reason="核对")
    assert result.ok, [str(error) for error in result.errors]
    assert (result.changed, result.unchanged) == (0, 3)


def test_stock_ledger_export_keeps_negative_numbers(client, world):
    client.force_login(world.operator)
    cells = csv_cells(client.get(url("stock_ledger:index"), {"export": "csv"}))
    assert_neutralised(cells)
    assert "-3" in cells  # a negative change is a number, not text to neutralise

    values = xlsx_cells(client.get(url("stock_ledger:index"), {"export": "xlsx"}))
    assert_neutralised(values)
    assert -3 in values
    assert StockMovement.objects.filter(reason=EVIL).exists()


def test_site_history_export(client, world):
    log(instance=Product.objects.get(pk=world.product_a.pk), action="wagtail.edit", user=world.operator)
    client.force_login(world.operator)
    for fmt, cells in (("csv", csv_cells), ("xlsx", xlsx_cells)):
        assert_neutralised(cells(client.get("/admin/reports/site-history/", {"export": fmt})))


@pytest.fixture
def aid_sales():
    prog = programme()
    prog.oil_coop.name = EVIL
    prog.oil_coop.save()
    product = prog.oil.product
    product.name = EVIL
    product.save()
    Category.objects.filter(pk=prog.oil_category_id).update(name="@油茶")
    certify(prog.oil_coop)  # the report shows certified sales by default
    pay(order_of((prog.oil, 2)))
    return prog


def test_aid_report_and_statement_exports(client, operator, aid_sales):
    client.force_login(operator)
    report = reverse("aid:report")
    for fmt, cells in (("csv", csv_cells), ("xlsx", xlsx_cells)):
        assert_neutralised(cells(client.get(report, {"group_by": "merchant", "export": fmt})))
        values = cells(client.get(report, {"group_by": "category", "export": fmt}))
        assert "'@油茶" in values and "@油茶" not in values

    today = timezone.localdate()
    period = {"date_from": str(today - timedelta(days=1)), "date_to": str(today)}
    statement = client.get(reverse("aid:statement"), {"merchant": aid_sales.oil_coop.pk, **period, "export": "csv"})
    cells = csv_cells(statement)
    assert_neutralised(cells)
    assert cells.count(QUOTED) >= 2  # the merchant and the product line


@pytest.fixture
def contact():
    home = HomePage.objects.get(depth=2, locale__language_code="zh-hans")
    page = ContactPage(title="联系与批发合作", slug="contact", thank_you_text="谢谢！")
    page.form_fields.add(ContactFormField(label="Name", field_type="singleline", required=True, sort_order=0))
    page.form_fields.add(ContactFormField(label="Message", field_type="multiline", required=True, sort_order=1))
    home.add_child(instance=page)
    page.save_revision().publish()
    FormSubmission.objects.create(page=page, form_data={"name": EVIL, "message": "@SUM(1+1)*cmd|' /C calc'!A0"})
    return page


def test_contact_form_submissions_export(client, operator, contact):
    client.force_login(operator)
    submissions = reverse("wagtailforms:list_submissions", args=[contact.pk])
    for fmt, cells in (("csv", csv_cells), ("xlsx", xlsx_cells)):
        values = cells(client.get(submissions, {"export": fmt}))
        assert_neutralised(values)
        assert "'@SUM(1+1)*cmd|' /C calc'!A0" in values


def test_page_reports_exports(client, operator):
    """Wagtail's own page reports (locked pages, aging pages) list titles editors typed."""
    home = HomePage.objects.order_by("depth").first()
    home.title = EVIL
    home.locked, home.locked_by, home.locked_at = True, operator, timezone.now()
    home.last_published_at = timezone.now() - timedelta(days=400)
    home.save()
    client.force_login(operator)
    for report in ("locked", "aging-pages"):
        for fmt, cells in (("csv", csv_cells), ("xlsx", xlsx_cells)):
            assert_neutralised(cells(client.get(f"/admin/reports/{report}/", {"export": fmt})))
