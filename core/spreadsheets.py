"""The one CSV/XLSX writer behind every download, with spreadsheet formulas neutralised.

Rule (OWASP, CSV injection): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is written with a leading single quote (``'``), so spreadsheet programs show it as
text instead of running it as a formula. Only text changes: numbers (a negative one included),
decimals, dates and empty cells are written as they are. Headings follow the same rule.

- ``safe_cell(value)`` applies the rule to one value; ``unquote_cell(text)`` undoes it when an
  exported file is imported back.
- ``csv_text`` / ``xlsx_bytes`` / ``spreadsheet_response`` write a header and rows. CSV is UTF-8 with a
  byte-order mark (so Excel reads the Chinese) and CRLF line ends; XLSX has one sheet.
- ``reproducible_xlsx_bytes`` writes the same XLSX byte for byte from the same rows: the workbook's
  created/modified metadata is the ``timestamp`` given (openpyxl would write the current time) and every
  entry of the zip archive is dated 1980-01-01 (it would carry the current time or a temporary file's).
- ``SafeSpreadsheetExportMixin`` applies the rule to Wagtail's listing exports (``list_export``).
"""

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Row = Sequence[Any]


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text starting with a formula prefix; anything else unchanged."""
    if isinstance(value, Promise):  # a lazily translated string
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return QUOTE + value
    return value


def unquote_cell(text: str) -> str:
    """Undo ``safe_cell`` on text read back from an exported file: drop a ``'`` before a formula prefix."""
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of ``row`` through ``safe_cell``."""
    return [safe_cell(value) for value in row]


def csv_text(header: Row, rows: Iterable[Row]) -> str:
    """CSV text with a byte-order mark and CRLF line ends; every cell through ``safe_cell``."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(row) for row in rows)
    return buffer.getvalue()


def xlsx_bytes(header: Row, rows: Iterable[Row]) -> bytes:
    """An XLSX workbook of one sheet; every cell through ``safe_cell``, so no cell is a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(safe_row(header))
    for row in rows:
        sheet.append(safe_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def _repack(archive: bytes) -> bytes:
    """The zip ``archive`` again, its entries in the same order, each dated ``ZIP_EPOCH``."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return buffer.getvalue()


def reproducible_xlsx_bytes(header: Row, rows: Iterable[Row], *, title: str, timestamp: datetime.datetime) -> bytes:
    """An XLSX workbook of one sheet named ``title``, the same bytes for the same arguments.

    Every cell goes through ``safe_cell``; a ``Decimal`` with two decimal places (yuan) is shown with two.
    ``timestamp`` (naive UTC) is written as the workbook's created and modified time."""
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = timestamp
    sheet = workbook.create_sheet(title=str(title)[:31])

    def cell(value: Any) -> Any:
        if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
            formatted = WriteOnlyCell(sheet, value)
            formatted.number_format = "0.00"
            return formatted
        return value

    sheet.append(safe_row(header))
    for row in rows:
        sheet.append([cell(value) for value in safe_row(row)])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()  # not ``workbook.save``: it stamps the modified time with now
    return _repack(buffer.getvalue())


def spreadsheet_response(filename: str, header: Row, rows: Iterable[Row], fmt: str = CSV) -> HttpResponse:
    """A download named ``filename.fmt`` (``fmt`` is ``csv`` or ``xlsx``)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown spreadsheet format {fmt!r}")
    content = xlsx_bytes(header, rows) if fmt == XLSX else csv_text(header, rows)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


class SafeSpreadsheetExportMixin:
    """Put before a view using Wagtail's ``SpreadsheetExportMixin`` (an index view with ``list_export``,
    a report, form submissions): every exported value and heading passes through ``safe_cell``.

    Wagtail 7.4 only turns would-be XLSX formulas back into text and writes CSV cells as they are.
    """

    def preprocess_field_value(self, field: str, value: Any, export_format: str) -> Any:
        return safe_cell(super().preprocess_field_value(field, value, export_format))

    def get_heading(self, queryset: QuerySet, field: str) -> str:
        return safe_cell(super().get_heading(queryset, field))
