"""Reads of the aid ledger: per-user scope, report aggregations, statements, impact figures, certificates.

Every report is one ``values().annotate(Sum(...))`` query over the entries in scope; the public
impact figures are a handful of such queries whose result is cached (``IMPACT_CACHE_KEY``) and
dropped when the ledger changes, so a page view never aggregates the whole ledger itself.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Merchant, Product
from catalog.regions import DezhouCounty, XiushanTownship
from catalog.selectors import User, member_merchant_ids, sees_all_merchants
from orders.aid.models import AID_SETTINGS_CACHE_KEY, AidChannel, AidLedgerEntry, AidSettings, Settlement

IMPACT_CACHE_KEY = "aid:impact:v1"
IMPACT_CACHE_SECONDS = 300
SETTINGS_CACHE_SECONDS = 300
TOP_PRODUCTS = 5

PERIODS = {"day": TruncDay, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}

# Report dimensions: (label, the fields grouped by, how a row's key is shown).
DIMENSIONS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "day": (_("Day"), ("period",)),
    "month": (_("Month"), ("period",)),
    "quarter": (_("Quarter"), ("period",)),
    "year": (_("Year"), ("period",)),
    "merchant": (_("Producer"), ("merchant_id", "merchant__name")),
    "township": (_("Township"), ("township",)),
    "paired_county": (_("Paired Dezhou division"), ("paired_county",)),
    "counter": (_("Counter"), ("counter_id", "counter__name")),
    "category": (_("Category"), ("category_id", "category__name")),
    "channel": (_("Channel"), ("channel",)),
}

CHOICE_LABELS = {
    "township": dict(XiushanTownship.choices),
    "paired_county": dict(DezhouCounty.choices),
    "channel": dict(AidChannel.choices),
}


# --- Scope -----------------------------------------------------------------------------------------


def entries_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet[AidLedgerEntry]:
    """Ledger entries the user may see: all for operators, their own producers' for merchant members."""
    queryset = AidLedgerEntry.objects.all() if queryset is None else queryset
    if sees_all_merchants(user):
        return queryset
    return queryset.filter(merchant_id__in=member_merchant_ids(user))


def settlements_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet[Settlement]:
    queryset = Settlement.objects.all() if queryset is None else queryset
    if sees_all_merchants(user):
        return queryset
    return queryset.filter(merchant_id__in=member_merchant_ids(user))


