"""Builders for the counter tests: paid pickup and delivery orders, ready parcels, wrong pickup codes."""

from catalog.models import Location, Variant
from orders.fulfilment import mark_fulfilment_ready
from orders.fulfilment.pickups import open_pickups
from orders.models import Fulfilment, Order, Pickup
from orders.payments import mark_paid
from tests.orders.helpers import cart_with, checkout, pickup_at


def paid_order(*variants_and_quantities: tuple[Variant, int], counter: Location | None = None) -> Order:
    """A paid order of the given lines, collected at ``counter`` (or delivered from the warehouse)."""
    delivery = (pickup_at(counter),) if counter is not None else ()
    order = checkout(cart_with(*variants_and_quantities), *delivery)
    return mark_paid(order)


def ready_fulfilment(order: Order, **lookup) -> Fulfilment:
    """The order's (only, or looked-up) fulfilment, marked ready."""
    fulfilment = order.fulfilments.get(**lookup)
    return mark_fulfilment_ready(fulfilment, actor=None)


def ready_pickup(order: Order, **lookup) -> Pickup:
    """The order's (only, or looked-up) pickup with every part marked ready: it waits for its customer."""
    pickup = order.pickups.get(**lookup)
    for part in pickup.parts.order_by("pk"):
        mark_fulfilment_ready(part, actor=None)
    pickup.refresh_from_db()
    return pickup


def wrong_code(pickup: Pickup) -> str:
    """A well-formed pickup code that is not this pickup's."""
    return f"{(int(pickup.code) + 1) % 10**6:06d}"


def split_over_two_counters(world) -> Order:
    """A paid order of merchant A's product at counter 1 and merchant B's at counter 2, a pickup at each.

    Checkout places an order for one counter; an order split over two (older orders, or parts moved by operators)
    is built by moving merchant B's part to counter 2 with a pickup of its own."""
    order = paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
    pickup = open_pickups(order, [world.counter2])[world.counter2.pk]
    Fulfilment.objects.filter(order=order, merchant=world.merchant_b).update(location=world.counter2, pickup=pickup)
    return order
