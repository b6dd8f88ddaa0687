"""CSV export and import of stock, limited to the rows the user may see.

Export columns: ``sku, product, variant, location, on_hand, allocated, available``
(``location`` is the location code). Import columns: ``sku, location, on_hand`` and
optionally ``reason``; other columns (such as the rest of an export) are ignored, so an
exported file can be edited and imported back: the file is written by ``core.spreadsheets`` (text
that would run as a formula gets a leading ``'``), and the import drops that quote again.

An import records a stock count: each row sets on hand to the counted figure through
``services.set_stock_level`` (a correction entry in the ledger). The whole file is checked
first and every problem is reported with its line number; if there is any, nothing is
applied. Otherwise all rows are applied in one transaction, sharing one ledger reference.
"""

import csv
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from catalog import services
from catalog.models import Location, Merchant, Stock, Variant
from catalog.selectors import locations_for_user, stock_for_user, variants_for_user
from core.spreadsheets import csv_text, unquote_cell

EXPORT_COLUMNS = ("sku", "product", "variant", "location", "on_hand", "allocated", "available")
REQUIRED_COLUMNS = ("sku", "location", "on_hand")
OPTIONAL_COLUMNS = ("reason",)
MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000
MAX_ON_HAND = 1_000_000
WHOLE_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class RowError:
    """A problem with the file; ``line`` is the line number in the file (None: the whole file)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    changed: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    reference: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Row:
    line: int
    sku: str
    location_code: str
    on_hand: int
    reason: str


class _Rollback(Exception):
    def __init__(self, error: RowError):
        super().__init__(error.message)
        self.error = error


def stock_rows_for_export(
    user: AbstractBaseUser, *, merchant: Merchant | None = None, location: Location | None = None
) -> QuerySet:
    rows = stock_for_user(user).select_related("variant__product", "location")
    rows = rows.order_by("variant__sku", "location__code")
    if merchant is not None:
        rows = rows.filter(variant__product__merchant=merchant)
    if location is not None:
        rows = rows.filter(location=location)
    return rows


def export_rows(
    user: AbstractBaseUser, *, merchant: Merchant | None = None, location: Location | None = None
) -> Iterator[list]:
    """The export's rows (``EXPORT_COLUMNS``), for ``core.spreadsheets`` to write."""
    for stock in stock_rows_for_export(user, merchant=merchant, location=location).iterator(chunk_size=500):
        yield [
            stock.variant.sku,
            stock.variant.product.name,
            stock.variant.name,
            stock.location.code,
            stock.on_hand,
            stock.allocated,
            stock.available,
        ]


def export_stock(user: AbstractBaseUser, *, merchant: Merchant | None = None, location: Location | None = None) -> str:
    """The user's stock as CSV text (byte-order mark, formulas neutralised), as the download has it."""
    return csv_text(EXPORT_COLUMNS, export_rows(user, merchant=merchant, location=location))


