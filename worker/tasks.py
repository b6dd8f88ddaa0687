"""The outbox's tasks: deliver one notification or several, sweep the due ones. Domain apps own their tasks.

Idempotent tasks ack late and are re-queued if a worker dies.
"""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from worker import delivery

logger = logging.getLogger(__name__)

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}
BACKOFF = {"retry_backoff": 30, "retry_backoff_max": 3600, "retry_jitter": True}
# A task priority for bulk work that should yield to deliveries: on Redis, 0 (the default) is taken first,
# then 3, 6, 9 (kombu's priority steps); tasks of one priority keep their order.
AFTER_DELIVERIES = 3


@shared_task(name="worker.ping")
def ping() -> str:
    """Round-trip check used by readiness probes and integration tests."""
    return "pong"


@shared_task(name="worker.deliver_notification", autoretry_for=(DatabaseError,), max_retries=5, **IDEMPOTENT, **BACKOFF)
def deliver_notification(notification_id: int) -> str:
    """One delivery attempt of an outbox notification (never sends a delivered one twice); a retry is re-published."""
    outcome = delivery.deliver(notification_id)
    if outcome == delivery.RETRY:
        dispatch(notification_id, countdown=delivery.seconds_until_due(notification_id))
    return outcome


@shared_task(
    name="worker.deliver_notifications", autoretry_for=(DatabaseError,), max_retries=5, **IDEMPOTENT, **BACKOFF
)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """One delivery attempt of each of these notifications (those written together, or a batch of the sweeper)."""
    return deliver_batch(notification_ids)


def deliver_batch(notification_ids: list[int]) -> dict[str, int]:
    """One delivery attempt of each of these notifications, here and now (in a task).

    They are claimed together and their attempts recorded together (``delivery.deliver_many``), so a retry of
    the whole task (a database error) skips those already sent; one that must be tried again later is
    re-published alone. Past half the soft time limit (slow channels), the rest are published as a new task
    rather than risk the limit.
    """
    result = delivery.deliver_many(
        notification_ids, deadline=time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    )
    for notification_id in result.retry:
        dispatch(notification_id, countdown=delivery.seconds_until_due(notification_id))
    outcomes = dict(result.outcomes)
    if result.untried:
        dispatch_many(result.untried)
        outcomes["passed_on"] = len(result.untried)
    return outcomes


@shared_task(name="worker.sweep_outbox", **IDEMPOTENT)
def sweep_outbox(limit: int = 500) -> int:
    """Dispatch notifications still undelivered after their next attempt time, or abandoned mid-delivery."""
    due = delivery.due_notifications(limit)
    return sum(len(batch) for batch in _batches(due) if dispatch_many(batch))


def dispatch(notification_id: int, *, countdown: float | None = None) -> bool:
    """Publish the delivery task; False (logged, row left pending for the sweeper) if the broker refuses."""
    try:
        deliver_notification.apply_async((notification_id,), countdown=countdown)
    except Exception:
        logger.warning("could not publish notification %s; the sweeper will retry", notification_id, exc_info=True)
        return False
    return True


SWEEP_BATCH = 20


def _batches(ids: list[int]) -> list[list[int]]:
    return [ids[n : n + SWEEP_BATCH] for n in range(0, len(ids), SWEEP_BATCH)]


def dispatch_many(notification_ids: list[int]) -> bool:
    """Publish one delivery task for several notifications; False (logged, rows left for the sweeper) if refused."""
    if len(notification_ids) == 1:
        return dispatch(notification_ids[0])
    if not notification_ids:
        return True
    try:
        deliver_notifications.apply_async((list(notification_ids),))
    except Exception:
        logger.warning("could not publish notifications %s; the sweeper will retry", notification_ids, exc_info=True)
        return False
    return True
