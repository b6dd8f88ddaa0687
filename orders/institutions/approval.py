"""A submitted bulk order's decisions: approved, rejected, cancelled, or expired when its units' hold runs out.

Rules:
- an approver of the bulk order's organisation, or an operator (``can_review_organisations``), approves or
  rejects a bulk order awaiting approval; nobody decides on a bulk order they submitted themselves (segregation
  of duties: the one who ordered is not the one who approves);
- approving moves it to awaiting payment, recording who and when (``approved_by``, ``approved_at``);
- rejecting needs a reason: every order of it still awaiting payment is cancelled (its units released) and it
  goes back to draft, keeping its number, so its buyers may change it and submit it again (which places fresh
  orders; the cancelled ones stay linked to it, as history);
- a buyer of the organisation, or an operator, cancels it (with a reason) while it awaits approval or payment
  and none of its orders is paid yet: its unpaid orders are cancelled and the units released;
- once its units' hold has run out (``expires_at``), a bulk order awaiting approval or payment expires
  (``expire_overdue_bulk_orders``, run every minute): its unpaid orders are expired, their units released; one
  with an order already paid online is flagged for review (an operator refunds or delivers that part);
- each decision runs in one transaction under the bulk order's row lock (``lifecycle.lock``) and re-checks its
  status there, so of two concurrent decisions exactly one wins. Its orders are then locked without waiting:
  an order being paid at that moment holds its own lock and waits for the bulk order's (``on_order_paid``), so
  the decision is refused (try again) rather than deadlock; the sweep leaves that bulk order to its next run.
"""

import logging
from datetime import datetime

from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Stock
from core.scopes import User
from orders.institutions.lifecycle import BulkOrderError, lock, move
from orders.institutions.selectors import can_review_organisations, roles_in
from orders.models import BulkOrder, Membership, Order, OrderLine, OrderStatus
from orders.payments.reservation import cancel_order, expire_order

logger = logging.getLogger(__name__)

Status = BulkOrder.Status
OPEN = (Status.PENDING_APPROVAL, Status.AWAITING_PAYMENT)


class OrderBeingPaid(BulkOrderError):
    """One of the bulk order's orders is locked by a payment in progress."""


def is_operator(user: User) -> bool:
    return can_review_organisations(user)


def may_decide(user: User, bulk_order: BulkOrder) -> bool:
    """An approver of its organisation or an operator, who did not submit it."""
    if not user.is_authenticated or user.pk == bulk_order.submitted_by_id:
        return False
    return is_operator(user) or Membership.Role.APPROVER in roles_in(user, bulk_order.organisation)


def may_cancel(user: User, bulk_order: BulkOrder) -> bool:
    """A buyer of its organisation or an operator."""
    if not user.is_authenticated:
        return False
    return is_operator(user) or Membership.Role.BUYER in roles_in(user, bulk_order.organisation)


def _check_decider(actor: User, bulk_order: BulkOrder) -> None:
    if actor.is_authenticated and actor.pk == bulk_order.submitted_by_id:
        raise BulkOrderError(
            _("You submitted this bulk order, so another approver of the organisation must approve or reject it.")
        )
    if not may_decide(actor, bulk_order):
        raise BulkOrderError(_("Only an approver of the organisation can approve or reject this bulk order."))


def _check_status(bulk_order: BulkOrder, allowed: tuple[str, ...]) -> None:
    if bulk_order.status not in allowed:
        raise BulkOrderError(
            _("This bulk order is %(status)s: it cannot be changed so.") % {"status": bulk_order.get_status_display()}
        )


def _unpaid_orders_locked(bulk_order: BulkOrder) -> list[Order]:
    """Its orders awaiting payment, locked without waiting (by pk), and the stock rows they hold, by pk."""
    try:
        orders = list(
            Order.objects.select_for_update(nowait=True)
            .filter(bulk_order=bulk_order, status=OrderStatus.PENDING_PAYMENT)
            .order_by("pk")
        )
    except OperationalError as exc:
        raise OrderBeingPaid(_("One of its orders is being paid at this moment. Try again in a minute.")) from exc
    variant_ids = set(OrderLine.objects.filter(order__in=orders).values_list("variant_id", flat=True))
    list(Stock.objects.select_for_update().filter(variant_id__in=variant_ids).order_by("pk").values_list("pk"))
    return orders


