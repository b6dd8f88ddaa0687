"""Reads of orders as their customer sees them: by the public link's token, a customer's own orders, and
an order's history. Who sees which orders in the back office is ``orders.scopes``."""

import re

from django.db.models import QuerySet

from core.scopes import User
from orders.models import Fulfilment, Order, OrderEvent, OrderStatus, Pickup

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _order_queryset() -> QuerySet[Order]:
    return Order.objects.select_related("pickup_location").prefetch_related("lines")


def get_order_by_token(token: str) -> Order | None:
    """The order behind a public status-page link, with its lines."""
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        return None
    try:
        return _order_queryset().get(token=token)
    except Order.DoesNotExist:
        return None


def sent_parcels(order: Order) -> list[Fulfilment]:
    """The order's parts sent with a tracking number, with their merchants (a part's merchant is shown beside
    it, its location is not). Only a paid order's parts are sent: for one awaiting payment, none and no query
    (every buyer of a flash sale opens its order's page right after checkout)."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        return []
    return list(order.fulfilments.exclude(tracking_number="").select_related("merchant").order_by("pk"))


def customer_orders(user: User) -> QuerySet[Order]:
    """A signed-in customer's own orders, newest first."""
    if not user.is_authenticated:
        return Order.objects.none()
    return _order_queryset().filter(user=user)


def order_pickups(order: Order) -> QuerySet[Pickup]:
    """The order's pickups (one per counter), with their counters, in the order they were made."""
    return order.pickups.select_related("location").order_by("pk")


def order_history(order: Order) -> QuerySet[OrderEvent]:
    """Every entry of the order's history, oldest first, with who made it and the fulfilment it concerns."""
    return order.events.select_related("actor", "fulfilment")
