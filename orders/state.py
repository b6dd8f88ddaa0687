"""The order and fulfilment state machines, in one place.

``pending_payment → paid → fulfilling → ready_for_pickup | shipped → completed``, plus
``cancelled`` and ``expired`` (unpaid orders only) and ``refunded`` / ``partially_refunded``.
Every change locks the order row, refuses moves the table does not allow with ``InvalidTransition``
and writes an ``OrderEvent``. Moves with side effects on stock (paid, cancelled, expired) are made
through ``orders.services``, which call ``transition`` once the stock is settled.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import DeliveryMethod, Fulfilment, Order, OrderEvent, OrderStatus

S = OrderStatus
FS = Fulfilment.Status

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.EXPIRED}),
    S.PAID: frozenset({S.FULFILLING, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.FULFILLING: frozenset({S.READY_FOR_PICKUP, S.SHIPPED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.READY_FOR_PICKUP: frozenset({S.COMPLETED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.SHIPPED: frozenset({S.COMPLETED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.COMPLETED: frozenset({S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REFUNDED: frozenset(),
}

FULFILMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    FS.PENDING: frozenset({FS.READY_FOR_PICKUP, FS.SHIPPED, FS.CANCELLED}),
    FS.READY_FOR_PICKUP: frozenset({FS.COMPLETED}),
    FS.SHIPPED: frozenset({FS.COMPLETED}),
    FS.COMPLETED: frozenset(),
    FS.CANCELLED: frozenset(),
}

# Statuses that only make sense for one delivery method (same values for orders and fulfilments).
METHOD_OF_STATUS = {S.READY_FOR_PICKUP: DeliveryMethod.PICKUP, S.SHIPPED: DeliveryMethod.DELIVERY}


class OrderError(Exception):
    """A request the order rules refuse; the message is meant for the user."""


class InvalidTransition(OrderError):
    """A status change that is not allowed from the current status (HTTP 409 where an endpoint is asked)."""


def _who(actor: AbstractBaseUser | AnonymousUser | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


def _label(choices: type, value: str) -> str:
    return str(choices(value).label).lower()


def can_transition(order: Order, to_status: str) -> bool:
    """Whether the table (and the order's delivery method) allows the move from the order's status."""
    method = METHOD_OF_STATUS.get(to_status)
    return to_status in ORDER_TRANSITIONS[order.status] and (method is None or method == order.delivery_method)


def check_transition(order: Order, to_status: str) -> None:
    """Raise ``InvalidTransition`` unless the order may move to ``to_status`` now."""
    if to_status not in ORDER_TRANSITIONS.get(order.status, ()):
        raise InvalidTransition(
            _("An order that is %(current)s cannot become %(target)s.")
            % {"current": _label(OrderStatus, order.status), "target": _label(OrderStatus, to_status)}
        )
    method = METHOD_OF_STATUS.get(to_status)
    if method is not None and method != order.delivery_method:
        raise InvalidTransition(
            _("Only pickup orders can become ready for pickup.")
            if method == DeliveryMethod.PICKUP
            else _("Only delivery orders can be shipped.")
        )


def lock_order(order: Order) -> Order:
    """Lock the order row for the rest of the transaction and refresh the given instance from it."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    for field in Order._meta.concrete_fields:
        setattr(order, field.attname, getattr(locked, field.attname))
    return order


def transition(
    order: Order,
    to_status: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    note: str = "",
) -> Order:
    """Move the order to ``to_status`` if the state machine allows it, and record the move."""
    with transaction.atomic():
        lock_order(order)
        check_transition(order, to_status)
        from_status = order.status
        order.status = to_status
        order.updated_at = timezone.now()
        Order.objects.filter(pk=order.pk).update(status=to_status, updated_at=order.updated_at)
        OrderEvent.objects.create(
            order=order,
            actor=_who(actor),
            kind=OrderEvent.Kind.STATUS,
            from_status=from_status,
            to_status=to_status,
            note=note[:500],
        )
    return order


def transition_fulfilment(
    fulfilment: Fulfilment,
    to_status: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    note: str = "",
    **fields: str,
) -> Fulfilment:
    """Move one fulfilment on (saving ``fields`` such as a tracking number with it), and record the move.

    The caller holds the lock on the order.
    """
    locked = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)
    if to_status not in FULFILMENT_TRANSITIONS[locked.status]:
        raise InvalidTransition(
            _("A fulfilment that is %(current)s cannot become %(target)s.")
            % {"current": _label(Fulfilment.Status, locked.status), "target": _label(Fulfilment.Status, to_status)}
        )
    method = METHOD_OF_STATUS.get(to_status)
    if method is not None and method != locked.method:
        raise InvalidTransition(
            _("Only pickup orders can become ready for pickup.")
            if method == DeliveryMethod.PICKUP
            else _("Only delivery orders can be shipped.")
        )
    from_status = locked.status
    locked.status = to_status
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    OrderEvent.objects.create(
        order_id=locked.order_id,
        fulfilment=locked,
        actor=_who(actor),
        kind=OrderEvent.Kind.FULFILMENT,
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
    )
    fulfilment.status = locked.status
    for name, value in fields.items():
        setattr(fulfilment, name, value)
    return locked
