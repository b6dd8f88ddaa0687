"""The transactional outbox: write a notification with the state change, hand it to the worker after commit.

A publishing failure (broker down) never reaches the caller: the row stays pending and
`worker.sweep_outbox` dispatches it again once its next attempt is due.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from worker.models import Notification
from worker.tasks import dispatch

logger = logging.getLogger(__name__)


def enqueue(
    *,
    channel: str,
    template: str,
    recipient: str,
    payload: dict[str, Any],
    language: str = "zh-hans",
    audience: str = "",
    audience_name: str = "",
    key: str,
) -> Notification:
    """Write a notification in the current transaction (once per `key`) and dispatch it after commit.

    Webhook and counter-queue notifications need an ``audience`` (``kind:id``, see ``Notification``).
    """
    if channel not in Notification.Channel.values:
        raise ValueError(f"unknown notification channel {channel!r}")
    if channel != Notification.Channel.EMAIL and not audience:
        raise ValueError("webhook and counter-queue notifications need an audience")
    defaults: dict[str, Any] = {
        "channel": channel,
        "template": template,
        "recipient": recipient,
        "payload": payload,
        "language": language or "zh-hans",
        "audience": audience,
        "audience_name": audience_name,
    }
    if channel == Notification.Channel.COUNTER:
        # The in-app counter queue is delivered by being written: counter staff read it in their console.
        now = timezone.now()
        defaults.update(status=Notification.Status.DELIVERED, delivered_at=now, attempts=1)
    notification, created = Notification.objects.get_or_create(key=key, defaults=defaults)
    if created and notification.status == Notification.Status.PENDING:
        transaction.on_commit(lambda: dispatch(notification.pk))
    return notification


def resend_failed_notification(notification: Notification) -> bool:
    """An operator sends a permanently failed notification again (after fixing the address, say)."""
    updated = Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, next_attempt_at=timezone.now(), claimed_at=None
    )
    if updated:
        transaction.on_commit(lambda: dispatch(notification.pk))
    return bool(updated)