def approve(bulk_order: BulkOrder, *, actor: User) -> BulkOrder:
    """An approver (not its submitter) or an operator approves a bulk order awaiting approval: it awaits payment."""
    with transaction.atomic():
        lock(bulk_order)
        _check_decider(actor, bulk_order)
        _check_status(bulk_order, (Status.PENDING_APPROVAL,))
        now = timezone.now()
        if bulk_order.expires_at is not None and bulk_order.expires_at <= now:
            raise BulkOrderError(_("Its units are no longer held: it has expired."))
        move(bulk_order, Status.AWAITING_PAYMENT, actor=actor, note=_("Approved"), approved_by=actor, approved_at=now)
    return bulk_order


def reject(bulk_order: BulkOrder, *, actor: User, reason: str) -> BulkOrder:
    """An approver (not its submitter) or an operator rejects a bulk order awaiting approval, with a reason:
    its orders are cancelled, their units released, and it is a draft again (see the module)."""
    reason = (reason or "").strip()
    if not reason:
        raise BulkOrderError(_("A reason is required."))
    with transaction.atomic():
        lock(bulk_order)
        _check_decider(actor, bulk_order)
        _check_status(bulk_order, (Status.PENDING_APPROVAL,))
        for order in _unpaid_orders_locked(bulk_order):
            cancel_order(order, actor=actor, reason=reason)
        move(
            bulk_order,
            Status.DRAFT,
            actor=actor,
            note=reason,
            total=0,
            submitted_by=None,
            submitted_at=None,
            expires_at=None,
        )
    return bulk_order


def cancel(bulk_order: BulkOrder, *, actor: User, reason: str) -> BulkOrder:
    """A buyer of its organisation or an operator cancels a bulk order awaiting approval or payment, none of whose
    orders is paid, with a reason: its orders are cancelled and their units released."""
    reason = (reason or "").strip()
    if not reason:
        raise BulkOrderError(_("A reason is required."))
    if not may_cancel(actor, bulk_order):
        raise BulkOrderError(_("Only a buyer of the organisation can cancel this bulk order."))
    with transaction.atomic():
        lock(bulk_order)
        _check_status(bulk_order, OPEN)
        if Order.objects.filter(bulk_order=bulk_order, status=OrderStatus.PAID).exists():
            raise BulkOrderError(
                _("Some of its orders are already paid: it can no longer be cancelled here. Please contact us.")
            )
        for order in _unpaid_orders_locked(bulk_order):
            cancel_order(order, actor=actor, reason=reason)
        move(bulk_order, Status.CANCELLED, actor=actor, note=reason)
    return bulk_order


def expire_bulk_order(bulk_order: BulkOrder, *, now: datetime | None = None) -> bool:
    """Expire the bulk order if it is still open past its hold (see the module); False if not due."""
    now = now or timezone.now()
    with transaction.atomic():
        lock(bulk_order)
        if bulk_order.status not in OPEN or bulk_order.expires_at is None or bulk_order.expires_at > now:
            return False
        note = _("Not paid in time: its units are released.")
        for order in _unpaid_orders_locked(bulk_order):
            if not expire_order(order, now=now):  # held longer than the bulk order: released all the same
                cancel_order(order, actor=None, reason=note)
        paid_part = Order.objects.filter(bulk_order=bulk_order, status=OrderStatus.PAID).exists()
        move(
            bulk_order,
            Status.EXPIRED,
            actor=None,
            note=note,
            needs_review=bulk_order.needs_review or paid_part,
        )
    return True


def expire_overdue_bulk_orders(now: datetime | None = None) -> int:
    """Expire every bulk order awaiting approval or payment past its hold; returns how many were expired.

    Safe from several workers at once: each bulk order is locked and re-checked. One with an order being paid
    at this moment is left to the next run."""
    now = now or timezone.now()
    due = BulkOrder.objects.filter(status__in=OPEN, expires_at__lte=now).order_by("expires_at", "pk")
    expired = 0
    for bulk_order in due:
        try:
            expired += expire_bulk_order(bulk_order, now=now)
        except OrderBeingPaid:
            logger.info("bulk order %s: an order is being paid; expiry left to the next run", bulk_order.pk)
    return expired
