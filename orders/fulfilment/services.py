"""Writes of fulfilment: preparing a paid order, a part ready for pickup, shipped, handed over or received.

Each move locks the order row, then the parts' rows (``orders.state``), and moves the order with its parts:
a paid order becomes fulfilling with the first move; ready for pickup or shipped when every part not
cancelled is; completed when every one is. A pickup order's parts at one counter share a ``Pickup`` and its
code (created with the order, ``orders.fulfilment.pickups``): the customer is told it is ready once, when its
last part is ready, and all its parts are handed over together (``complete_pickup``). Cancelling parts
happens with their unpaid order (``orders.payments``).
"""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.presales import harvest_pending
from core.scopes import User
from core.text import clean_text
from orders import notifications as notify
from orders.models import DeliveryMethod, Fulfilment, Order, OrderLine, OrderStatus, Pickup
from orders.state import OrderError, lock_order, transition, transition_fulfilment

FULFILMENT_PROGRESS = {
    Fulfilment.Status.PENDING: 0,
    Fulfilment.Status.READY_FOR_PICKUP: 1,
    Fulfilment.Status.SHIPPED: 1,
    Fulfilment.Status.COMPLETED: 2,
}


def mark_fulfilling(order: Order, *, actor: User | None = None, note: str = "") -> Order:
    """A paid order is being prepared."""
    return transition(order, OrderStatus.FULFILLING, actor=actor, note=note)


def _step_parts(
    order: Order, parts: Sequence[Fulfilment], to_status: str, *, actor: User | None, note: str, **fields: str
) -> list[Fulfilment]:
    """Move parts of the locked ``order`` (in the order given), then the order with them: ready or shipped when
    every part is, completed likewise. Tells the customer: a pickup ready when its last part is, a part shipped.
    A part holding a pre-sale's units waits for its harvest (``OrderError``)."""
    if harvest_pending(OrderLine.objects.filter(fulfilment__in=parts).values("variant_id")):
        raise OrderError(_("The pre-sale harvest has not been received yet."))
    if order.status == OrderStatus.PAID:
        transition(order, OrderStatus.FULFILLING, actor=actor)
    moved = [transition_fulfilment(part, to_status, order=order, actor=actor, note=note, **fields) for part in parts]
    parts_now = list(order.fulfilments.exclude(status=Fulfilment.Status.CANCELLED).values_list("status", "pickup_id"))
    if to_status == Fulfilment.Status.READY_FOR_PICKUP:
        for pickup_id in {part.pickup_id for part in moved}:
            if all(FULFILMENT_PROGRESS[status] >= 1 for status, pickup in parts_now if pickup == pickup_id):
                notify.pickup_ready(Pickup.objects.select_related("order", "location").get(pk=pickup_id))
    elif to_status == Fulfilment.Status.SHIPPED:
        for part in moved:
            notify.fulfilment_shipped(part)
    progress = min(FULFILMENT_PROGRESS[status] for status, _pickup in parts_now)
    if progress >= 1 and order.status == OrderStatus.FULFILLING:
        handed_over = (
            OrderStatus.READY_FOR_PICKUP if order.delivery_method == DeliveryMethod.PICKUP else OrderStatus.SHIPPED
        )
        transition(order, handed_over, actor=actor)
    if progress >= 2 and order.status in (OrderStatus.READY_FOR_PICKUP, OrderStatus.SHIPPED):
        transition(order, OrderStatus.COMPLETED, actor=actor)
    return moved


def _step_fulfilment(
    fulfilment: Fulfilment, to_status: str, *, actor: User | None, note: str, **fields: str
) -> Fulfilment:
    """Move one fulfilment, then the order with it (``_step_parts``), in one transaction."""
    with transaction.atomic():
        order = lock_order(Order(pk=fulfilment.order_id))
        (moved,) = _step_parts(order, [fulfilment], to_status, actor=actor, note=note, **fields)
    return moved


def mark_fulfilment_ready(fulfilment: Fulfilment, *, actor: User | None, note: str = "") -> Fulfilment:
    """A pickup part is packed at the counter. When it is the last part of its pickup to be, the customer is
    told (once) that the order can be collected there with the pickup's code."""
    return _step_fulfilment(fulfilment, Fulfilment.Status.READY_FOR_PICKUP, actor=actor, note=note)


def complete_pickup(order: Order, pickup: Pickup, *, actor: User | None, note: str = "") -> list[Fulfilment]:
    """Every part of the pickup not cancelled is handed over at once (each a recorded move), then the order
    completes if nothing else is left. The caller holds the order's lock (``lock_order``) and has checked that
    every part is ready."""
    parts = list(pickup.parts.exclude(status=Fulfilment.Status.CANCELLED).order_by("pk"))
    return _step_parts(order, parts, Fulfilment.Status.COMPLETED, actor=actor, note=note)


def mark_fulfilment_shipped(
    fulfilment: Fulfilment, *, actor: User | None, carrier: str, tracking_number: str, note: str = ""
) -> Fulfilment:
    """A delivery fulfilment left the warehouse with a carrier and tracking number."""
    carrier, tracking_number = clean_text(carrier), clean_text(tracking_number)
    if not carrier or not tracking_number:
        raise OrderError(_("Enter the carrier and the tracking number."))
    if len(carrier) > 64 or len(tracking_number) > 64:
        raise OrderError(_("Use at most %(max)d characters.") % {"max": 64})
    return _step_fulfilment(
        fulfilment,
        Fulfilment.Status.SHIPPED,
        actor=actor,
        note=note,
        carrier=carrier,
        tracking_number=tracking_number,
    )


def complete_fulfilment(fulfilment: Fulfilment, *, actor: User | None, note: str = "") -> Fulfilment:
    """The customer collected (or received) this part of the order."""
    return _step_fulfilment(fulfilment, Fulfilment.Status.COMPLETED, actor=actor, note=note)
