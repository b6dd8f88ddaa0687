"""An organisation's purchases, read from the aid ledger (以购代捐 reporting, issue 19): what its members show their
superiors and the union's or unit's auditors.

Rules:
- the purchases are the aid-ledger entries of the organisation's bulk orders' shop orders
  (``order__bulk_order__organisation``): credits when an order was paid, debits when it was refunded, each in the
  period of its own time (a refund in the period it was made), so every figure is net of refunds;
- a period is a calendar month, quarter or year (local days, ``Period``);
- certified purchases (the aid figure) are the entries ``orders.aid.selectors.CERTIFIED`` counts, read from each
  entry's certificate snapshot; the others are uncertified purchases, shown apart, never added to the aid figure;
- the organisation's ``annual_target`` (fen; 0: none) is compared with its certified purchases of the period's
  year up to the end of the period, as a share in per cent (one decimal, half up);
- rows per producer (merchant) and per product (the ledger's product name), in a fixed order;
- the CSV/XLSX export (``core.spreadsheets``: formula cells neutralised) is written in the site's language
  whoever asks and holds no time but the period's end, so a closed period gives the same bytes every time until
  a fact it shows changes (an entry, a producer's name, the target).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.money import fen_to_decimal
from core.spreadsheets import CONTENT_TYPES, CSV, XLSX, csv_text, reproducible_xlsx_bytes
from orders.aid.export import period_end_timestamp
from orders.aid.reports import in_period
from orders.aid.selectors import CERTIFIED, UNCERTIFIED
from orders.models import AidLedgerEntry, Organisation

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
PERIOD_KINDS = (MONTH, QUARTER, YEAR)


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year: ``start`` and ``end`` are its first and last (local) days."""

    kind: str
    start: date
    end: date

    @property
    def code(self) -> str:
        """How the period is named in a URL and a file name: ``2026-11``, ``2026-Q4`` or ``2026``."""
        if self.kind == MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def label(self) -> str:
        """The period as shown: ``2026-11``, ``2026 Q4`` or ``2026``."""
        return self.code.replace("-Q", " Q")

    def is_closed(self, today: date | None = None) -> bool:
        return self.end < (today or timezone.localdate())


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def period_of(kind: str, day: date) -> Period:
    """The month, quarter or year (``kind``) that contains ``day``."""
    if kind == MONTH:
        return Period(MONTH, date(day.year, day.month, 1), _month_end(day.year, day.month))
    if kind == QUARTER:
        first = (day.month - 1) // 3 * 3 + 1
        return Period(QUARTER, date(day.year, first, 1), _month_end(day.year, first + 2))
    if kind == YEAR:
        return Period(YEAR, date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(kind)


def parse_period(code: str) -> Period | None:
    """The period a ``Period.code`` names (``2026-11``, ``2026-Q4``, ``2026``); None for anything else."""
    year, _sep, rest = code.strip().partition("-")
    if not (year.isdigit() and len(year) == 4) or int(year) < 2000:
        return None
    if not rest:
        return period_of(YEAR, date(int(year), 1, 1))
    if rest[:1] in "Qq" and rest[1:] in ("1", "2", "3", "4"):
        return period_of(QUARTER, date(int(year), (int(rest[1:]) - 1) * 3 + 1, 1))
    if rest.isdigit() and len(rest) == 2 and 1 <= int(rest) <= 12:
        return period_of(MONTH, date(int(year), int(rest), 1))
    return None


def purchase_entries(organisation: Organisation) -> QuerySet[AidLedgerEntry]:
    """Every aid-ledger entry of the organisation's bulk orders (credits and refund debits, certified or not)."""
    return AidLedgerEntry.objects.filter(order__bulk_order__organisation=organisation)


def period_choices(organisation: Organisation, today: date | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The periods one may choose, newest first, grouped (months, quarters, years): from the year of the
    organisation's first purchase (this year when it has none) to the period containing ``today``."""
    today = today or timezone.localdate()
    first = purchase_entries(organisation).order_by("created_at").values_list("created_at", flat=True).first()
    first_year = min(timezone.localtime(first).year, today.year) if first else today.year
    months, quarters, years = [], [], []
    for year in range(today.year, first_year - 1, -1):
        years.append(period_of(YEAR, date(year, 1, 1)))
        for month in range(12, 0, -1):
            if date(year, month, 1) <= today:
                months.append(period_of(MONTH, date(year, month, 1)))
                if month % 3 == 1:
                    quarters.append(period_of(QUARTER, date(year, month, 1)))
    return [
        (str(_("Months")), [(p.code, p.label) for p in months]),
        (str(_("Quarters")), [(p.code, p.label) for p in quarters]),
        (str(_("Years")), [(p.code, p.label) for p in years]),
    ]


@dataclass(frozen=True)
class ProducerRow:
    """One producer's part of the purchases of the period, in fen."""

    merchant_id: int
    producer: str
    certified: int
    uncertified: int

    @property
    def total(self) -> int:
        return self.certified + self.uncertified


@dataclass(frozen=True)
class ProductRow:
    """One product's part of the purchases of the period: the units kept (bought less refunded) and fen."""

    product_id: int
    product: str
    merchant_id: int
    producer: str
    quantity: int
    certified: int
    uncertified: int

    @property
    def total(self) -> int:
        return self.certified + self.uncertified


@dataclass(frozen=True)
class OrganisationReport:
    """An organisation's purchases in a period, net of refunds, in fen; ``refunds`` is what was given back in
    it (positive), already deducted from the other figures."""

    organisation: Organisation
    period: Period
    certified: int
    uncertified: int
    refunds: int
    year_certified: int  # certified purchases from 1 January of the period's year to the end of the period
    target: int  # the organisation's annual target (fen), 0 when none is set
    producers: list[ProducerRow]
    products: list[ProductRow]

    @property
    def total(self) -> int:
        return self.certified + self.uncertified

    @property
    def target_share(self) -> Decimal | None:
        """``year_certified`` as a percentage of the annual target (one decimal, half up); None without one."""
        if not self.target:
            return None
        return (Decimal(self.year_certified) * 100 / Decimal(self.target)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def empty(self) -> bool:
        return not self.producers


def _split() -> dict[str, Any]:
    return {
        "certified": Coalesce(Sum("amount", filter=CERTIFIED), 0),
        "uncertified": Coalesce(Sum("amount", filter=UNCERTIFIED), 0),
    }


def organisation_report(organisation: Organisation, period: Period) -> OrganisationReport:
    """The organisation's purchases in ``period`` (see the module's rules), in four queries."""
    entries = in_period(purchase_entries(organisation), period.start, period.end).order_by()
    totals = entries.aggregate(**_split(), refunds=Coalesce(Sum("amount", filter=Q(amount__lt=0)), 0))
    year = in_period(purchase_entries(organisation), date(period.start.year, 1, 1), period.end).order_by()
    year_certified = year.aggregate(certified=Coalesce(Sum("amount", filter=CERTIFIED), 0))["certified"]
    producers = [
        ProducerRow(row["merchant_id"], row["merchant__name"], row["certified"], row["uncertified"])
        for row in entries.values("merchant_id", "merchant__name").annotate(**_split())
    ]
    products = [
        ProductRow(
            row["product_id"],
            row["name"],
            row["merchant_id"],
            row["merchant__name"],
            row["quantity"],
            row["certified"],
            row["uncertified"],
        )
        for row in entries.values("product_id", "merchant_id", "merchant__name").annotate(
            name=Max("product_name"), quantity=Coalesce(Sum("quantity"), 0), **_split()
        )
    ]
    producers.sort(key=lambda row: (-row.total, row.producer, row.merchant_id))
    products.sort(key=lambda row: (-row.total, row.product, row.product_id))
    return OrganisationReport(
        organisation=organisation,
        period=period,
        certified=totals["certified"],
        uncertified=totals["uncertified"],
        refunds=-totals["refunds"],
        year_certified=year_certified,
        target=organisation.annual_target,
        producers=producers,
        products=products,
    )


# The export's columns: key, heading. Row types are codes, as in the monitoring export.
COLUMNS: list[tuple[str, Any]] = [
    ("organisation", pgettext_lazy("purchases export column", "Organisation")),
    ("period", pgettext_lazy("purchases export column", "Period")),
    ("row_type", pgettext_lazy("purchases export column", "Row type")),
    ("producer", pgettext_lazy("purchases export column", "Producer")),
    ("product", pgettext_lazy("purchases export column", "Product")),
    ("quantity", pgettext_lazy("purchases export column", "Quantity")),
    ("certified", pgettext_lazy("purchases export column", "Certified (yuan)")),
    ("uncertified", pgettext_lazy("purchases export column", "Uncertified (yuan)")),
    ("total", pgettext_lazy("purchases export column", "Total (yuan)")),
    ("share", pgettext_lazy("purchases export column", "Share of annual target (%)")),
]

PRODUCT = "product"
PRODUCER_TOTAL = "producer_total"
TOTAL = "total"
REFUNDS = "refunds"
YEAR_CERTIFIED = "year_certified"
ANNUAL_TARGET = "annual_target"


def _row(report: OrganisationReport, row_type: str, **cells: Any) -> list[Any]:
    values = {"organisation": report.organisation.name, "period": report.period.label, "row_type": row_type, **cells}
    for key in ("certified", "uncertified", "total"):
        if isinstance(values.get(key), int):
            values[key] = fen_to_decimal(values[key])
    return [values.get(key, "") for key, _heading in COLUMNS]


def export_rows(report: OrganisationReport) -> list[list[Any]]:
    """The export's rows: per product, per producer, the period's total and refunds, then the year's certified
    purchases, the annual target and the share (when a target is set)."""
    rows = [
        _row(
            report,
            PRODUCT,
            producer=row.producer,
            product=row.product,
            quantity=row.quantity,
            certified=row.certified,
            uncertified=row.uncertified,
            total=row.total,
        )
        for row in report.products
    ]
    rows += [
        _row(
            report,
            PRODUCER_TOTAL,
            producer=row.producer,
            certified=row.certified,
            uncertified=row.uncertified,
            total=row.total,
        )
        for row in report.producers
    ]
    rows.append(_row(report, TOTAL, certified=report.certified, uncertified=report.uncertified, total=report.total))
    rows.append(_row(report, REFUNDS, total=-report.refunds))
    share = report.target_share
    rows.append(_row(report, YEAR_CERTIFIED, certified=report.year_certified, share="" if share is None else share))
    if report.target:
        rows.append(_row(report, ANNUAL_TARGET, certified=report.target))
    return rows


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content: bytes
    content_type: str


def export_header() -> list[str]:
    return [str(heading) for _key, heading in COLUMNS]


def report_file(report: OrganisationReport, fmt: str) -> ReportFile:
    """The report as CSV (UTF-8 with a byte-order mark, CRLF) or XLSX (one sheet, dated the period's end)."""
    with translation.override(settings.LANGUAGE_CODE):
        header = export_header()
        rows = export_rows(report)
        title = str(_("Purchases"))
    if fmt == CSV:
        content = csv_text(header, rows).encode("utf-8")
    elif fmt == XLSX:
        content = reproducible_xlsx_bytes(header, rows, title=title, timestamp=period_end_timestamp(report.period.end))
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    filename = f"purchases-{report.organisation.pk}-{report.period.code}.{fmt}"
    return ReportFile(filename, content, CONTENT_TYPES[fmt])


def codes(choices: Iterable[tuple[str, list[tuple[str, str]]]]) -> set[str]:
    """Every period code among grouped ``choices`` (``period_choices``)."""
    return {code for _group, options in choices for code, _label in options}
