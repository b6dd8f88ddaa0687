"""Delivering outbox notifications exactly once: claim due rows, send each, record the attempts."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from worker import channels, sms
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


def _settle(notification: Notification, outcome: str, error: str, now: Any) -> int:
    """Write one attempt's result on its row, unless another worker took it over meanwhile (0 then)."""
    fields: dict[str, Any] = {"claimed_at": None, "last_error": error[:2000]}
    if outcome == NotificationAttempt.Outcome.DELIVERED:
        fields.update(status=Notification.Status.DELIVERED, delivered_at=now)
    elif outcome == NotificationAttempt.Outcome.FAILED:
        fields.update(status=Notification.Status.FAILED)
    else:
        fields.update(
            status=Notification.Status.PENDING, next_attempt_at=now + timedelta(seconds=backoff(notification.attempts))
        )
    updated = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.SENDING, claimed_at=notification.claimed_at
    ).update(**fields)
    if not updated:
        logger.warning(
            "notification %s was taken over by another worker while attempt %s ran",
            notification.pk,
            notification.attempts,
        )
    for name, value in fields.items():
        setattr(notification, name, value)
    return updated


def deliver(notification_id: int) -> str:
    """One delivery attempt: delivered, retry (pending with a later next attempt), failed, or skipped.

    A retry is published again by the task (``worker.tasks.deliver_notification``), and the sweeper
    picks up any row whose publishing failed.
    """
    return next(iter(deliver_many([notification_id]).outcomes))


def claim_many(notification_ids: list[int]) -> list[Notification]:
    """Claim several notifications in one transaction: the due ones among them (locked with SKIP LOCKED and
    re-checked, so two workers never hold one, and a delivered or failed one is never claimed again), in id
    order, each marked 'sending' with one attempt more (one statement for all)."""
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_claimable(now), pk__in=notification_ids)
            .order_by("pk")
        )
        if claimed:
            Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(
                status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    for notification in claimed:
        notification.status, notification.claimed_at = Notification.Status.SENDING, now
        notification.attempts += 1
    return claimed


def _outcome(notification: Notification) -> tuple[str, str, int | None]:
    """Send one claimed notification: (attempt outcome, error, HTTP status)."""
    try:
        status_code = channels.send(notification)
    except Exception as exc:  # a DeliveryError, or anything unforeseen (even the soft time limit): recorded
        permanent = getattr(exc, "permanent", False) or notification.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        outcome = NotificationAttempt.Outcome.FAILED if permanent else NotificationAttempt.Outcome.RETRY
        error = str(exc) if isinstance(exc, channels.DeliveryError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, channels.DeliveryError):
            logger.exception("notification %s: unexpected error while sending", notification.pk)
        return outcome, error, getattr(exc, "status_code", None)
    return NotificationAttempt.Outcome.DELIVERED, "", status_code


def _finish_many(results: list[tuple[Notification, str, str, int | None]]) -> None:
    """Record the attempts of one batch in one transaction: one update for all delivered, one per other outcome,
    one insert of the attempt log."""
    now = timezone.now()
    delivered = [n for n, outcome, _error, _code in results if outcome == NotificationAttempt.Outcome.DELIVERED]
    with transaction.atomic():
        if delivered:
            updated = Notification.objects.filter(
                pk__in=[n.pk for n in delivered],
                status=Notification.Status.SENDING,
                claimed_at=delivered[0].claimed_at,
            ).update(status=Notification.Status.DELIVERED, delivered_at=now, claimed_at=None, last_error="")
            if updated != len(delivered):
                logger.warning(
                    "%d of %d delivered notifications were taken over meanwhile",
                    len(delivered) - updated,
                    len(delivered),
                )
            for notification in delivered:
                notification.status, notification.delivered_at, notification.claimed_at = (
                    Notification.Status.DELIVERED,
                    now,
                    None,
                )
        for notification, outcome, error, _code in results:
            if outcome != NotificationAttempt.Outcome.DELIVERED:
                _settle(notification, outcome, error, now)
        NotificationAttempt.objects.bulk_create(
            [
                NotificationAttempt(
                    notification=notification,
                    number=notification.attempts,
                    outcome=outcome,
                    status_code=code,
                    error=error[:2000],
                )
                for notification, outcome, error, code in results
            ],
            ignore_conflicts=True,
        )
        _blank_secrets([n for n, outcome, _e, _c in results if outcome != NotificationAttempt.Outcome.RETRY])


def _blank_secrets(finished: list[Notification]) -> None:
    """Empty the secret parameters (a sign-in code) of text messages that will not be sent again."""
    for notification in finished:
        if notification.channel != Notification.Channel.SMS:
            continue
        blanked = sms.blanked_payload(notification.template, notification.payload)
        if blanked is not None:
            Notification.objects.filter(pk=notification.pk).update(payload=blanked)
            notification.payload = blanked


def _release(notifications: list[Notification]) -> None:
    """Give back claimed notifications that were not tried (the batch ran out of time): pending, attempt uncounted."""
    if notifications:
        Notification.objects.filter(
            pk__in=[n.pk for n in notifications],
            status=Notification.Status.SENDING,
            claimed_at=notifications[0].claimed_at,
        ).update(status=Notification.Status.PENDING, claimed_at=None, attempts=F("attempts") - 1)


@dataclass
class BatchResult:
    """What one batch delivery did: the count per outcome (named as ``deliver`` names them), the ids to try
    again later (pending, with their next attempt set), and those left untried when time ran out."""

    outcomes: dict[str, int] = field(default_factory=dict)
    retry: list[int] = field(default_factory=list)
    untried: list[int] = field(default_factory=list)


def deliver_many(notification_ids: list[int], *, deadline: float | None = None) -> BatchResult:
    """One delivery attempt of each due notification among ``notification_ids``: claimed together, sent one by
    one in the order given, recorded together. When the monotonic ``deadline`` passes before all are sent, the
    rest are released untried (their attempt uncounted) for a task of their own.

    Outcomes are recorded after the batch is sent: a worker killed meanwhile leaves its rows 'sending', and the
    sweeper sends them again after ``OUTBOX_STUCK_SECONDS`` (receivers dedupe by the idempotency key).
    """
    position = {pk: n for n, pk in reversed(list(enumerate(notification_ids)))}
    claimed = sorted(claim_many(notification_ids), key=lambda notification: position[notification.pk])
    result = BatchResult()
    if len(claimed) < len(set(notification_ids)):
        result.outcomes[SKIPPED] = len(set(notification_ids)) - len(claimed)
    results, untried = [], []
    with channels.endpoints_read_once():
        for n, notification in enumerate(claimed):
            if n and deadline is not None and time.monotonic() > deadline:
                untried = claimed[n:]
                break
            results.append((notification, *_outcome(notification)))
    try:
        _finish_many(results)
    finally:
        _release(untried)
    for notification, _name, _error, _code in results:
        name = str(notification.status) if notification.status != Notification.Status.PENDING else RETRY
        result.outcomes[name] = result.outcomes.get(name, 0) + 1
        if name == RETRY:
            result.retry.append(notification.pk)
    result.untried = [n.pk for n in untried]
    return result


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
