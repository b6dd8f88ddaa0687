"""The outbox's tasks: deliver one notification, sweep the due ones. Domain apps own their tasks.

Idempotent tasks ack late and are re-queued if a worker dies.
"""

import logging

from celery import shared_task
from django.db import DatabaseError

from worker import delivery

logger = logging.getLogger(__name__)

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}
BACKOFF = {"retry_backoff": 30, "retry_backoff_max": 3600, "retry_jitter": True}


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


@shared_task(name="worker.sweep_outbox", **IDEMPOTENT)
def sweep_outbox(limit: int = 500) -> int:
    """Dispatch notifications still undelivered after their next attempt time, or abandoned mid-delivery."""
    return sum(dispatch(pk) for pk in delivery.due_notifications(limit))


def dispatch(notification_id: int, *, countdown: float | None = None) -> bool:
    """Publish the delivery task; False (logged, row left pending for the sweeper) if the broker refuses."""
    try:
        deliver_notification.apply_async((notification_id,), countdown=countdown)
    except Exception:
        logger.warning("could not publish notification %s; the sweeper will retry", notification_id, exc_info=True)
        return False
    return True
