"""The back office: who sees which orders, lines, fulfilments and events (registered with ``core.scopes``).

Operators (and anyone who sees every merchant) see everything. A merchant's members see the orders
holding one of its lines, and of those only its own lines and fulfilments; counter staff see what is
handed over at their counters. A fulfilment belongs to one merchant at one location, and so do its
lines, so the three scopes agree: an order is visible exactly when one of its lines is.
"""

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value

from catalog.models import Location, Merchant
from catalog.selectors import member_merchant_ids, merchants_for_user, sees_all_merchants, staffed_location_ids
from core.scopes import User
from orders.models import DeliveryMethod, Fulfilment, Order, OrderEvent, OrderLine
from orders.selectors import order_history


def _lines_in_scope(user: User) -> Q | None:
    """The condition on ``OrderLine`` (and ``Fulfilment``, which has the same two fields); None: no limit."""
    if sees_all_merchants(user):
        return None
    return Q(merchant_id__in=member_merchant_ids(user)) | Q(location_id__in=staffed_location_ids(user))


def orders_for_backoffice_user(user: User, queryset: QuerySet | None = None) -> QuerySet[Order]:
    """The orders the user may open in the back office, shaped for the listing and the order page.

    Annotated with ``visible_subtotal`` (the goods total of the lines the user sees) and
    ``contact_visible`` (whether the user may see the customer's contact details: operators, and counter
    staff for orders handed over at their counter; not merchants).
    """
    queryset = (Order.objects.all() if queryset is None else queryset).select_related("pickup_location")
    condition = _lines_in_scope(user)
    if condition is None:
        return queryset.annotate(visible_subtotal=F("subtotal"), contact_visible=Value(True))
    visible_lines = OrderLine.objects.filter(condition, order=OuterRef("pk"))
    subtotal = visible_lines.order_by().values("order").annotate(amount=Sum("line_total")).values("amount")
    counters = staffed_location_ids(user)
    at_own_counter = (
        Exists(Fulfilment.objects.filter(order=OuterRef("pk"), location_id__in=counters)) if counters else Value(False)
    )
    return queryset.filter(Exists(visible_lines)).annotate(
        visible_subtotal=Subquery(subtotal), contact_visible=at_own_counter
    )


def lines_for_backoffice_user(user: User, order: Order) -> QuerySet[OrderLine]:
    """The order's lines the user may see (its own merchants' lines, or those handed over at its counters)."""
    condition = _lines_in_scope(user)
    lines = order.lines.order_by("fulfilment_id", "pk")
    return lines if condition is None else lines.filter(condition)


def fulfilments_for_backoffice_user(user: User, queryset: QuerySet | None = None) -> QuerySet[Fulfilment]:
    """Fulfilments of the user's merchants or at the user's counters (all of them for operators)."""
    queryset = (Fulfilment.objects.all() if queryset is None else queryset).select_related(
        "order", "merchant", "location"
    )
    condition = _lines_in_scope(user)
    return queryset if condition is None else queryset.filter(condition)


def fulfilments_user_may_ship(user: User, queryset: QuerySet | None = None) -> QuerySet[Fulfilment]:
    """Delivery fulfilments of the user's merchants (every merchant's for operators): the ones they ship."""
    queryset = (Fulfilment.objects.all() if queryset is None else queryset).select_related(
        "order", "merchant", "location"
    )
    return queryset.filter(method=DeliveryMethod.DELIVERY, merchant__in=merchants_for_user(user))


def events_for_backoffice_user(user: User, order: Order) -> QuerySet[OrderEvent]:
    """The order's history as the user may see it: order-wide events and those of the user's fulfilments."""
    events = order_history(order)
    if _lines_in_scope(user) is None:
        return events
    own = fulfilments_for_backoffice_user(user, Fulfilment.objects.filter(order=order)).values("pk")
    return events.filter(Q(fulfilment__isnull=True) | Q(fulfilment__in=own))


def orders_with_merchant(queryset: QuerySet[Order], merchant: Merchant) -> QuerySet[Order]:
    """Orders holding at least one line of ``merchant``."""
    return queryset.filter(Exists(OrderLine.objects.filter(order=OuterRef("pk"), merchant=merchant)))


def orders_at_location(queryset: QuerySet[Order], location: Location) -> QuerySet[Order]:
    """Orders collected at ``location`` or with a fulfilment sent from (or handed over at) it."""
    at_location = Exists(Fulfilment.objects.filter(order=OuterRef("pk"), location=location))
    return queryset.filter(Q(pickup_location=location) | at_location)


def orders_with_phone(queryset: QuerySet[Order], digits: str) -> QuerySet[Order]:
    """Orders whose contact number contains ``digits``, among those whose contact the user may see.

    ``queryset`` comes from ``orders_for_backoffice_user`` (it needs the ``contact_visible`` annotation).
    """
    return queryset.filter(contact_phone__contains=digits, contact_visible=True)


def search_orders(queryset: QuerySet[Order], query: str) -> QuerySet[Order]:
    """Orders whose number, or (where the user may see them) contact name or number, contains ``query``.

    ``queryset`` comes from ``orders_for_backoffice_user`` (it needs the ``contact_visible`` annotation).
    """
    contact = Q(contact_name__icontains=query) | Q(contact_phone__contains=query)
    return queryset.filter(Q(number__icontains=query) | (contact & Q(contact_visible=True)))
