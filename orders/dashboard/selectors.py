"""Reads behind the orders' dashboard panels, scoped per user through ``core.scopes``.

Each read also asks for the permission of the work it leads to, so a user without it (an editor, who sees
every merchant's catalogue but no orders) gets nothing, whatever the scope would allow.

- Parts to ship: pending delivery parts of the user's merchants whose order may ship now; oldest payment first.
- Pickups to prepare / waiting: pickups at the counters the user staffs with a part still to pack (of a paid
  order), or packed and waiting for the customer; oldest first.
- Sales: the aid ledger's net entries this month (merchants); the counter sales recorded today at the
  user's counters (counter staff).
- Flagged orders: orders marked for review, with the latest note saying why (operators).
- Settlements due: merchants with ledger entries from before this month that no settlement covers yet.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, Min, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from catalog.models import Location, Merchant
from catalog.selectors import staffed_location_ids
from core.scopes import User, scope_for_user
from orders.aid.reports import day_start
from orders.models import (
    AidLedgerEntry,
    CounterSale,
    DeliveryMethod,
    Fulfilment,
    Order,
    OrderEvent,
    Pickup,
)
from orders.state import ORDER_STATUSES_FOR_FULFILMENT

SHIP_PERMISSION = "orders.change_fulfilment"
SALES_PERMISSION = "orders.view_aidledgerentry"
COUNTER_SALES_PERMISSION = "orders.view_countersale"
REVIEW_PERMISSION = "orders.change_order"
SETTLE_PERMISSION = "orders.add_settlement"

SHIPPABLE_ORDER_STATUSES = sorted(ORDER_STATUSES_FOR_FULFILMENT[Fulfilment.Status.SHIPPED])
PREPARABLE_ORDER_STATUSES = sorted(ORDER_STATUSES_FOR_FULFILMENT[Fulfilment.Status.READY_FOR_PICKUP])


def month_start(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()).replace(day=1)


# -- Merchants -----------------------------------------------------------------------------


def parts_to_ship(user: User) -> QuerySet[Fulfilment]:
    """Delivery parts of the user's merchants waiting to be shipped (their order is paid or being prepared)."""
    if not user.has_perm(SHIP_PERMISSION):
        return Fulfilment.objects.none()
    return (
        scope_for_user(Fulfilment, user)
        .filter(
            method=DeliveryMethod.DELIVERY,
            status=Fulfilment.Status.PENDING,
            merchant__in=scope_for_user(Merchant, user).values("pk"),
            order__status__in=SHIPPABLE_ORDER_STATUSES,
        )
        .annotate(line_count=Count("lines"), units=Sum("lines__quantity"))
        .select_related("order", "merchant", "location")
        .order_by("order__paid_at", "pk")
    )


@dataclass(frozen=True)
class ProductSales:
    product_id: int
    product_name: str
    amount: int  # net fen
    units: int


@dataclass(frozen=True)
class Sales:
    """Net sales (credits less refunds, goods only, fen) of a period, and the best-selling products."""

    start: datetime.date
    end: datetime.date
    amount: int
    units: int
    entries: int
    top_products: list[ProductSales]


def month_sales(user: User, today: datetime.date | None = None, limit: int = 5) -> Sales:
    """The aid ledger of the user's merchants from the first of this month to today."""
    today = today or timezone.localdate()
    start = month_start(today)
    if not user.has_perm(SALES_PERMISSION):
        entries = AidLedgerEntry.objects.none()
    else:
        entries = scope_for_user(AidLedgerEntry, user).filter(created_at__gte=day_start(start)).order_by()
    totals = entries.aggregate(amount=Sum("amount"), units=Sum("quantity"), entries=Count("pk"))
    top = (
        entries.values("product_id", "product_name")
        .annotate(amount=Sum("amount"), units=Sum("quantity"))
        .order_by("-amount", "product_name")[:limit]
    )
    return Sales(
        start=start,
        end=today,
        amount=totals["amount"] or 0,
        units=totals["units"] or 0,
        entries=totals["entries"],
        top_products=[ProductSales(**row) for row in top],
    )


# -- Counter staff -------------------------------------------------------------------------


def staffed_counters(user: User) -> QuerySet[Location]:
    """The counters the user staffs (and may see): the counter panels show only these."""
    return scope_for_user(Location, user).filter(kind=Location.Kind.COUNTER, pk__in=staffed_location_ids(user))


