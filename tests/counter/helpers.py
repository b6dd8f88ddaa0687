"""Builders for the counter tests: paid pickup and delivery orders, ready parcels, wrong pickup codes."""

from catalog.models import Location, Variant
from orders.fulfilment import mark_fulfilment_ready
from orders.models import Fulfilment, Order
from orders.payments import mark_paid
from tests.orders.helpers import cart_with, checkout, pickup_at


def paid_order(*variants_and_quantities: tuple[Variant, int], counter: Location | None = None) -> Order:
    """A paid order of the given lines, collected at ``counter`` (or delivered from the warehouse)."""
    delivery = (pickup_at(counter),) if counter is not None else ()
    order = checkout(cart_with(*variants_and_quantities), *delivery)
    return mark_paid(order)


def ready_fulfilment(order: Order, **lookup) -> Fulfilment:
    """The order's (only, or looked-up) fulfilment, marked ready: it now has a pickup code."""
    fulfilment = order.fulfilments.get(**lookup)
    return mark_fulfilment_ready(fulfilment, actor=None)


def wrong_code(fulfilment: Fulfilment) -> str:
    """A well-formed pickup code that is not this fulfilment's."""
    return f"{(int(fulfilment.pickup_code) + 1) % 10**6:06d}"
