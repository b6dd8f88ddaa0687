"""The end of an order's reservation: paid (its units are sold), cancelled or expired (they are released).

An order awaiting payment holds its units as ``allocated`` stock. ``mark_paid`` is the payment hook
(``apply_intent_succeeded`` and the demo payment call it); ``cancel_order`` and the expiry release the
units and cancel the order's fulfilments. Each locks the order row, then the ``Stock`` rows by primary key.
A cancelled or expired order also frees its coupon code (``orders.coupons.services.release``: the redemption is
deleted, so an unpaid order never burns a single-use code; the order keeps its code and discount as placed) and its
consumption voucher, whose part goes back to the batch's budget (``orders.vouchers.services.release``).
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import StockMovement
from catalog.services import StockChange, StockError, apply_stock_changes
from core.scopes import User
from core.text import clean_text, site_text
from core.transactions import joined_atomic
from core.users import acting_user
from orders import notifications as notify
from orders.aid.services import credit_orders
from orders.coupons.services import release as release_coupon
from orders.events import record_order_event
from orders.institutions.placement import on_order_paid as on_bulk_order_paid
from orders.models import Fulfilment, Order, OrderEvent, OrderLine, OrderStatus
from orders.state import (
    InvalidTransition,
    cancel_fulfilments,
    check_transition,
    lock_order,
    transition,
    transition_many_locked,
)
from orders.vouchers.services import release as release_voucher

# Ledger reasons and system notes are written in the site's language, whoever triggers them.
REASON_SOLD = gettext_lazy("Sold: order paid")
REASON_CANCELLED = gettext_lazy("Order cancelled: reservation released")
REASON_EXPIRED = gettext_lazy("Order not paid in time: reservation released")
NOTE_LATE_PAYMENT = gettext_lazy("Payment %(reference)s arrived for an order that is %(status)s: refund it.")
NOTE_PAYMENT = gettext_lazy("Payment reference: %(reference)s")
# What the stock change, the aid ledger and the messages read of each line of an order being paid.
LINE_RELATIONS = ("variant__product", "location", "merchant")


def _move_order_stock(order: Order, *, kind: str, actor: AbstractBaseUser | None, reason: object) -> None:
    """Release the order's reservation (RELEASE) or turn it into a sale (SALE)."""
    lines = order_lines(order)
    on_hand_change = -1 if kind == StockMovement.Kind.SALE else 0
    apply_stock_changes(
        [StockChange(line.variant, line.location, on_hand_change * line.quantity, -line.quantity) for line in lines],
        kind=kind,
        actor=actor,
        reason=site_text(reason),
        reference=order.number,
    )


def order_lines(order: Order) -> list[OrderLine]:
    """The order's lines with their variant, product, location and merchant, read once per order instance
    (``order.lines.all()`` answers from the same list afterwards: the stock, the ledger, the messages)."""
    prefetch_related_objects([order], Prefetch("lines", queryset=OrderLine.objects.select_related(*LINE_RELATIONS)))
    return list(order.lines.all())


def _is_overdue(order: Order, now: datetime) -> bool:
    return order.status == OrderStatus.PENDING_PAYMENT and order.expires_at <= now


def _expire_locked(order: Order) -> None:
    _move_order_stock(order, kind=StockMovement.Kind.RELEASE, actor=None, reason=REASON_EXPIRED)
    cancel_fulfilments(order)
    release_coupon(order)
    release_voucher(order)
    transition(order, OrderStatus.EXPIRED)


def mark_paid(order: Order, *, actor: User | None = None, note: str = "", payment_reference: str = "") -> Order:
    """Record the payment of an unpaid order: its reserved units become sold (on hand and allocated go down).

    Refused with ``InvalidTransition`` unless the order is awaiting payment and its reservation has not
    run out. An order found overdue is expired on the spot; a payment arriving for an expired or
    cancelled order flags it for review (someone must refund it) before refusing.
    """
    refusal = None
    with joined_atomic():
        lock_order(order)
        try:
            mark_paid_locked(order, actor=actor, note=note, payment_reference=payment_reference)
        except LatePayment as exc:
            refusal = exc  # raised once the flag is committed (or left to the caller's transaction)
    if refusal is not None:
        raise refusal
    return order


class LatePayment(InvalidTransition):
    """A payment for an expired or cancelled order, refused; the flag written with the refusal is to be kept."""


