"""Delivering outbox notifications exactly once: claim a due row, send it, record the attempt."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from worker import channels
from worker.models import Notification, NotificationAttempt

logger = logging.getLogger(__name__)

DELIVERED = "delivered"
RETRY = "retry"
FAILED = "failed"
SKIPPED = "skipped"


def stuck_after() -> timedelta:
    """How long a row may stay 'sending' before it is taken as abandoned (a worker killed mid-delivery)."""
    return timedelta(seconds=settings.OUTBOX_STUCK_SECONDS)


def backoff(attempts: int) -> float:
    """Seconds before the next try: exponential in the attempts made, capped, with jitter (50 to 100 %)."""
    delay = min(settings.OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), settings.OUTBOX_BACKOFF_MAX_SECONDS)
    return delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not a secret


def _claimable(now: Any) -> Q:
    return Q(status=Notification.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Notification.Status.SENDING, claimed_at__lt=now - stuck_after()
    )


def claim(notification_id: int) -> Notification | None:
    """Mark a due notification 'sending' and count the attempt; None if it is not due or someone else has it.

    The row is locked with SKIP LOCKED and its status re-checked, so two workers never hold it together,
    and a delivered or permanently failed notification is never claimed again.
    """
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_claimable(now), pk=notification_id)
            .first()
        )
        if notification is None:
            return None
        notification.status = Notification.Status.SENDING
        notification.claimed_at = now
        notification.attempts += 1
        notification.save(update_fields=["status", "claimed_at", "attempts"])
    return notification


def _finish(notification: Notification, outcome: str, *, error: str = "", status_code: int | None = None) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"claimed_at": None, "last_error": error[:2000]}
    if outcome == NotificationAttempt.Outcome.DELIVERED:
        fields.update(status=Notification.Status.DELIVERED, delivered_at=now)
    elif outcome == NotificationAttempt.Outcome.FAILED:
        fields.update(status=Notification.Status.FAILED)
    else:
        fields.update(
            status=Notification.Status.PENDING, next_attempt_at=now + timedelta(seconds=backoff(notification.attempts))
        )
    with transaction.atomic():
        updated = Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.SENDING, claimed_at=notification.claimed_at
        ).update(**fields)
        # Kept once per attempt number (a replayed finish adds nothing), in one INSERT … ON CONFLICT DO NOTHING.
        NotificationAttempt.objects.bulk_create(
            [
                NotificationAttempt(
                    notification=notification,
                    number=notification.attempts,
                    outcome=outcome,
                    status_code=status_code,
                    error=error[:2000],
                )
            ],
            ignore_conflicts=True,
        )
    if not updated:
        logger.warning(
            "notification %s was taken over by another worker while attempt %s ran",
            notification.pk,
            notification.attempts,
        )
    for name, value in fields.items():
        setattr(notification, name, value)


def deliver(notification_id: int) -> str:
    """One delivery attempt: delivered, retry (pending with a later next attempt), failed, or skipped.

    A retry is published again by the task (``worker.tasks.deliver_notification``), and the sweeper
    picks up any row whose publishing failed.
    """
    notification = claim(notification_id)
    if notification is None:
        return SKIPPED
    try:
        status_code = channels.send(notification)
    except Exception as exc:  # a DeliveryError, or anything unforeseen (even the soft time limit): recorded
        permanent = getattr(exc, "permanent", False) or notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        outcome = NotificationAttempt.Outcome.FAILED if permanent else NotificationAttempt.Outcome.RETRY
        error = str(exc) if isinstance(exc, channels.DeliveryError) else f"{type(exc).__name__}: {exc}"
        _finish(notification, outcome, error=error, status_code=getattr(exc, "status_code", None))
        if not isinstance(exc, channels.DeliveryError):
            logger.exception("notification %s: unexpected error while sending", notification.pk)
    else:
        _finish(notification, NotificationAttempt.Outcome.DELIVERED, status_code=status_code)
    return str(notification.status) if notification.status != Notification.Status.PENDING else RETRY


def seconds_until_due(notification_id: int) -> float:
    """How long until a pending notification's next attempt is due (0 if it is due now)."""
    due = Notification.objects.filter(pk=notification_id).values_list("next_attempt_at", flat=True).first()
    return max((due - timezone.now()).total_seconds(), 0) if due else 0


def due_notifications(limit: int = 500) -> list[int]:
    """Ids of notifications to dispatch again: pending and due, or abandoned mid-delivery."""
    return list(
        Notification.objects.filter(_claimable(timezone.now()))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
