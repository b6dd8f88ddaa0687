"""The monitoring export: a period's aid sales for the programme, as CSV or XLSX (``docs/aid-export.md``).

Rules:
- Entries of the ledger from the start of ``date_from`` to the end of ``date_to`` (Beijing days), a refund
  in the period it was made. Certified sales only, read from each entry's certificate snapshot (an entry
  with no certificate number is uncertified); with ``include_uncertified`` the uncertified ones follow in
  a section of their own. Nothing is read from today's certificates.
- One ``line`` row per producer, product, certificate (number and issuer), township, paired division,
  channel and counter, then per section the totals per producer, per channel and the section's total.
  Amounts are integer fen summed in the database and written as yuan with two decimals.
- Reproducible: rows in a fixed order (sorted on their text, not by the database's collation), headings
  and labels in the site's language whoever exports, no time in the file; the XLSX metadata is dated the
  end of the period. A closed period gives the same bytes until a fact it shows changes (an entry, or a
  producer's, counter's or region's name).
- Every download is recorded (``AidExport``): who, when, the format, the file's SHA-256 and row count.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Location, Merchant
from catalog.regions import DezhouCounty, XiushanTownship
from core.money import fen_to_decimal
from core.scopes import User
from core.spreadsheets import CONTENT_TYPES, csv_text, reproducible_xlsx_bytes
from orders.aid.reports import in_period
from orders.aid.selectors import certified_entries
from orders.models import AidChannel, AidExport, AidLedgerEntry

CERTIFIED = "certified"
UNCERTIFIED = "uncertified"

LINE = "line"
PRODUCER_TOTAL = "producer_total"
CHANNEL_TOTAL = "channel_total"
TOTAL = "total"

# The column schema (docs/aid-export.md): key, heading. Add columns at the end only.
# Headings carry the context "aid export column": their own translations, apart from the same words elsewhere.
COLUMNS: list[tuple[str, Any]] = [
    ("section", pgettext_lazy("aid export column", "Section")),
    ("row_type", pgettext_lazy("aid export column", "Row type")),
    ("period", pgettext_lazy("aid export column", "Period")),
    ("product_id", pgettext_lazy("aid export column", "Product ID")),
    ("product", pgettext_lazy("aid export column", "Product")),
    ("certificate_number", pgettext_lazy("aid export column", "Certificate number")),
    ("certificate_issuer", pgettext_lazy("aid export column", "Issuing body")),
    ("producer_id", pgettext_lazy("aid export column", "Producer ID")),
    ("producer", pgettext_lazy("aid export column", "Producer")),
    ("township", pgettext_lazy("aid export column", "Township")),
    ("paired_county", pgettext_lazy("aid export column", "Paired Dezhou division")),
    ("channel", pgettext_lazy("aid export column", "Channel")),
    ("counter", pgettext_lazy("aid export column", "Counter")),
    ("quantity", pgettext_lazy("aid export column", "Quantity sold")),
    ("refunded_quantity", pgettext_lazy("aid export column", "Quantity refunded")),
    ("sales", pgettext_lazy("aid export column", "Sales (yuan)")),
    ("refunds", pgettext_lazy("aid export column", "Refunds (yuan)")),
    ("net", pgettext_lazy("aid export column", "Net (yuan)")),
    ("entries", pgettext_lazy("aid export column", "Entries")),
]

GROUPING = (
    "merchant_id",
    "product_id",
    "certificate_number",
    "certificate_issuer",
    "township",
    "paired_county",
    "channel",
    "counter_id",
)


@dataclass(frozen=True)
class Figures:
    """Sums of a group of entries: quantities and fen; refunds as positive numbers."""

    quantity: int = 0
    refunded_quantity: int = 0
    sales: int = 0
    refunds: int = 0
    entries: int = 0

    @property
    def net(self) -> int:
        return self.sales - self.refunds

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.quantity + other.quantity,
            self.refunded_quantity + other.refunded_quantity,
            self.sales + other.sales,
            self.refunds + other.refunds,
            self.entries + other.entries,
        )


@dataclass(frozen=True)
class Line:
    """One ``line`` row: what identifies it (as written in the file) and its figures."""

    section: str
    product_id: int
    product: str
    certificate_number: str
    certificate_issuer: str
    producer_id: int
    producer: str
    township: str
    paired_county: str
    channel: str
    counter: str
    figures: Figures

    def sort_key(self) -> tuple:
        return (
            self.producer,
            self.producer_id,
            self.product,
            self.product_id,
            self.certificate_number,
            self.certificate_issuer,
            self.township,
            self.paired_county,
            channel_order(self.channel),
            self.counter,
        )


@dataclass(frozen=True)
class ExportTable:
    """The heading and rows of one export, ready to write as CSV or XLSX."""

    date_from: date
    date_to: date
    include_uncertified: bool
    header: list[str]
    rows: list[list[Any]]
    lines: list[Line]

    @property
    def filename(self) -> str:
        suffix = "-with-uncertified" if self.include_uncertified else ""
        return f"aid-monitoring-{self.date_from.isoformat()}-{self.date_to.isoformat()}{suffix}"


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    content_type: str
    record: AidExport


def channel_order(channel: str) -> tuple[int, str]:
    """Known channels in the order they are declared (online, counter, …), unknown ones after, by code."""
    known = list(AidChannel.values)
    return (known.index(channel), "") if channel in known else (len(known), channel)


def period_label(date_from: date, date_to: date) -> str:
    """The period as an ISO 8601 interval of days: ``2026-10-01/2026-10-31``."""
    return f"{date_from.isoformat()}/{date_to.isoformat()}"


def _sums() -> dict[str, Any]:
    credit, debit = Q(amount__gt=0), Q(amount__lt=0)
    return {
        "quantity_sold": Coalesce(Sum("quantity", filter=credit), 0),
        "quantity_refunded": Coalesce(Sum("quantity", filter=debit), 0),
        "credits": Coalesce(Sum("amount", filter=credit), 0),
        "debits": Coalesce(Sum("amount", filter=debit), 0),
        "count": Count("pk"),
    }


def _product_names(entries: QuerySet[AidLedgerEntry]) -> dict[int, str]:
    """Each product's name as the ledger recorded it on its last entry of the period."""
    latest = entries.order_by("product_id", "-created_at", "-pk").distinct("product_id")
    return dict(latest.values_list("product_id", "product_name"))


