"""A bulk order's status moves, and only these (every one writes a ``BulkOrderChange``: who, when, why).

draft → submitting (submitted: its orders are being placed)
submitting → pending_approval | awaiting_payment (every order placed, units held) | draft (one could not be placed)
pending_approval → awaiting_payment (approved) | draft (rejected: its orders cancelled) | cancelled | expired
awaiting_payment → paid | cancelled | expired
paid → completed (every merchant's invoice signed off)

The caller holds the bulk order's row lock (``lock``) in its transaction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.scopes import User
from core.text import clean_text
from orders.models import BulkOrder, BulkOrderChange

Status = BulkOrder.Status

MOVES: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SUBMITTING}),
    Status.SUBMITTING: frozenset({Status.PENDING_APPROVAL, Status.AWAITING_PAYMENT, Status.DRAFT}),
    Status.PENDING_APPROVAL: frozenset({Status.AWAITING_PAYMENT, Status.DRAFT, Status.CANCELLED, Status.EXPIRED}),
    Status.AWAITING_PAYMENT: frozenset({Status.PAID, Status.CANCELLED, Status.EXPIRED}),
    Status.PAID: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.EXPIRED: frozenset(),
}


class BulkOrderError(Exception):
    """A change a bulk order refuses; the message is for the person who asked."""


def lock(bulk_order: BulkOrder) -> BulkOrder:
    """Lock the bulk order's row (inside a transaction) and refresh it from the database."""
    fresh = BulkOrder.objects.select_for_update().get(pk=bulk_order.pk)
    for field in BulkOrder._meta.concrete_fields:
        setattr(bulk_order, field.attname, getattr(fresh, field.attname))
    return bulk_order


def can_move(bulk_order: BulkOrder, to_status: str) -> bool:
    return to_status in MOVES.get(bulk_order.status, frozenset())


def move(bulk_order: BulkOrder, to_status: str, *, actor: User | None, note: str = "", **fields) -> BulkOrder:
    """Move a locked bulk order to ``to_status`` (setting ``fields`` too) and record who, when and why."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("move() needs the bulk order's row lock inside a transaction")
    if not can_move(bulk_order, to_status):
        raise BulkOrderError(
            _("This bulk order is %(status)s and cannot become %(to)s.")
            % {"status": bulk_order.get_status_display(), "to": Status(to_status).label}
        )
    from_status = bulk_order.status
    bulk_order.status = to_status
    for name, value in fields.items():
        setattr(bulk_order, name, value)
    bulk_order.save(update_fields=["status", "updated_at", *fields])
    BulkOrderChange.objects.create(
        bulk_order=bulk_order,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=clean_text(note)[:500],
        created_at=timezone.now(),
    )
    return bulk_order
