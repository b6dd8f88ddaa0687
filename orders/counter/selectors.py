"""Reads for the counter console, scoped to the counters a user may run.

Counter staff run the counters they staff (``Location.staff``); operators (whoever sees every
merchant) may open any counter. Every lookup of a fulfilment, a pickup or a counter by id goes through
these querysets, so an id outside the user's counters is simply not found.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from catalog.models import Batch, Location, Stock
from catalog.selectors import sees_all_merchants, staffed_location_ids
from core.scopes import User
from orders.availability import stocked_variants
from orders.models import (
    AidLedgerEntry,
    CounterPaymentMethod,
    CounterSale,
    DeliveryMethod,
    Fulfilment,
    OrderLine,
    Pickup,
)
from orders.state import ORDER_STATUSES_FOR_FULFILMENT

CONSOLE_PERMISSION = "orders.change_fulfilment"
RECENT_HANDOVERS = 20
SEARCH_RESULTS = 20

# Orders whose pending pickup parts the counter may mark ready (``orders.state``): paid, or being prepared.
PREPARABLE_ORDER_STATUSES = sorted(ORDER_STATUSES_FOR_FULFILMENT[Fulfilment.Status.READY_FOR_PICKUP])


def counters_for_user(user: User) -> QuerySet[Location]:
    """The counters the user may run: all of them for operators, the staffed ones for counter staff."""
    counters = Location.objects.filter(kind=Location.Kind.COUNTER)
    if sees_all_merchants(user):
        return counters
    return counters.filter(pk__in=staffed_location_ids(user))


def has_counter_access(user: User) -> bool:
    """Whether the user may open the counter console (and so sees the "Counter" menu)."""
    if not (user.is_authenticated and user.has_perm(CONSOLE_PERMISSION)):
        return False
    return sees_all_merchants(user) or counters_for_user(user).exists()


def counter_batches(location: Location) -> QuerySet[Batch]:
    """Batches received at ``location`` (the batches its staff print QR labels for), newest first."""
    return Batch.objects.filter(location=location).select_related("variant__product").order_by("-received_at", "-pk")


def label_batches(user: User, location: Location) -> QuerySet[Batch]:
    """The batches the user may print labels for at ``location`` (one of their counters): operators any batch,
    counter staff those received at this counter."""
    if sees_all_merchants(user):
        return Batch.objects.select_related("variant__product")
    return counter_batches(location)


def counter_fulfilments(user: User) -> QuerySet[Fulfilment]:
    """Pickup fulfilments at the user's counters, the only ones the console may act on."""
    return Fulfilment.objects.filter(method=DeliveryMethod.PICKUP, location__in=counters_for_user(user)).select_related(
        "order", "merchant", "location"
    )


def counter_pickups(user: User) -> QuerySet[Pickup]:
    """Pickups (an order's parts at one counter) at the user's counters, the only ones the console may hand over."""
    return Pickup.objects.filter(location__in=counters_for_user(user)).select_related("order", "location")


def _with_parts(queryset: QuerySet[Pickup]) -> QuerySet[Pickup]:
    """Pickups with their order and ``live_parts``: each part not cancelled, with its merchant and pick list."""
    lines = OrderLine.objects.order_by("pk").only(
        "fulfilment_id", "product_name", "variant_name", "sku", "quantity", "merchant_name"
    )
    parts = (
        Fulfilment.objects.exclude(status=Fulfilment.Status.CANCELLED)
        .select_related("merchant")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("pk")
    )
    return queryset.select_related("order").prefetch_related(Prefetch("parts", queryset=parts, to_attr="live_parts"))


def pickups_to_prepare(location: Location) -> QuerySet[Pickup]:
    """Pickups of paid orders at ``location`` with parts still to be packed, oldest payment first, with their
    parts and pick lists."""
    pending = Fulfilment.objects.filter(pickup=OuterRef("pk"), status=Fulfilment.Status.PENDING)
    return _with_parts(
        Pickup.objects.filter(Exists(pending), location=location, order__status__in=PREPARABLE_ORDER_STATUSES)
    ).order_by("order__paid_at", "pk")


def pickups_ready(location: Location) -> QuerySet[Pickup]:
    """Pickups at ``location`` with every part packed, waiting for the customer and the code, oldest first."""
    return _with_parts(
        Pickup.objects.filter(location=location, ready_at__isnull=False, closed_at__isnull=True)
    ).order_by("ready_at", "pk")


def recently_handed_over(location: Location, limit: int = RECENT_HANDOVERS) -> QuerySet[Pickup]:
    """The last pickups handed over at ``location``, newest first."""
    return _with_parts(Pickup.objects.filter(location=location, handed_over_at__isnull=False)).order_by(
        "-handed_over_at", "-pk"
    )[:limit]


def sellable_stock_at(location: Location) -> QuerySet[Stock]:
    """Stock rows at ``location`` a walk-in customer may buy: available units of what the shop sells."""
    return (
        Stock.objects.filter(location=location, on_hand__gt=F("allocated"), variant__in=stocked_variants())
        .select_related("variant__product")
        .order_by("variant__product__name", "variant__sort_order", "variant__pk")
    )


