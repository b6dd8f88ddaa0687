"""A bulk order's recipients uploaded as CSV or XLSX, checked whole before anything is applied.

Columns (first line; Chinese headings are accepted too): ``name, phone, province, city, district, street,
pack, sku, quantity``. ``district`` and ``quantity`` (default 1) may be empty; each line names a gift pack
(``pack``: its slug or name, published packs only) or a ``sku`` (an active variant of a published product),
not both. Other columns are ignored, so ``template_csv`` (the download) comes back as it went.

Following ``catalog.stock_csv``: the file is read (CSV as UTF-8, with or without a byte-order mark, else as
GB18030, as Chinese Excel saves it; XLSX with openpyxl, read only), every line is checked and every problem is
reported at once with its line number (``RowError``); a file with any problem changes nothing. A valid one
replaces all of the draft's recipients in one transaction, under the draft's row lock. Limits: ``MAX_BYTES``
per file and ``MAX_ROWS`` recipients (a longer file is refused, not cut).
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from catalog.models import Pack, Variant
from catalog.stock_csv import RowError
from core.scopes import User
from core.spreadsheets import csv_text, unquote_cell
from orders.institutions.bulk import BulkOrderError, can_edit, sellable_packs, sellable_variants
from orders.models import BulkOrder, Recipient

COLUMNS = ("name", "phone", "province", "city", "district", "street", "pack", "sku", "quantity")
REQUIRED_COLUMNS = ("name", "phone", "province", "city", "street")
ALIASES = {
    "姓名": "name",
    "收件人": "name",
    "手机": "phone",
    "手机号": "phone",
    "电话": "phone",
    "省": "province",
    "省份": "province",
    "市": "city",
    "城市": "city",
    "区县": "district",
    "区": "district",
    "详细地址": "street",
    "地址": "street",
    "礼包": "pack",
    "数量": "quantity",
}
MAX_LENGTHS = {"name": 64, "province": 32, "city": 32, "district": 32, "street": 200}
MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 10_000
MAX_QUANTITY = 999
MOBILE = re.compile(r"1[0-9]{10}")
WHOLE_NUMBER = re.compile(r"[0-9]+")
TEMPLATE_EXAMPLE = ("张三", "13800138000", "山东省", "德州市", "德城区", "新湖大街1号", "", "", "1")


class _Refused(Exception):
    """The whole file is refused (unreadable, empty, too large, too long)."""

    def __init__(self, error: RowError):
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    phone: str
    province: str
    city: str
    district: str
    street: str
    pack: str
    sku: str
    quantity: int


@dataclass
class UploadResult:
    """What an upload did: ``applied`` recipients, or the ``errors`` for which nothing was applied."""

    applied: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def template_csv() -> str:
    """The template download: the column names and one example line naming the cheapest published pack, if
    any (CSV, as ``core.spreadsheets`` writes); uploaded back as it is, it is valid."""
    example = list(TEMPLATE_EXAMPLE)
    pack = sellable_packs().order_by("price", "pk").first()
    example[COLUMNS.index("pack")] = pack.slug if pack else ""
    return csv_text(COLUMNS, [example])


def _is_xlsx(data: bytes, filename: str) -> bool:
    return filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04")


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else GB18030; anything else is refused."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
        break
    raise _Refused(RowError(None, _("The file is neither UTF-8 nor GB18030 text. In Excel, save it as “CSV UTF-8”.")))


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Refused(RowError(reader.line_num, _("This line cannot be read as CSV."))) from exc
        yield reader.line_num, record


def _text(value) -> str:
    """A spreadsheet cell as text; a whole number typed as a number (a phone) loses Excel's ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _Refused(RowError(None, _("The file cannot be read as an Excel workbook (.xlsx)."))) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_text(value) for value in values]
    finally:
        workbook.close()


