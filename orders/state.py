"""The order and fulfilment state machines, in one place: every status change goes through here.

``pending_payment → paid → fulfilling → ready_for_pickup | shipped → completed``, plus
``cancelled`` and ``expired`` (unpaid orders only) and ``refunded`` / ``partially_refunded``.
A fulfilment goes ``pending → ready_for_pickup | shipped → completed``, or ``pending → cancelled``
with its unpaid order. A pickup (an order's parts at one counter) follows its parts as they move: ready
when every part not cancelled is, handed over when every one was collected, closed when none is open.

Every change locks the order row, refuses moves the tables do not allow with ``InvalidTransition``
and records an ``OrderEvent`` (``orders.events``). Moves with side effects on stock (paid, cancelled,
expired) are made by ``orders.payments``, which call ``transition`` once the stock is settled. Views ask
``can_cancel``, ``can_refund`` and ``can_ship``, which say yes exactly when the move would be accepted.
"""

from datetime import datetime

from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.scopes import User
from core.transactions import joined_atomic
from orders.events import record_order_event, record_order_events
from orders.models import DeliveryMethod, Fulfilment, Order, OrderEvent, OrderStatus, Payment, Pickup, Refund

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

# The order statuses in which a fulfilment may make each move: parts are prepared, shipped and handed
# over once the order is paid (a paid order becomes fulfilling with its first move, ``orders.fulfilment``),
# and cancelled with their unpaid order, before it becomes cancelled or expired.
PREPARING = frozenset({S.PAID, S.FULFILLING, S.READY_FOR_PICKUP, S.SHIPPED})
ORDER_STATUSES_FOR_FULFILMENT: dict[str, frozenset[str]] = {
    FS.READY_FOR_PICKUP: PREPARING,
    FS.SHIPPED: PREPARING,
    FS.COMPLETED: PREPARING,
    FS.CANCELLED: frozenset({S.PENDING_PAYMENT}),
}


class OrderError(Exception):
    """A request the order rules refuse; the message is meant for the user."""


class InvalidTransition(OrderError):
    """A status change that is not allowed from the current status (HTTP 409 where an endpoint is asked)."""


def _label(choices: type, value: str) -> str:
    return str(choices(value).label).lower()


def _check_method(to_status: str, method: str) -> None:
    """Ready for pickup is for pickup orders only, shipped for deliveries only."""
    needed = METHOD_OF_STATUS.get(to_status)
    if needed is not None and needed != method:
        raise InvalidTransition(
            _("Only pickup orders can become ready for pickup.")
            if needed == DeliveryMethod.PICKUP
            else _("Only delivery orders can be shipped.")
        )


def check_transition(order: Order, to_status: str) -> None:
    """Raise ``InvalidTransition`` unless the order may move to ``to_status`` now."""
    if to_status not in ORDER_TRANSITIONS.get(order.status, ()):
        raise InvalidTransition(
            _("An order that is %(current)s cannot become %(target)s.")
            % {"current": _label(OrderStatus, order.status), "target": _label(OrderStatus, to_status)}
        )
    _check_method(to_status, order.delivery_method)


def can_transition(order: Order, to_status: str) -> bool:
    """Whether the table (and the order's delivery method) allows the move from the order's status."""
    try:
        check_transition(order, to_status)
    except InvalidTransition:
        return False
    return True


def check_fulfilment_transition(fulfilment: Fulfilment, to_status: str, *, order_status: str) -> None:
    """Raise ``InvalidTransition`` unless the fulfilment may move to ``to_status`` while its order has
    ``order_status`` (``ORDER_STATUSES_FOR_FULFILMENT``), from its own status, by its delivery method."""
    if order_status not in ORDER_STATUSES_FOR_FULFILMENT.get(to_status, ()):
        raise InvalidTransition(
            _("The order is %(status)s; its fulfilments cannot change.") % {"status": _label(OrderStatus, order_status)}
        )
    if to_status not in FULFILMENT_TRANSITIONS.get(fulfilment.status, ()):
        raise InvalidTransition(
            _("A fulfilment that is %(current)s cannot become %(target)s.")
            % {
                "current": _label(Fulfilment.Status, fulfilment.status),
                "target": _label(Fulfilment.Status, to_status),
            }
        )
    _check_method(to_status, fulfilment.method)


def can_transition_fulfilment(fulfilment: Fulfilment, to_status: str, *, order_status: str) -> bool:
    """Whether ``check_fulfilment_transition`` lets the fulfilment move to ``to_status``."""
    try:
        check_fulfilment_transition(fulfilment, to_status, order_status=order_status)
    except InvalidTransition:
        return False
    return True


def can_cancel(order: Order) -> bool:
    """Whether the order may be cancelled now (awaiting payment: by its customer, or by an operator)."""
    return can_transition(order, S.CANCELLED)


def has_late_payment(order: Order) -> bool:
    """Whether an order that was never paid (expired or cancelled) holds money to give back: it was flagged for
    a payment that succeeded afterwards, and that money has not all been refunded yet."""
    if order.status not in (S.EXPIRED, S.CANCELLED) or not order.needs_review or order.paid_at is not None:
        return False
    paid = order.payments.filter(status=Payment.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0
    given_back = (
        order.refunds.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]).aggregate(total=Sum("amount"))[
            "total"
        ]
        or 0
    )
    return paid > given_back