def export_lines(date_from: date, date_to: date, *, include_uncertified: bool = False) -> list[Line]:
    """The ``line`` rows of the period, certified first, each section in the file's order."""
    entries = in_period(AidLedgerEntry.objects.all(), date_from, date_to)
    if not include_uncertified:
        entries = certified_entries(entries)
    grouped = list(entries.order_by().values(*GROUPING).annotate(**_sums()))
    if not grouped:
        return []
    products = _product_names(entries)
    producers = dict(Merchant.objects.filter(pk__in={g["merchant_id"] for g in grouped}).values_list("pk", "name"))
    counter_ids = {g["counter_id"] for g in grouped} - {None}
    counters = dict(Location.objects.filter(pk__in=counter_ids).values_list("pk", "name"))
    townships, counties = dict(XiushanTownship.choices), dict(DezhouCounty.choices)
    lines = [
        Line(
            section=UNCERTIFIED if g["certificate_number"] == "" else CERTIFIED,
            product_id=g["product_id"],
            product=products.get(g["product_id"], ""),
            certificate_number=g["certificate_number"],
            certificate_issuer=g["certificate_issuer"],
            producer_id=g["merchant_id"],
            producer=producers[g["merchant_id"]],
            township=str(townships.get(g["township"], g["township"])),
            paired_county=str(counties.get(g["paired_county"], g["paired_county"])),
            channel=g["channel"],
            counter=counters.get(g["counter_id"], ""),
            figures=Figures(
                quantity=g["quantity_sold"],
                refunded_quantity=-g["quantity_refunded"],
                sales=g["credits"],
                refunds=-g["debits"],
                entries=g["count"],
            ),
        )
        for g in grouped
    ]
    return sorted(lines, key=lambda line: (line.section != CERTIFIED, line.sort_key()))


def _money(fen: int) -> Any:
    return fen_to_decimal(fen)


def _row(section: str, row_type: str, period: str, figures: Figures, **cells: Any) -> list[Any]:
    values = {
        "section": section,
        "row_type": row_type,
        "period": period,
        "quantity": figures.quantity,
        "refunded_quantity": figures.refunded_quantity,
        "sales": _money(figures.sales),
        "refunds": _money(figures.refunds),
        "net": _money(figures.net),
        "entries": figures.entries,
        **cells,
    }
    return [values.get(key, "") for key, _heading in COLUMNS]