def _column_index(line: int, header: list[str]) -> dict[str, int]:
    names = [ALIASES.get(name.strip(), name.strip().lower()) for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if "pack" not in names and "sku" not in names:
        missing.append("pack / sku")
    if missing:
        raise _Refused(
            RowError(
                line,
                _("The first line must name the columns %(required)s; missing: %(missing)s.")
                % {"required": ", ".join(COLUMNS), "missing": ", ".join(missing)},
            )
        )
    repeated = [column for column in COLUMNS if names.count(column) > 1]
    if repeated:
        raise _Refused(
            RowError(line, _("Column named more than once: %(columns)s.") % {"columns": ", ".join(repeated)})
        )
    return {column: names.index(column) for column in COLUMNS if column in names}


def _parse(records: Iterator[tuple[int, list[str]]]) -> tuple[list[_Row], list[RowError]]:
    header = next(records, None)
    if header is None:
        raise _Refused(RowError(None, _("The file is empty.")))
    index = _column_index(*header)
    rows, errors, count = [], [], 0
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue
        count += 1
        if count > MAX_ROWS:
            raise _Refused(RowError(line, _("Too many rows (at most %(count)d).") % {"count": MAX_ROWS}))

        def cell(column: str, record=record) -> str:
            position = index.get(column)
            if position is None or position >= len(record):
                return ""
            return unquote_cell(record[position].strip())

        values = {column: cell(column) for column in COLUMNS}
        problems = [
            _("“%(column)s” is missing.") % {"column": column} for column in REQUIRED_COLUMNS if not values[column]
        ]
        phone = values["phone"].replace(" ", "").replace("-", "")
        if phone and not MOBILE.fullmatch(phone):
            problems.append(
                _("“%(phone)s” is not an 11-digit mobile number starting with 1.") % {"phone": values["phone"][:20]}
            )
        problems.extend(
            _("“%(column)s” is longer than %(max)d characters.") % {"column": column, "max": limit}
            for column, limit in MAX_LENGTHS.items()
            if len(values[column]) > limit
        )
        if values["pack"] and values["sku"]:
            problems.append(_("Give a gift pack or a SKU, not both."))
        elif not (values["pack"] or values["sku"]):
            problems.append(_("A gift pack or a SKU is required."))
        quantity = values["quantity"] or "1"
        if not WHOLE_NUMBER.fullmatch(quantity) or not 1 <= int(quantity[:6]) <= MAX_QUANTITY:
            problems.append(
                _("Quantity “%(value)s” is not a whole number from 1 to %(max)d.")
                % {"value": quantity[:20], "max": MAX_QUANTITY}
            )
        if problems:
            errors.extend(RowError(line, problem) for problem in problems)
            continue
        rows.append(
            _Row(
                line=line,
                name=values["name"],
                phone=phone,
                province=values["province"],
                city=values["city"],
                district=values["district"],
                street=values["street"],
                pack=values["pack"],
                sku=values["sku"],
                quantity=int(quantity),
            )
        )
    return rows, errors


def _check(rows: list[_Row]) -> tuple[list[RowError], dict[str, Pack], dict[str, Variant]]:
    """Unknown packs and SKUs, and repeated lines (same recipient, address and item)."""
    wanted_packs = {row.pack for row in rows if row.pack}
    packs: dict[str, Pack] = {}
    for pack in sellable_packs().filter(Q(slug__in=wanted_packs) | Q(name__in=wanted_packs)).order_by("pk"):
        packs.setdefault(pack.slug, pack)
        packs.setdefault(pack.name, pack)
    variants = {variant.sku: variant for variant in sellable_variants().filter(sku__in={row.sku for row in rows})}

    errors, first_line = [], {}
    for row in rows:
        if row.pack:
            item = packs.get(row.pack)
            if item is None:
                errors.append(RowError(row.line, _("Unknown gift pack “%(pack)s”.") % {"pack": row.pack[:64]}))
                continue
        else:
            item = variants.get(row.sku)
            if item is None:
                errors.append(RowError(row.line, _("Unknown SKU “%(sku)s”.") % {"sku": row.sku[:64]}))
                continue
        key = (row.name, row.phone, row.province, row.city, row.district, row.street, type(item), item.pk)
        if key in first_line:
            errors.append(
                RowError(
                    row.line, _("The same as line %(line)d (recipient, address and item).") % {"line": first_line[key]}
                )
            )
            continue
        first_line[key] = row.line
    return errors, packs, variants


def upload_recipients(bulk_order: BulkOrder, data: bytes, *, filename: str, actor: User) -> UploadResult:
    """Check the whole file; if it has no problem, replace the draft's recipients with its lines in one
    transaction (and deliver the draft to them), else change nothing and return every problem."""
    if not can_edit(actor, bulk_order):
        raise BulkOrderError(_("Only a buyer of the organisation can change this bulk order."))
    try:
        if len(data) > MAX_BYTES:
            raise _Refused(
                RowError(None, _("The file is too large (at most %(size)d KB).") % {"size": MAX_BYTES // 1024})
            )
        records = _xlsx_records(data) if _is_xlsx(data, filename) else _csv_records(data)
        rows, errors = _parse(records)
    except _Refused as refused:
        return UploadResult(errors=[refused.error])
    check_errors, packs, variants = _check(rows)
    errors = sorted(errors + check_errors, key=lambda error: error.line or 0)
    if errors:
        return UploadResult(errors=errors)
    if not rows:
        return UploadResult(errors=[RowError(None, _("The file has no rows to import."))])

    with transaction.atomic():
        locked = BulkOrder.objects.select_for_update().get(pk=bulk_order.pk)
        if locked.status != BulkOrder.Status.DRAFT:
            raise BulkOrderError(_("Only a draft can be changed."))
        locked.recipients.all().delete()
        Recipient.objects.bulk_create(
            [
                Recipient(
                    bulk_order=locked,
                    line_number=row.line,
                    name=row.name,
                    phone=row.phone,
                    province=row.province,
                    city=row.city,
                    district=row.district,
                    street=row.street,
                    pack=packs.get(row.pack) if row.pack else None,
                    variant=None if row.pack else variants[row.sku],
                    quantity=row.quantity,
                )
                for row in rows
            ],
            batch_size=1000,
        )
        locked.delivery = BulkOrder.Delivery.RECIPIENTS
        locked.address = locked.counter = None
        locked.save(update_fields=["delivery", "address", "counter", "updated_at"])
    bulk_order.refresh_from_db()
    return UploadResult(applied=len(rows))