def can_refund(order: Order) -> bool:
    """Whether money may be given back for the order now: paid and not wholly refunded yet, or a late payment
    on an expired or cancelled order (which keeps its status: it was never paid)."""
    return can_transition(order, S.REFUNDED) or has_late_payment(order)


def can_ship(fulfilment: Fulfilment) -> bool:
    """Whether the fulfilment (loaded with its order) may be marked shipped now: a pending delivery part
    of an order being prepared."""
    return can_transition_fulfilment(fulfilment, FS.SHIPPED, order_status=fulfilment.order.status)


def lock_order(order: Order) -> Order:
    """Lock the order row for the rest of the transaction and refresh the given instance from it."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    for field in Order._meta.concrete_fields:
        setattr(order, field.attname, getattr(locked, field.attname))
    return order


def transition(order: Order, to_status: str, *, actor: User | None = None, note: str = "") -> Order:
    """Move the order to ``to_status`` if the state machine allows it, and record the move."""
    with joined_atomic():
        lock_order(order)
        return transition_locked(order, to_status, actor=actor, note=note)


def transition_locked(
    order: Order, to_status: str, *, actor: User | None = None, note: str = "", **fields: object
) -> Order:
    """``transition`` for a caller that holds the order's lock (``lock_order``) in this transaction, saving
    ``fields`` (such as ``paid_at``) in the same update. A refused move raises before anything is written."""
    transition_many_locked([order], to_status, actor=actor, notes={order.pk: note}, **fields)
    return order


def transition_many_locked(
    orders: list[Order],
    to_status: str,
    *,
    actor: User | None = None,
    notes: dict[int, str] | None = None,
    **fields: object,
) -> list[Order]:
    """``transition_locked`` for several orders moved together (payments applied as a batch): every move is
    checked before anything is written, then one update and one insert for all; ``notes`` by order pk."""
    for order in orders:
        check_transition(order, to_status)
    now = timezone.now()
    entries = []
    for order in orders:
        entries.append(
            {
                "order_id": order.pk,
                "kind": OrderEvent.Kind.STATUS,
                "from_status": order.status,
                "to_status": to_status,
                "note": (notes or {}).get(order.pk, ""),
            }
        )
        order.status = to_status
        order.updated_at = now
        for name, value in fields.items():
            setattr(order, name, value)
    Order.objects.filter(pk__in=[order.pk for order in orders]).update(status=to_status, updated_at=now, **fields)
    record_order_events(entries, actor=actor, at=now)
    return orders


def transition_fulfilment(
    fulfilment: Fulfilment,
    to_status: str,
    *,
    order: Order,
    actor: User | None = None,
    note: str = "",
    **fields: str,
) -> Fulfilment:
    """Move one fulfilment of ``order`` on (saving ``fields`` such as a tracking number with it), and record
    the move.

    The caller holds the lock on the order (``lock_order``); the fulfilment row is locked here.
    """
    locked = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk, order_id=order.pk)
    check_fulfilment_transition(locked, to_status, order_status=order.status)
    from_status = locked.status
    locked.status = to_status
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *fields])
    record_order_event(
        order.pk,
        OrderEvent.Kind.FULFILMENT,
        fulfilment=locked,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    fulfilment.status = locked.status
    for name, value in fields.items():
        setattr(fulfilment, name, value)
    if locked.pickup_id is not None:
        _pickup_follows_its_parts(locked.pickup_id, at=locked.updated_at)
    return locked


# A pickup's times, each set once (the first time its parts get there) and kept.
PICKUP_READY = frozenset({FS.READY_FOR_PICKUP, FS.COMPLETED})
PICKUP_CLOSED = frozenset({FS.COMPLETED, FS.CANCELLED})


def _pickup_follows_its_parts(pickup_id: int, *, at: datetime) -> None:
    """Stamp the pickup ready when every part not cancelled is ready (or collected), handed over when every
    one is collected, and closed when no part is open (its code is free again). Called holding the order's lock
    after one of its parts moved."""
    statuses = set(Fulfilment.objects.filter(pickup_id=pickup_id).values_list("status", flat=True))
    live = statuses - {FS.CANCELLED}
    moments = {
        "ready_at": bool(live) and live <= PICKUP_READY,
        "handed_over_at": live == {FS.COMPLETED},
        "closed_at": statuses <= PICKUP_CLOSED,
    }
    reached = {name: Coalesce(F(name), Value(at)) for name, now_true in moments.items() if now_true}
    if reached:
        Pickup.objects.filter(pk=pickup_id).update(**reached)


def cancel_fulfilments(order: Order, *, actor: User | None = None, note: str = "") -> list[Fulfilment]:
    """Cancel every fulfilment of an unpaid order that is not cancelled yet, one checked and recorded move
    each; call before the order becomes cancelled or expired, holding its lock.

    A part that cannot be cancelled (one already handed over, say) raises ``InvalidTransition``.
    """
    parts = order.fulfilments.exclude(status=FS.CANCELLED).order_by("pk")
    return [transition_fulfilment(part, FS.CANCELLED, order=order, actor=actor, note=note) for part in parts]