def counter_sales(location: Location) -> QuerySet[CounterSale]:
    """The sales recorded at ``location``, newest first, with their lines and who recorded them."""
    return (
        CounterSale.objects.filter(location=location)
        .select_related("created_by")
        .prefetch_related("lines")
        .order_by("-created_at", "-pk")
    )


def sales_totals(location: Location, day: date | None = None) -> dict[str, int]:
    """How many sales ``location`` recorded on ``day`` (today, local time) and their total in fen."""
    day = day or timezone.localdate()
    totals = CounterSale.objects.filter(location=location, created_at__date=day).aggregate(
        count=Count("pk"), total=Sum("total")
    )
    return {"count": totals["count"], "total": totals["total"] or 0}


def pickups_matching(
    location: Location,
    *,
    phone_last4: str = "",
    phone: str = "",
    number: str = "",
    number_suffix: str = "",
    limit: int = SEARCH_RESULTS,
) -> list[Pickup]:
    """Pickups at ``location`` (only there) whose order matches: the last four digits of the customer's phone, the
    whole phone number, the whole order number, or the end of it (its id); open ones first, then newest."""
    orders = Q()
    if phone_last4:
        orders &= Q(order__contact_phone__endswith=phone_last4)
    if phone:
        orders &= Q(order__contact_phone=phone)
    if number:
        orders &= Q(order__number__iexact=number)
    if number_suffix:
        orders &= Q(order__number__endswith=number_suffix)
    if not orders:
        return []
    return list(
        _with_parts(Pickup.objects.filter(orders, location=location)).order_by(
            F("closed_at").desc(nulls_first=True), "-order__created_at", "-pk"
        )[:limit]
    )


def pickup_with_parts(pickup: Pickup) -> Pickup:
    """The pickup read again with its order and its parts' pick lists, for showing it as a queue row."""
    return _with_parts(Pickup.objects.filter(pk=pickup.pk)).get()


@dataclass(frozen=True)
class MethodTotal:
    method: str
    label: str
    count: int
    total: int
    ledger_total: int
    vouchers: int = 0  # consumption vouchers' part of ``total``: paid by their budgets, not by the customers


@dataclass(frozen=True)
class DaySummary:
    """A counter's day: its walk-in sales (count, total, per payment method), the orders handed over, the cash to
    hand in (the cash sales' total), and the aid ledger's counter-sale credits of that counter and day beside them."""

    day: date
    sales_count: int
    sales_total: int
    methods: list[MethodTotal]
    handed_over: int
    ledger_total: int
    ledger_entries: int

    @property
    def cash_to_hand_in(self) -> int:
        """The cash sales' total less the consumption vouchers' part of them (paid by the vouchers' budgets)."""
        return next((row.total - row.vouchers for row in self.methods if row.method == CounterPaymentMethod.CASH), 0)

    @property
    def matches_ledger(self) -> bool:
        return self.ledger_total == self.sales_total and all(row.total == row.ledger_total for row in self.methods)


def day_summary(location: Location, day: date | None = None) -> DaySummary:
    """The day-end summary of ``location`` for ``day`` (today, local time): three aggregate queries."""
    day = day or timezone.localdate()
    sales = {
        row["payment_method"]: row
        for row in CounterSale.objects.filter(location=location, created_at__date=day)
        .values("payment_method")
        .annotate(count=Count("pk"), total=Sum("total"), vouchers=Sum("voucher_discount"))
    }
    ledger = {
        row["payment_method"]: row
        for row in AidLedgerEntry.objects.filter(
            kind=AidLedgerEntry.Kind.COUNTER_SALE, counter=location, created_at__date=day
        )
        .values("payment_method")
        .annotate(entries=Count("pk"), total=Sum("amount"))
    }
    methods = [
        MethodTotal(
            method=method,
            label=str(label),
            count=sales.get(method, {}).get("count", 0),
            total=sales.get(method, {}).get("total") or 0,
            ledger_total=ledger.get(method, {}).get("total") or 0,
            vouchers=sales.get(method, {}).get("vouchers") or 0,
        )
        for method, label in CounterPaymentMethod.choices
    ]
    if "" in sales or "" in ledger:  # sales recorded before the method was kept
        methods.append(
            MethodTotal(
                method="",
                label=gettext("Not recorded"),
                count=sales.get("", {}).get("count", 0),
                total=sales.get("", {}).get("total") or 0,
                ledger_total=ledger.get("", {}).get("total") or 0,
            )
        )
    handed_over = Pickup.objects.filter(location=location, handed_over_at__date=day).count()
    return DaySummary(
        day=day,
        sales_count=sum(row["count"] for row in sales.values()),
        sales_total=sum(row["total"] or 0 for row in sales.values()),
        methods=methods,
        handed_over=handed_over,
        ledger_total=sum(row["total"] or 0 for row in ledger.values()),
        ledger_entries=sum(row["entries"] for row in ledger.values()),
    )