def _decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise _Rollback(
            RowError(None, _("The file is too large (at most %(size)d KB).") % {"size": MAX_IMPORT_BYTES // 1024})
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Rollback(
            RowError(None, _("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)”."))
        ) from exc
    if "\x00" in text:
        raise _Rollback(RowError(None, _("The file is not a CSV text file.")))
    return text


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each record; csv.Error becomes a RowError for its line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Rollback(RowError(reader.line_num, _("This line cannot be read as CSV."))) from exc
        yield reader.line_num, record


def _parse(text: str, default_reason: str) -> tuple[list[_Row], list[RowError]]:
    records = _records(text)
    header = next(records, None)
    if header is None:
        raise _Rollback(RowError(None, _("The file is empty.")))
    header_line, names = header[0], [name.strip().lower() for name in header[1]]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise _Rollback(
            RowError(
                header_line,
                _("The first line must name the columns %(required)s; missing: %(missing)s.")
                % {"required": ", ".join(REQUIRED_COLUMNS), "missing": ", ".join(missing)},
            )
        )
    repeated = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if names.count(c) > 1]
    if repeated:
        raise _Rollback(
            RowError(header_line, _("Column named more than once: %(columns)s.") % {"columns": ", ".join(repeated)})
        )
    index = {column: names.index(column) for column in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if column in names}

    rows, errors, count = [], [], 0
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue
        count += 1
        if count > MAX_IMPORT_ROWS:
            raise _Rollback(RowError(line, _("Too many rows (at most %(count)d).") % {"count": MAX_IMPORT_ROWS}))

        def cell(column: str, record=record) -> str:
            position = index.get(column)
            if position is None or position >= len(record):
                return ""
            return unquote_cell(record[position].strip())

        sku, code, on_hand, reason = cell("sku"), cell("location"), cell("on_hand"), cell("reason")
        problems = []
        if not sku:
            problems.append(_("The SKU is missing."))
        if not code:
            problems.append(_("The location code is missing."))
        if not WHOLE_NUMBER.fullmatch(on_hand):
            problems.append(_("on_hand “%(value)s” is not a whole number of zero or more.") % {"value": on_hand[:20]})
        elif len(on_hand) > len(str(MAX_ON_HAND)) or int(on_hand) > MAX_ON_HAND:
            problems.append(_("on_hand %(value)s is more than %(max)d.") % {"value": on_hand[:20], "max": MAX_ON_HAND})
        if not (reason or default_reason):
            problems.append(_("A reason is required."))
        if problems:
            errors.extend(RowError(line, problem) for problem in problems)
            continue
        rows.append(_Row(line, sku, code, int(on_hand), (reason or default_reason)[:255]))
    return rows, errors


def _check(
    rows: list[_Row], user: AbstractBaseUser, merchant: Merchant | None
) -> tuple[list[RowError], dict[str, Variant], dict[str, Location]]:
    variants = variants_for_user(user).filter(sku__in={row.sku for row in rows})
    if merchant is not None:
        variants = variants.filter(product__merchant=merchant)
    variants_by_sku = {variant.sku: variant for variant in variants.select_related("product")}
    locations_by_code = {
        location.code: location
        for location in locations_for_user(user).filter(code__in={row.location_code for row in rows})
    }
    stocks = {
        (stock.variant_id, stock.location_id): stock
        for stock in Stock.objects.filter(variant__in=variants_by_sku.values(), location__in=locations_by_code.values())
    }

    errors, first_line = [], {}
    for row in rows:
        variant, location = variants_by_sku.get(row.sku), locations_by_code.get(row.location_code)
        if variant is None:
            # Another merchant's SKU is reported exactly like one that does not exist.
            errors.append(RowError(row.line, _("Unknown SKU “%(sku)s”.") % {"sku": row.sku}))
        if location is None:
            errors.append(RowError(row.line, _("Unknown location code “%(code)s”.") % {"code": row.location_code}))
        if variant is None or location is None:
            continue
        key = (variant.pk, location.pk)
        if key in first_line:
            errors.append(
                RowError(
                    row.line,
                    _("“%(sku)s” at “%(code)s” is already counted on line %(line)d.")
                    % {"sku": row.sku, "code": row.location_code, "line": first_line[key]},
                )
            )
            continue
        first_line[key] = row.line
        stock = stocks.get(key)
        if stock is not None and row.on_hand < stock.allocated:
            errors.append(
                RowError(
                    row.line,
                    _(
                        "%(allocated)d units of “%(sku)s” at “%(code)s” are allocated to orders; "
                        "the count cannot be lower."
                    )
                    % {"allocated": stock.allocated, "sku": row.sku, "code": row.location_code},
                )
            )
    return errors, variants_by_sku, locations_by_code


def import_stock(data: bytes, *, user: AbstractBaseUser, reason: str, merchant: Merchant | None = None) -> ImportResult:
    """Check the whole file, then apply every count in one transaction, or nothing at all."""
    try:
        rows, errors = _parse(_decode(data), (reason or "").strip())
        check_errors, variants, locations = _check(rows, user, merchant)
        errors = sorted(errors + check_errors, key=lambda error: error.line or 0)
        if errors:
            return ImportResult(errors=errors)
        if not rows:
            return ImportResult(errors=[RowError(None, _("The file has no rows to import."))])

        result = ImportResult(reference=f"CSV-{uuid.uuid4().hex[:12].upper()}")
        with transaction.atomic():
            for row in rows:
                try:
                    movement = services.set_stock_level(
                        variant=variants[row.sku],
                        location=locations[row.location_code],
                        on_hand=row.on_hand,
                        actor=user,
                        reason=row.reason,
                        reference=result.reference,
                    )
                except services.StockError as exc:
                    raise _Rollback(RowError(row.line, str(exc))) from exc
                if movement is None:
                    result.unchanged += 1
                else:
                    result.changed += 1
        return result
    except _Rollback as rollback:
        return ImportResult(errors=[rollback.error])