def _only(values: Iterable[str]) -> str:
    """The one value all lines share, or empty when they differ."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else ""


def _section_rows(section: str, period: str, lines: list[Line]) -> list[list[Any]]:
    """A section's ``line`` rows, then its totals per producer, per channel, and its total."""
    rows = [
        _row(
            section,
            LINE,
            period,
            line.figures,
            product_id=line.product_id,
            product=line.product,
            certificate_number=line.certificate_number,
            certificate_issuer=line.certificate_issuer,
            producer_id=line.producer_id,
            producer=line.producer,
            township=line.township,
            paired_county=line.paired_county,
            channel=line.channel,
            counter=line.counter,
        )
        for line in lines
    ]
    by_producer: dict[tuple[str, int], list[Line]] = defaultdict(list)
    by_channel: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_producer[(line.producer, line.producer_id)].append(line)
        by_channel[line.channel].append(line)
    for (producer, producer_id), group in sorted(by_producer.items()):
        rows.append(
            _row(
                section,
                PRODUCER_TOTAL,
                period,
                sum((line.figures for line in group), Figures()),
                producer_id=producer_id,
                producer=producer,
                township=_only(line.township for line in group),
                paired_county=_only(line.paired_county for line in group),
            )
        )
    for channel in sorted(by_channel, key=channel_order):
        figures = sum((line.figures for line in by_channel[channel]), Figures())
        rows.append(_row(section, CHANNEL_TOTAL, period, figures, channel=channel))
    rows.append(_row(section, TOTAL, period, sum((line.figures for line in lines), Figures())))
    return rows


def export_table(date_from: date, date_to: date, *, include_uncertified: bool = False) -> ExportTable:
    """The export's heading and rows, in the site's language (``settings.LANGUAGE_CODE``) whoever asks.

    The certified section always has its total row (zero when there were no certified sales); the
    uncertified section follows only with ``include_uncertified``."""
    period = period_label(date_from, date_to)
    with translation.override(settings.LANGUAGE_CODE):
        lines = export_lines(date_from, date_to, include_uncertified=include_uncertified)
        header = [str(heading) for _key, heading in COLUMNS]
        sections = [CERTIFIED, UNCERTIFIED] if include_uncertified else [CERTIFIED]
        rows: list[list[Any]] = []
        for section in sections:
            rows.extend(_section_rows(section, period, [line for line in lines if line.section == section]))
    return ExportTable(date_from, date_to, include_uncertified, header, rows, lines)


def period_end_timestamp(date_to: date) -> datetime:
    """The end of the period (local midnight after ``date_to``) as naive UTC: the XLSX metadata's time."""
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    return end.astimezone(UTC).replace(tzinfo=None)


def render(table: ExportTable, fmt: str) -> bytes:
    """The file's bytes: CSV (UTF-8 with a byte-order mark, CRLF) or XLSX (one sheet, no current time)."""
    if fmt == AidExport.Format.CSV:
        return csv_text(table.header, table.rows).encode("utf-8")
    if fmt == AidExport.Format.XLSX:
        with translation.override(settings.LANGUAGE_CODE):
            title = str(_("Consumption aid"))
        return reproducible_xlsx_bytes(
            table.header, table.rows, title=title, timestamp=period_end_timestamp(table.date_to)
        )
    raise ValueError(f"Unknown export format {fmt!r}")


def export_file(
    date_from: date, date_to: date, fmt: str, *, actor: User | None, include_uncertified: bool = False
) -> ExportFile:
    """Build the export and record the download (who, when, format, SHA-256, rows) in ``AidExport``."""
    if date_from > date_to:
        raise ValueError("The period must start before it ends.")
    table = export_table(date_from, date_to, include_uncertified=include_uncertified)
    content = render(table, fmt)
    record = AidExport.objects.create(
        period_start=date_from,
        period_end=date_to,
        format=fmt,
        include_uncertified=include_uncertified,
        exported_by=actor if actor is not None and actor.is_authenticated else None,
        sha256=hashlib.sha256(content).hexdigest(),
        row_count=len(table.rows),
    )
    return ExportFile(f"{table.filename}.{fmt}", content, CONTENT_TYPES[fmt], record)