# --- Reports ---------------------------------------------------------------------------------------


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day`` (the site's time zone)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def in_period(queryset: QuerySet, date_from: date | None, date_to: date | None) -> QuerySet:
    """Entries from the start of ``date_from`` to the end of ``date_to`` (both local days, both optional)."""
    if date_from:
        queryset = queryset.filter(created_at__gte=day_start(date_from))
    if date_to:
        queryset = queryset.filter(created_at__lt=day_start(date_to + timedelta(days=1)))
    return queryset


@dataclass(frozen=True)
class ReportRow:
    key: Any
    label: str
    credits: int
    debits: int
    net: int
    entries: int


@dataclass(frozen=True)
class Report:
    dimension: str
    rows: list[ReportRow]
    credits: int
    debits: int
    net: int
    entries: int


def _period_label(dimension: str, value: datetime | None) -> str:
    if value is None:
        return "-"
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    if dimension == "day":
        return value.strftime("%Y-%m-%d")
    if dimension == "month":
        return value.strftime("%Y-%m")
    if dimension == "quarter":
        return f"{value.year} Q{(value.month - 1) // 3 + 1}"
    return str(value.year)


def _row_label(dimension: str, values: dict[str, Any]) -> tuple[Any, str]:
    if dimension in PERIODS:
        return values["period"], _period_label(dimension, values["period"])
    fields = DIMENSIONS[dimension][1]
    key = values[fields[0]]
    if dimension in CHOICE_LABELS:
        return key, str(CHOICE_LABELS[dimension].get(key, key))
    if key is None:
        return None, str(_("None (delivered from the warehouse)")) if dimension == "counter" else "-"
    return key, values[fields[1]]


def _sums() -> dict[str, Any]:
    return {
        "credits": Coalesce(Sum("amount", filter=Q(amount__gt=0)), 0),
        "debits": Coalesce(Sum("amount", filter=Q(amount__lt=0)), 0),
        "net": Coalesce(Sum("amount"), 0),
        "entries": Count("pk"),
    }


def report(queryset: QuerySet[AidLedgerEntry], dimension: str) -> Report:
    """Credits, debits (as a positive amount) and net, in fen, of ``queryset`` grouped by ``dimension``."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    queryset = queryset.order_by()
    if dimension in PERIODS:
        queryset = queryset.annotate(period=PERIODS[dimension]("created_at"))
    fields = DIMENSIONS[dimension][1]
    grouped = queryset.values(*fields).annotate(**_sums()).order_by(*fields)
    rows = []
    for values in grouped:
        key, label = _row_label(dimension, values)
        rows.append(ReportRow(key, label, values["credits"], -values["debits"], values["net"], values["entries"]))
    if dimension not in PERIODS:
        rows.sort(key=lambda row: (-row.net, row.label))
    return Report(
        dimension,
        rows,
        credits=sum(row.credits for row in rows),
        debits=sum(row.debits for row in rows),
        net=sum(row.net for row in rows),
        entries=sum(row.entries for row in rows),
    )


def report_totals(queryset: QuerySet[AidLedgerEntry]) -> dict[str, int]:
    """Credits, debits (positive) and net of ``queryset`` in one query."""
    totals = queryset.order_by().aggregate(**_sums())
    return {**totals, "debits": -totals["debits"]}


# --- Statements -----------------------------------------------------------------------------------


@dataclass
class Statement:
    """What a merchant is owed for a period: every entry not yet settled up to the period's end."""

    merchant: Merchant
    period_start: date
    period_end: date
    entries: list[AidLedgerEntry]
    fee_basis_points: int
    gross: int = 0
    refunds: int = 0
    fee: int = 0
    net: int = 0
    carried_over: int = field(default=0)


def platform_fee(amount: int, basis_points: int) -> int:
    """The fee on ``amount`` fen at ``basis_points`` (1/100 of a percent), rounded half up; never negative."""
    if amount <= 0 or basis_points <= 0:
        return 0
    return (amount * basis_points + 5000) // 10000


def unsettled_entries(merchant: Merchant, period_end: date) -> QuerySet[AidLedgerEntry]:
    """The merchant's entries up to the end of ``period_end`` that no settlement covers yet, oldest first."""
    return (
        AidLedgerEntry.objects.filter(merchant=merchant, created_at__lt=day_start(period_end + timedelta(days=1)))
        .filter(settled__isnull=True)
        .select_related("counter")
        .order_by("created_at", "pk")
    )


def statement(merchant: Merchant, period_start: date, period_end: date, *, fee_basis_points: int) -> Statement:
    """The open statement: unsettled entries to ``period_end`` (older unsettled ones are carried over)."""
    entries = list(unsettled_entries(merchant, period_end))
    return summarise(Statement(merchant, period_start, period_end, entries, fee_basis_points))


def summarise(result: Statement) -> Statement:
    result.gross = sum(entry.amount for entry in result.entries if entry.amount > 0)
    result.refunds = -sum(entry.amount for entry in result.entries if entry.amount < 0)
    result.fee = platform_fee(result.gross - result.refunds, result.fee_basis_points)
    result.net = result.gross - result.refunds - result.fee
    start = day_start(result.period_start)
    result.carried_over = sum(1 for entry in result.entries if entry.created_at < start)
    return result


def settled_statement(settlement: Settlement) -> Statement:
    """A settlement as a statement: the entries it covered and the totals recorded when it was settled."""
    entries = list(
        AidLedgerEntry.objects.filter(settled__settlement=settlement)
        .select_related("counter")
        .order_by("created_at", "pk")
    )
    result = Statement(
        settlement.merchant, settlement.period_start, settlement.period_end, entries, settlement.fee_basis_points
    )
    result.gross, result.refunds, result.fee, result.net = (
        settlement.gross,
        settlement.refunds,
        settlement.fee,
        settlement.net,
    )
    start = day_start(settlement.period_start)
    result.carried_over = sum(1 for entry in entries if entry.created_at < start)
    return result


# --- Settings -------------------------------------------------------------------------------------


def aid_settings() -> dict[str, Any]:
    """The aid settings as plain values, cached (dropped when the settings are saved)."""
    values = cache.get(AID_SETTINGS_CACHE_KEY)
    if values is None:
        current = AidSettings.load()
        values = {
            "platform_fee_basis_points": current.platform_fee_basis_points,
            "hide_expired_products": current.hide_expired_products,
        }
        cache.set(AID_SETTINGS_CACHE_KEY, values, SETTINGS_CACHE_SECONDS)
    return values


# --- Certificates ----------------------------------------------------------------------------------


def _certificate(prefix: str, today: date) -> tuple[Q, Q]:
    """(valid, expired) conditions on the certificate at ``prefix`` (e.g. ``merchant__``)."""
    has_number = ~Q(**{f"{prefix}aid_certificate_number": ""})
    valid = has_number & Q(**{f"{prefix}aid_certificate_valid_until__gte": today})
    expired = has_number & Q(**{f"{prefix}aid_certificate_valid_until__lt": today})
    return valid, expired


def expired_certificate_condition(prefix: str = "", today: date | None = None) -> Q:
    """Products (at ``prefix``) whose own or producer's certificate has expired and none is valid."""
    today = today or timezone.localdate()
    product_valid, product_expired = _certificate(prefix, today)
    merchant_valid, merchant_expired = _certificate(f"{prefix}merchant__", today)
    return (product_expired | merchant_expired) & ~product_valid & ~merchant_valid


def certificate_expired(product: Product, today: date | None = None) -> bool:
    """The same rule as ``expired_certificate_condition`` for a product loaded with its merchant."""
    today = today or timezone.localdate()

    def expired(holder: Any) -> bool:
        until = holder.aid_certificate_valid_until
        return bool(holder.aid_certificate_number and until and until < today)

    merchant = product.merchant
    return (expired(product) or expired(merchant)) and not (
        product.has_valid_aid_certificate or merchant.has_valid_aid_certificate
    )


def hidden_for_expired_certificate(prefix: str = "") -> Q | None:
    """The products (at ``prefix``) taken off sale for an expired certificate, or None when the setting is off."""
    if not aid_settings()["hide_expired_products"]:
        return None
    return expired_certificate_condition(prefix)


def is_hidden_for_expired_certificate(product: Product) -> bool:
    return bool(aid_settings()["hide_expired_products"] and certificate_expired(product))


def expired_merchant_certificates(today: date) -> QuerySet[Merchant]:
    return Merchant.objects.filter(_certificate("", today)[1]).order_by("pk")


def expired_product_certificates(today: date) -> QuerySet[Product]:
    return Product.objects.filter(_certificate("", today)[1]).select_related("merchant").order_by("pk")


# --- Public impact figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    """An amount for a township, county, month or product; choice labels are looked up when shown."""

    key: str
    amount: int
    name: str = ""
    kind: str = ""

    @property
    def label(self) -> str:
        if self.kind in CHOICE_LABELS:
            return str(CHOICE_LABELS[self.kind].get(self.key, self.key))
        return self.name


@dataclass(frozen=True)
class ImpactFigures:
    """What the public impact page shows; plain values, so it can be cached."""

    total: int
    orders: int
    counter_sales: int
    producers: int
    households: int
    by_township: list[Amount]
    by_county: list[Amount]
    monthly: list[Amount]
    top_products: list[Amount]


def _grouped(amounts: dict[str, int], kind: str) -> list[Amount]:
    rows = [Amount(key, amount, kind=kind) for key, amount in amounts.items() if amount]
    return sorted(rows, key=lambda row: (-row.amount, row.key))


def compute_impact_figures() -> ImpactFigures:
    """The impact figures from the whole ledger in two queries (called on a cache miss only).

    One query sums the ledger by producer, place, month and product (a few hundred rows at most,
    whatever the number of entries); the totals, places, trend and top products are added up from it.
    The other counts the distinct orders and counter sales credited.
    """
    entries = AidLedgerEntry.objects.order_by()
    grouped = (
        entries.annotate(month=TruncMonth("created_at"))
        .values(
            "merchant_id",
            "merchant__households_benefited",
            "township",
            "paired_county",
            "month",
            "product_id",
            "product__name",
        )
        .annotate(net=Sum("amount"))
    )
    townships: dict[str, int] = {}
    counties: dict[str, int] = {}
    merchants: dict[int, int] = {}
    households: dict[int, int] = {}
    months: dict[datetime, int] = {}
    products: dict[int, int] = {}
    names: dict[int, str] = {}
    for row in grouped:
        net = row["net"]
        townships[row["township"]] = townships.get(row["township"], 0) + net
        counties[row["paired_county"]] = counties.get(row["paired_county"], 0) + net
        merchants[row["merchant_id"]] = merchants.get(row["merchant_id"], 0) + net
        households[row["merchant_id"]] = row["merchant__households_benefited"]
        months[row["month"]] = months.get(row["month"], 0) + net
        products[row["product_id"]] = products.get(row["product_id"], 0) + net
        names[row["product_id"]] = row["product__name"]
    reached = [pk for pk, net in merchants.items() if net > 0]
    counts = entries.filter(amount__gt=0).aggregate(
        orders=Count("order_id", distinct=True), counter_sales=Count("counter_sale_id", distinct=True)
    )
    top = sorted(((net, pk) for pk, net in products.items() if net > 0), key=lambda item: (-item[0], item[1]))
    return ImpactFigures(
        total=sum(merchants.values()),
        orders=counts["orders"],
        counter_sales=counts["counter_sales"],
        producers=len(reached),
        households=sum(households[pk] for pk in reached),
        by_township=_grouped(townships, "township"),
        by_county=_grouped(counties, "paired_county"),
        monthly=[
            Amount(_period_label("month", month), net, name=_period_label("month", month))
            for month, net in sorted(months.items())
        ],
        top_products=[Amount(str(pk), net, name=names[pk]) for net, pk in top[:TOP_PRODUCTS]],
    )


def impact_figures() -> ImpactFigures:
    """The cached impact figures: recomputed at most every ``IMPACT_CACHE_SECONDS`` or after a ledger write."""
    figures = cache.get(IMPACT_CACHE_KEY)
    if figures is None:
        figures = compute_impact_figures()
        cache.set(IMPACT_CACHE_KEY, figures, IMPACT_CACHE_SECONDS)
    return figures


def forget_impact_figures() -> None:
    cache.delete(IMPACT_CACHE_KEY)


# --- Reconciliation ---------------------------------------------------------------------------------


@dataclass
class Document:
    """One order, counter sale or stray entry: what its money says the ledger should hold, and what it holds."""

    reference: str
    payments: int = 0
    refunds: int = 0
    shipping_captured: int = 0
    shipping_refunded: int = 0
    counter_sales: int = 0
    ledger: int = 0
    # Per line (order line or counter-sale line id): [label, goods the money says, goods in the ledger].
    lines: dict[int, list] = field(default_factory=dict)

    def line(self, pk: int, label: str) -> list:
        return self.lines.setdefault(pk, [label, 0, 0])

    @property
    def differing_lines(self) -> list[tuple[str, int, int]]:
        return [(label, expected, ledger) for label, expected, ledger in self.lines.values() if expected != ledger]

    @property
    def expected(self) -> int:
        return self.payments - self.refunds - self.shipping_captured + self.shipping_refunded + self.counter_sales

    @property
    def difference(self) -> int:
        return self.ledger - self.expected


@dataclass
class Reconciliation:
    """Ledger credits less debits against payments less refunds less net shipping plus counter sales."""

    credits: int
    debits: int
    documents: dict[tuple[str, int], Document]

    def total(self, name: str) -> int:
        return sum(getattr(document, name) for document in self.documents.values())

    @property
    def differences(self) -> list[Document]:
        return sorted(
            (d for d in self.documents.values() if d.difference or d.differing_lines), key=lambda d: d.reference
        )

    @property
    def balanced(self) -> bool:
        return not self.differences


def reconcile(date_from: date | None = None, date_to: date | None = None) -> Reconciliation:
    """Compare the ledger with the money, document by document, from local day ``date_from`` to ``date_to``.

    Each side is attributed to the period by its own time: a payment by when it succeeded, an order's
    shipping fee by its paying payment, a refund by when it succeeded (its last update), a counter sale
    by when it was recorded; ledger entries carry these same times.
    """
    from orders.models import CounterSale, Order, Payment, Refund

    start = day_start(date_from) if date_from else None
    end = day_start(date_to + timedelta(days=1)) if date_to else None

    def inside(moment: datetime | None) -> bool:
        return moment is not None and (start is None or moment >= start) and (end is None or moment < end)

    def within(queryset: QuerySet, name: str, margin: timedelta = timedelta(0)) -> QuerySet:
        if start is not None:
            queryset = queryset.filter(**{f"{name}__gte": start - margin})
        if end is not None:
            queryset = queryset.filter(**{f"{name}__lt": end + margin})
        return queryset

    documents: dict[tuple[str, int], Document] = {}

    def order_document(order_id: int, number: str) -> Document:
        return documents.setdefault(("order", order_id), Document(number))

    payments = within(Payment.objects.filter(status=Payment.Status.SUCCEEDED), "succeeded_at")
    for payment in payments.select_related("order").order_by("pk"):
        order_document(payment.order_id, payment.order.number).payments += payment.amount

    # The paying payment succeeded just before the order was marked paid: look a day around the period.
    paid_orders = within(Order.objects.filter(paid_at__isnull=False), "paid_at", timedelta(days=1))
    for order in paid_orders.prefetch_related("payments", "lines").order_by("pk"):
        paying = sorted(
            (p for p in order.payments.all() if p.status == Payment.Status.SUCCEEDED and p.amount == order.total),
            key=lambda p: (p.succeeded_at, p.pk),
        )
        moment = paying[0].succeeded_at if paying and paying[0].succeeded_at else order.paid_at
        if inside(moment):
            document = order_document(order.pk, order.number)
            document.shipping_captured += order.shipping_fee
            for line in order.lines.all():
                document.line(line.pk, f"{line.sku} {line.product_name}")[1] += line.line_total

    refunds = within(Refund.objects.filter(status=Refund.Status.SUCCEEDED), "updated_at")
    for refund in refunds.select_related("order").prefetch_related("order__lines").order_by("pk"):
        lines = {line.pk: line for line in refund.order.lines.all()}
        document = order_document(refund.order_id, refund.order.number)
        goods = 0
        for item in refund.lines:
            line = lines.get(item["line"])
            if line is not None:
                goods += line.unit_price * item["quantity"]
                document.line(line.pk, f"{line.sku} {line.product_name}")[1] -= line.unit_price * item["quantity"]
        document.refunds += refund.amount
        document.shipping_refunded += refund.amount - goods

    for sale in within(CounterSale.objects.all(), "created_at").prefetch_related("lines").order_by("pk"):
        document = documents.setdefault(("sale", sale.pk), Document(sale.number))
        document.counter_sales += sale.total
        for line in sale.lines.all():
            document.line(line.pk, f"{line.sku} {line.product_name}")[1] += line.line_total

    entries = within(AidLedgerEntry.objects.order_by(), "created_at")
    grouped = entries.values(
        "order_id", "order_line_id", "counter_sale_id", "counter_sale_line_id", "reference", "product_name"
    ).annotate(amount=Sum("amount"), first=Min("pk"))
    for row in grouped:
        if row["order_id"]:
            key, line = ("order", row["order_id"]), row["order_line_id"]
        elif row["counter_sale_id"]:
            key, line = ("sale", row["counter_sale_id"]), row["counter_sale_line_id"]
        else:
            key, line = ("entry", row["first"]), None
        document = documents.setdefault(key, Document(row["reference"]))
        document.ledger += row["amount"]
        if line is not None:
            document.line(line, row["product_name"])[2] += row["amount"]
    totals = report_totals(entries)
    return Reconciliation(credits=totals["credits"], debits=totals["debits"], documents=documents)