def _counter_pickups(user: User) -> QuerySet[Pickup]:
    """Pickups at the user's counters holding a part the user may see (``core.scopes``)."""
    if not user.has_perm(SHIP_PERMISSION):
        return Pickup.objects.none()
    parts = scope_for_user(Fulfilment, user, Fulfilment.objects.filter(pickup=OuterRef("pk")))
    return (
        Pickup.objects.filter(Exists(parts), location__in=staffed_counters(user).values("pk"))
        .annotate(
            units=Subquery(
                Fulfilment.objects.filter(pickup=OuterRef("pk"))
                .exclude(status=Fulfilment.Status.CANCELLED)
                .order_by()
                .values("pickup")
                .annotate(total=Sum("lines__quantity"))
                .values("total")
            )
        )
        .select_related("order", "location")
    )


def pickups_to_prepare(user: User) -> QuerySet[Pickup]:
    """Pickups at the user's counters with a part still to pack, of a paid order; oldest payment first."""
    pending = Fulfilment.objects.filter(pickup=OuterRef("pk"), status=Fulfilment.Status.PENDING)
    return (
        _counter_pickups(user)
        .filter(Exists(pending), order__status__in=PREPARABLE_ORDER_STATUSES, closed_at__isnull=True)
        .order_by("order__paid_at", "pk")
    )


def pickups_waiting(user: User) -> QuerySet[Pickup]:
    """Pickups at the user's counters packed and waiting for the customer; longest waiting first."""
    return _counter_pickups(user).filter(ready_at__isnull=False, closed_at__isnull=True).order_by("ready_at", "pk")


@dataclass(frozen=True)
class CounterSalesToday:
    day: datetime.date
    count: int
    amount: int  # fen
    sales: list[CounterSale]


def counter_sales_today(user: User, today: datetime.date | None = None, limit: int = 5) -> CounterSalesToday:
    """Walk-in sales recorded today at the user's counters: how many, their total, the latest few."""
    today = today or timezone.localdate()
    if not user.has_perm(COUNTER_SALES_PERMISSION):
        sales = CounterSale.objects.none()
    else:
        sales = CounterSale.objects.filter(
            location__in=staffed_counters(user).values("pk"),
            created_at__gte=day_start(today),
            created_at__lt=day_start(today + datetime.timedelta(days=1)),
        )
    totals = sales.aggregate(count=Count("pk"), amount=Sum("total"))
    latest = list(sales.select_related("location").order_by("-created_at", "-pk")[:limit])
    return CounterSalesToday(today, totals["count"], totals["amount"] or 0, latest)


# -- Operators -----------------------------------------------------------------------------


def flagged_orders(user: User) -> QuerySet[Order]:
    """Orders flagged for review, annotated ``flag_note`` (the latest note in their history); oldest first."""
    if not user.has_perm(REVIEW_PERMISSION):
        return Order.objects.none()
    latest_note = (
        OrderEvent.objects.filter(order=OuterRef("pk"), kind=OrderEvent.Kind.NOTE)
        .order_by("-created_at", "-pk")
        .values("note")[:1]
    )
    return (
        scope_for_user(Order, user)
        .filter(needs_review=True)
        .annotate(flag_note=Subquery(latest_note))
        .order_by("created_at", "pk")
    )


def settlements_due(user: User, today: datetime.date | None = None) -> QuerySet[Merchant]:
    """Merchants with ledger entries from before this month not covered by a settlement, annotated with their
    net ``unsettled`` amount (fen), ``entry_count`` and ``oldest`` entry time; oldest first."""
    if not user.has_perm(SETTLE_PERMISSION):
        return Merchant.objects.none()
    before = day_start(month_start(today))
    entries = scope_for_user(AidLedgerEntry, user).filter(created_at__lt=before, settled__isnull=True)
    due = (
        entries.order_by()
        .values("merchant")
        .annotate(unsettled=Sum("amount"), entry_count=Count("pk"), oldest=Min("created_at"))
    )
    return (
        scope_for_user(Merchant, user)
        .filter(pk__in=due.values("merchant"))
        .annotate(
            unsettled=Subquery(due.filter(merchant=OuterRef("pk")).values("unsettled")),
            entry_count=Subquery(due.filter(merchant=OuterRef("pk")).values("entry_count")),
            oldest=Subquery(due.filter(merchant=OuterRef("pk")).values("oldest")),
        )
        .order_by("oldest", "pk")
    )
