"""Writes of fulfilment: preparing a paid order, a part ready for pickup, shipped, handed over or received.

Each move locks the order row, then the part's row (``orders.state``), and moves the order with its parts:
a paid order becomes fulfilling with the first move; ready for pickup or shipped when every part not
cancelled is; completed when every one is. Cancelling parts happens with their unpaid order
(``orders.payments``).
"""

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from core.scopes import User
from core.text import clean_text
from orders import notifications as notify
from orders.models import DeliveryMethod, Fulfilment, Order, OrderStatus
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


def _step_fulfilment(
    fulfilment: Fulfilment, to_status: str, *, actor: User | None, note: str, **fields: str
) -> Fulfilment:
    """Move a fulfilment, then the order with it: ready or shipped when every part is, completed likewise."""
    with transaction.atomic():
        order = lock_order(Order(pk=fulfilment.order_id))
        if order.status == OrderStatus.PAID:
            transition(order, OrderStatus.FULFILLING, actor=actor)
        fulfilment = transition_fulfilment(fulfilment, to_status, order=order, actor=actor, note=note, **fields)
        if to_status == Fulfilment.Status.READY_FOR_PICKUP:
            notify.fulfilment_ready(fulfilment)
        elif to_status == Fulfilment.Status.SHIPPED:
            notify.fulfilment_shipped(fulfilment)
        statuses = order.fulfilments.exclude(status=Fulfilment.Status.CANCELLED).values_list("status", flat=True)
        progress = min(FULFILMENT_PROGRESS[status] for status in statuses)
        if progress >= 1 and order.status == OrderStatus.FULFILLING:
            handed_over = (
                OrderStatus.READY_FOR_PICKUP if order.delivery_method == DeliveryMethod.PICKUP else OrderStatus.SHIPPED
            )
            transition(order, handed_over, actor=actor)
        if progress >= 2 and order.status in (OrderStatus.READY_FOR_PICKUP, OrderStatus.SHIPPED):
            transition(order, OrderStatus.COMPLETED, actor=actor)
    return fulfilment


def mark_fulfilment_ready(fulfilment: Fulfilment, *, actor: User | None, note: str = "") -> Fulfilment:
    """A pickup fulfilment is packed at the counter; it gets a 6-digit pickup code."""
    code = f"{secrets.randbelow(10**6):06d}"
    return _step_fulfilment(fulfilment, Fulfilment.Status.READY_FOR_PICKUP, actor=actor, note=note, pickup_code=code)


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
