"""Reads of orders as their customer sees them: by the public link's token, a customer's own orders, and
an order's history. Who sees which orders in the back office is ``orders.scopes``."""

import re

from django.db.models import Prefetch, QuerySet

from core.scopes import User
from orders.models import Fulfilment, Order, OrderEvent, Pickup

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _order_queryset() -> QuerySet[Order]:
    # A part's merchant is shown (its name beside a tracking number); its location is not.
    return Order.objects.select_related("pickup_location").prefetch_related(
        "lines", Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("merchant"))
    )


def get_order_by_token(token: str) -> Order | None:
    """The order behind a public status-page link, with its lines and fulfilments."""
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        return None
    return _order_queryset().filter(token=token).first()


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
