"""Reads for the counter console, scoped to the counters a user may run.

Counter staff run the counters they staff (``Location.staff``); operators (whoever sees every
merchant) may open any counter. Every lookup of a fulfilment or a counter by id goes through these
querysets, so an id outside the user's counters is simply not found.
"""

from datetime import date

from django.db.models import Count, F, Prefetch, QuerySet, Sum
from django.utils import timezone

from catalog.models import Location, Stock
from catalog.selectors import sees_all_merchants, staffed_location_ids
from core.scopes import User
from orders.availability import sellable_variants
from orders.models import CounterSale, DeliveryMethod, Fulfilment, OrderLine
from orders.state import ORDER_STATUSES_FOR_FULFILMENT

CONSOLE_PERMISSION = "orders.change_fulfilment"
RECENT_HANDOVERS = 20

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


def counter_fulfilments(user: User) -> QuerySet[Fulfilment]:
    """Pickup fulfilments at the user's counters, the only ones the console may act on."""
    return Fulfilment.objects.filter(method=DeliveryMethod.PICKUP, location__in=counters_for_user(user)).select_related(
        "order", "merchant", "location"
    )


def _with_pick_list(queryset: QuerySet[Fulfilment]) -> QuerySet[Fulfilment]:
    lines = OrderLine.objects.order_by("pk").only(
        "fulfilment_id", "product_name", "variant_name", "sku", "quantity", "merchant_name"
    )
    return queryset.select_related("order", "merchant").prefetch_related(Prefetch("lines", queryset=lines))


def fulfilments_to_prepare(location: Location) -> QuerySet[Fulfilment]:
    """Pickup parts of paid orders still to be packed at ``location``, oldest payment first, with pick lists."""
    return _with_pick_list(
        Fulfilment.objects.filter(
            location=location,
            method=DeliveryMethod.PICKUP,
            status=Fulfilment.Status.PENDING,
            order__status__in=PREPARABLE_ORDER_STATUSES,
        )
    ).order_by("order__paid_at", "pk")


def fulfilments_ready(location: Location) -> QuerySet[Fulfilment]:
    """Packed parts waiting at ``location`` for the customer and the pickup code."""
    return _with_pick_list(
        Fulfilment.objects.filter(
            location=location, method=DeliveryMethod.PICKUP, status=Fulfilment.Status.READY_FOR_PICKUP
        )
    ).order_by("updated_at", "pk")


def recently_handed_over(location: Location, limit: int = RECENT_HANDOVERS) -> QuerySet[Fulfilment]:
    """The last parts handed over at ``location``, newest first."""
    return _with_pick_list(
        Fulfilment.objects.filter(location=location, method=DeliveryMethod.PICKUP, status=Fulfilment.Status.COMPLETED)
    ).order_by("-updated_at", "-pk")[:limit]


def sellable_stock_at(location: Location) -> QuerySet[Stock]:
    """Stock rows at ``location`` a walk-in customer may buy: available units of what the shop sells."""
    return (
        Stock.objects.filter(location=location, on_hand__gt=F("allocated"), variant__in=sellable_variants())
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