def mark_paid_locked(
    order: Order,
    *,
    actor: User | None = None,
    note: str = "",
    payment_reference: str = "",
    paid_at: datetime | None = None,
) -> Order:
    """``mark_paid`` for a caller holding the order's lock in its transaction; ``paid_at`` is when the money
    arrived (its payment's time; now by default). ``LatePayment`` is raised after the expiry and the flag are
    written: the caller must not roll them back (``mark_paid`` commits them, then raises)."""
    payment_reference = clean_text(payment_reference)[:64]
    if _is_overdue(order, timezone.now()):
        _expire_locked(order)
    if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        status_label = str(OrderStatus(order.status).label).lower()
        Order.objects.filter(pk=order.pk).update(needs_review=True)
        order.needs_review = True
        record_order_event(
            order.pk,
            OrderEvent.Kind.NOTE,
            actor=actor,
            note=site_text(NOTE_LATE_PAYMENT, reference=payment_reference or "-", status=status_label),
        )
        raise LatePayment(_("This order is %(status)s and can no longer be paid.") % {"status": status_label})
    check_transition(order, OrderStatus.PAID)
    parts = [clean_text(note)]
    if payment_reference:
        parts.append(site_text(NOTE_PAYMENT, reference=payment_reference))
    _pay_locked([order], actor=actor, notes={order.pk: " ".join(p for p in parts if p)}, paid_at=paid_at)
    return order


def mark_many_paid_locked(orders: list[Order], *, references: dict[int, str], paid_at: datetime) -> list[Order]:
    """``mark_paid_locked`` for several orders whose locks the caller holds (payments applied as a batch), all
    paid at ``paid_at`` with one statement per table. Each must be awaiting payment within its reservation and
    none may belong to an organisation's bulk order: otherwise ``InvalidTransition`` before anything is written
    (such an order takes ``mark_paid_locked``, with its expiry, flags and bulk order)."""
    now = timezone.now()
    for order in orders:
        if _is_overdue(order, now) or order.bulk_order_id is not None:
            raise InvalidTransition(_("This order cannot be paid together with others."))
        check_transition(order, OrderStatus.PAID)
    notes = {
        pk: site_text(NOTE_PAYMENT, reference=clean_text(reference)[:64])
        for pk, reference in references.items()
        if reference
    }
    return _pay_locked(orders, actor=None, notes=notes, paid_at=paid_at)


def _pay_locked(
    orders: list[Order], *, actor: User | None, notes: dict[int, str], paid_at: datetime | None
) -> list[Order]:
    """Pay orders checked and locked: the aid ledger, the state change, the messages, any bulk order's progress,
    then the stock, each in one statement per table however many orders."""
    prefetch_related_objects(
        orders,
        Prefetch("lines", queryset=OrderLine.objects.select_related(*LINE_RELATIONS)),
        Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("location", "merchant")),
    )  # read once: the ledger, the messages and the stock change share them
    paid_at = paid_at or timezone.now()
    for order in orders:
        order.paid_at = paid_at
    credit_orders(orders, at=paid_at)
    transition_many_locked(orders, OrderStatus.PAID, actor=actor, notes=notes, paid_at=paid_at)
    notify.orders_paid(orders)
    for order in orders:
        if order.bulk_order_id is not None:
            on_bulk_order_paid(order, actor=actor)
    # Last: the stock rows stay locked to the commit, and a sale's rows are shared by every order paid for the
    # same goods (a flash sale's burst of payments queues on them). The units were allocated to these orders, so
    # a refusal means the counts were broken meanwhile: the transaction is doomed, whoever catches the error,
    # and the payment's earlier writes go with it.
    try:
        apply_stock_changes(
            [
                StockChange(line.variant, line.location, -line.quantity, -line.quantity, reference=order.number)
                for order in orders
                for line in order.lines.all()
            ],
            kind=StockMovement.Kind.SALE,
            actor=acting_user(actor),
            reason=site_text(REASON_SOLD),
            reference=orders[0].number,
        )
    except StockError:
        transaction.set_rollback(True)
        raise
    return orders


def cancel_order(order: Order, *, actor: User | None, reason: str = "") -> Order:
    """Cancel an unpaid order; its reserved stock is released at once and its fulfilments cancelled."""
    with transaction.atomic():
        lock_order(order)
        check_transition(order, OrderStatus.CANCELLED)
        _move_order_stock(order, kind=StockMovement.Kind.RELEASE, actor=acting_user(actor), reason=REASON_CANCELLED)
        cancel_fulfilments(order, actor=actor)
        release_coupon(order, actor=actor)
        release_voucher(order, actor=actor)
        transition(order, OrderStatus.CANCELLED, actor=actor, note=clean_text(reason))
    return order


def expire_order(order: Order, *, now: datetime | None = None) -> bool:
    """Expire the order if it is still unpaid past its time (releasing its stock); False if not due.

    Safe to call at any time and from several workers: the order row is locked and re-checked.
    """
    with transaction.atomic():
        lock_order(order)
        if not _is_overdue(order, now or timezone.now()):
            return False
        _expire_locked(order)
    return True


def expire_overdue_orders(now: datetime | None = None) -> int:
    """Expire every unpaid order past its reservation time; returns how many were expired."""
    now = now or timezone.now()
    due = Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now).order_by("expires_at", "pk")
    return sum(expire_order(order, now=now) for order in due)
