"""Aid ledger reports: the entries in a period, summed by day, month, quarter, year, merchant, township,
paired county, counter, category or channel.

Every report is one ``values().annotate(Sum(...))`` query over the entries in scope
(``orders.aid.scopes.entries_for_user``). Amounts are signed integer fen. A report sums the entries it is
given; which of them count as aid (certified) is decided by ``orders.aid.selectors`` only, and
``certification_split`` gives the certified and uncertified totals of the same entries side by side.

``campaign_discounts`` sums the campaign discounts in the same entries by sponsor: coupons (``Order.coupon_sponsor``,
the coupon's part of each credited line's discount) and consumption vouchers (the entries' ``sponsor`` and
``sponsored`` amounts, net of refunds), with the goods those lines moved to producers (their ledger net).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.regions import DezhouCounty, XiushanTownship
from orders.aid.selectors import CERTIFIED, CERTIFIED_ONLY, UNCERTIFIED, UNCERTIFIED_ONLY
from orders.models import AidChannel, AidLedgerEntry

PERIODS = {"day": TruncDay, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}

# Report dimensions: (label, the fields grouped by, how a row's key is shown).
DIMENSIONS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "day": (_("Day"), ("period",)),
    "month": (_("Month"), ("period",)),
    "quarter": (_("Quarter"), ("period",)),
    "year": (_("Year"), ("period",)),
    "merchant": (_("Merchant"), ("merchant_id", "merchant__name")),
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


def period_label(dimension: str, value: datetime | None) -> str:
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
        return values["period"], period_label(dimension, values["period"])
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


def certification_split(queryset: QuerySet[AidLedgerEntry]) -> dict[str, dict[str, int]]:
    """Credits, debits (positive), net and entries of the certified (``"certified"``) and the uncertified
    (``"uncertified"``) entries of ``queryset``, in one query; the two add up to ``report_totals(queryset)``."""
    sums: dict[str, Any] = {}
    for name, condition in ((CERTIFIED_ONLY, CERTIFIED), (UNCERTIFIED_ONLY, UNCERTIFIED)):
        sums[f"{name}_credits"] = Coalesce(Sum("amount", filter=condition & Q(amount__gt=0)), 0)
        sums[f"{name}_debits"] = Coalesce(Sum("amount", filter=condition & Q(amount__lt=0)), 0)
        sums[f"{name}_net"] = Coalesce(Sum("amount", filter=condition), 0)
        sums[f"{name}_entries"] = Count("pk", filter=condition)
    totals = queryset.order_by().aggregate(**sums)
    return {
        name: {
            "credits": totals[f"{name}_credits"],
            "debits": -totals[f"{name}_debits"],
            "net": totals[f"{name}_net"],
            "entries": totals[f"{name}_entries"],
        }
        for name in (CERTIFIED_ONLY, UNCERTIFIED_ONLY)
    }


class CampaignKind:
    COUPON = "coupon"
    VOUCHER = "voucher"
    LABELS = {COUPON: _("Coupon"), VOUCHER: _("Consumption voucher")}


@dataclass(frozen=True)
class CampaignRow:
    """One sponsor's campaign discounts of one kind (coupon or voucher) in the entries given."""

    sponsor: str
    kind: str
    documents: int  # orders (and, for vouchers, counter sales)
    discount: int  # fen the sponsor gave
    goods: int  # net fen of the discounted lines moved to producers

    @property
    def kind_label(self) -> str:
        return str(CampaignKind.LABELS[self.kind])


def campaign_discounts(queryset: QuerySet[AidLedgerEntry]) -> list[CampaignRow]:
    """Campaign discounts by (sponsor, coupon | voucher) in ``queryset``, largest discount first (two queries).

    Coupons: the lines of orders placed with a coupon whose line carried a coupon part (``OrderLine.discount`` less
    ``voucher_discount``), credited once per line. Vouchers: the entries with a voucher part, ``sponsored`` summed
    (refunds give theirs back, negative).
    """
    queryset = queryset.order_by()
    coupon_part = F("order_line__discount") - F("order_line__voucher_discount")
    coupons = (
        queryset.exclude(order__coupon_sponsor="")
        .filter(order_line__isnull=False)
        .annotate(coupon_part=coupon_part)
        .filter(coupon_part__gt=0)
        .values("order__coupon_sponsor")
        .annotate(
            documents=Count("order_id", distinct=True),
            discount=Coalesce(Sum("coupon_part", filter=Q(kind=AidLedgerEntry.Kind.ORDER_PAID)), 0),
            goods=Coalesce(Sum("amount"), 0),
        )
    )
    vouchers = (
        queryset.exclude(sponsor="")
        .values("sponsor")
        .annotate(
            orders=Count("order_id", distinct=True),
            sales=Count("counter_sale_id", distinct=True),
            discount=Coalesce(Sum("sponsored"), 0),
            goods=Coalesce(Sum("amount"), 0),
        )
    )
    rows = [
        CampaignRow(row["order__coupon_sponsor"], CampaignKind.COUPON, row["documents"], row["discount"], row["goods"])
        for row in coupons
    ]
    rows += [
        CampaignRow(row["sponsor"], CampaignKind.VOUCHER, row["orders"] + row["sales"], row["discount"], row["goods"])
        for row in vouchers
    ]
    return sorted(rows, key=lambda row: (-row.discount, row.sponsor, row.kind))
