"""The one spreadsheet writer: text starting with a formula prefix gets a leading quote, in CSV and XLSX;
numbers, decimals, dates and empty cells are written as they are."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from wagtail.admin.views.mixins import SpreadsheetExportMixin

from core.spreadsheets import (
    FORMULA_PREFIXES,
    SafeSpreadsheetExportMixin,
    csv_text,
    safe_cell,
    spreadsheet_response,
    unquote_cell,
    xlsx_bytes,
)

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://evil","x")']
HARMLESS = ["", "苹果", "a=1", "1-2", " =1", "x@example.com"]


def test_the_rule_covers_the_owasp_prefixes():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_starting_with_a_formula_prefix_is_quoted(text):
    assert safe_cell(text) == "'" + text
    assert unquote_cell(safe_cell(text)) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_unchanged(text):
    assert safe_cell(text) == text
    assert unquote_cell(text) == text


def test_quoted_text_is_not_quoted_twice():
    assert safe_cell("'=1+1") == "'=1+1"


@pytest.mark.parametrize(
    "value", [-5, 0, 7, Decimal("-38.00"), Decimal("1.50"), -1.5, None, True, datetime.date(2026, 3, 1)]
)
def test_non_text_values_are_unchanged(value):
    assert safe_cell(value) is value


def test_lazy_text_is_checked_as_text():
    assert safe_cell(gettext_lazy("=SUM(A1)")) == "'=SUM(A1)"


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_csv_is_utf8_with_a_byte_order_mark_and_crlf_line_ends():
    assert csv_text(["a", "b"], [["苹果", 1]]) == "\ufeffa,b\r\n苹果,1\r\n"


def test_csv_quotes_every_dangerous_cell_and_keeps_numbers():
    text = csv_text(["名称", "-数量"], [[value, -3] for value in DANGEROUS] + [["苹果", Decimal("-1.50")]])

    rows = read_csv(text)
    assert rows[0] == ["名称", "'-数量"]
    assert rows[1:-1] == [["'" + value, "-3"] for value in DANGEROUS]
    assert rows[-1] == ["苹果", "-1.50"]


def test_xlsx_has_no_formula_cells_and_keeps_numbers():
    content = xlsx_bytes(["名称", "金额"], [[value, Decimal("-38.00")] for value in DANGEROUS] + [[None, -3]])

    sheet = load_workbook(io.BytesIO(content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell for cell in cells if cell.data_type == "f"] == []
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["名称", "金额"]
    # XML reads a carriage return back as a line feed; the quote in front is what matters.
    assert values[1:-1] == [["'" + value.replace("\r", "\n"), -38] for value in DANGEROUS]
    assert values[-1] == [None, -3]


def test_response_names_the_file_and_sets_the_type():
    csv_response = spreadsheet_response("report-2026", ["a"], [["=1"]])
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"] == 'attachment; filename="report-2026.csv"'
    assert read_csv(csv_response.content.decode("utf-8")) == [["a"], ["'=1"]]

    xlsx_response = spreadsheet_response("report-2026", ["a"], [["=1"]], "xlsx")
    assert xlsx_response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx_response["Content-Disposition"] == 'attachment; filename="report-2026.xlsx"'
    assert load_workbook(io.BytesIO(xlsx_response.content)).active["A2"].value == "'=1"


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        spreadsheet_response("x", ["a"], [], "ods")


class ExportView(SafeSpreadsheetExportMixin, SpreadsheetExportMixin):
    list_export = ["name", "quantity", "day"]
    export_headings = {"name": "=Name", "quantity": "数量"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_wagtail_listing_exports_quote_values_and_headings(fmt):
    view = ExportView()
    assert view.preprocess_field_value("name", '=HYPERLINK("http://evil")', fmt) == '\'=HYPERLINK("http://evil")'
    assert view.preprocess_field_value("quantity", -3, fmt) == -3
    day = datetime.date(2026, 3, 1)
    assert view.preprocess_field_value("day", day, fmt) in (day, "2026-03-01")
    assert view.get_heading(None, "name") == "'=Name"
    assert view.get_heading(None, "quantity") == "数量"
