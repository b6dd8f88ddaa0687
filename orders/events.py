"""The order history: every ``OrderEvent`` is written here (who, when, from → to, note).

Status changes are recorded by ``orders.state`` as it makes them; notes (a wrong pickup code, a late or
disputed payment, a refund that leaves the status as it was) by the services that make them.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from core.scopes import User
from core.users import acting_user
from orders.models import Fulfilment, OrderEvent

NOTE_MAX_LENGTH = 500


def record_order_event(
    order_id: int,
    kind: str,
    *,
    fulfilment: Fulfilment | None = None,
    actor: User | AbstractBaseUser | None = None,
    from_status: str = "",
    to_status: str = "",
    note: object = "",
    at: datetime | None = None,
) -> OrderEvent:
    """Append one entry to the order's history: by a signed-in ``actor`` (else the system), ``at`` (now
    by default), ``from_status`` → ``to_status``, the ``note`` cut to 500 characters."""
    return OrderEvent.objects.create(
        order_id=order_id,
        fulfilment=fulfilment,
        actor=acting_user(actor),
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=str(note)[:NOTE_MAX_LENGTH],
        created_at=at or timezone.now(),
    )


def record_order_events(
    entries: list[dict[str, object]], *, actor: User | AbstractBaseUser | None = None, at: datetime | None = None
) -> list[OrderEvent]:
    """Append several entries at once (orders moved together): each a dict of ``order_id``, ``kind``,
    ``from_status``, ``to_status`` and ``note``, all by ``actor`` at ``at``, cut as ``record_order_event`` cuts."""
    at = at or timezone.now()
    return OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=entry["order_id"],
            actor=acting_user(actor),
            kind=entry["kind"],
            from_status=entry.get("from_status", ""),
            to_status=entry.get("to_status", ""),
            note=str(entry.get("note", ""))[:NOTE_MAX_LENGTH],
            created_at=at,
        )
        for entry in entries
    )
