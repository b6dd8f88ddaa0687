"""The transactional outbox: write a notification with the state change, hand it to the worker after commit.

A publishing failure (broker down) never reaches the caller: the row stays pending and
`worker.sweep_outbox` dispatches it again once its next attempt is due.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from worker.models import Notification

if TYPE_CHECKING:
    from catalog.models import Location

logger = logging.getLogger(__name__)


def enqueue(
    *,
    channel: str,
    template: str,
    recipient: str,
    payload: dict[str, Any],
    language: str = "zh-hans",
    location: Location | None = None,
    key: str,
) -> Notification:
    """Write a notification in the current transaction (once per `key`) and dispatch it after commit."""
    if channel not in Notification.Channel.values:
        raise ValueError(f"unknown notification channel {channel!r}")
    if channel != Notification.Channel.EMAIL and location is None:
        raise ValueError("webhook and counter-queue notifications need the counter (location)")
    defaults: dict[str, Any] = {
        "channel": channel,
        "template": template,
        "recipient": recipient,
        "payload": payload,
        "language": language or "zh-hans",
        "location": location,
    }
    if channel == Notification.Channel.COUNTER:
        # The in-app counter queue is delivered by being written: counter staff read it in their console.
        now = timezone.now()
        defaults.update(status=Notification.Status.DELIVERED, delivered_at=now, attempts=1)
    notification, created = Notification.objects.get_or_create(key=key, defaults=defaults)
    if created and notification.status == Notification.Status.PENDING:
        transaction.on_commit(lambda: dispatch(notification.pk))
    return notification


def dispatch(notification_id: int, *, countdown: float | None = None) -> bool:
    """Publish the delivery task; False (logged, row left pending for the sweeper) if the broker refuses."""
    from worker.tasks import deliver_notification

    try:
        deliver_notification.apply_async((notification_id,), countdown=countdown)
    except Exception:
        logger.warning("could not publish notification %s; the sweeper will retry", notification_id, exc_info=True)
        return False
    return True
