"""Celery tasks: thin wrappers over services. Idempotent tasks ack late and are re-queued if a worker dies."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from orders.payments.services import EventProcessingError, process_event
from worker import services

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}
BACKOFF = {"retry_backoff": 30, "retry_backoff_max": 3600, "retry_jitter": True}


@shared_task(name="worker.ping")
def ping() -> str:
    """Round-trip check used by readiness probes and integration tests."""
    return "pong"


@shared_task(
    name="worker.process_stripe_event",
    autoretry_for=(EventProcessingError, DatabaseError),
    max_retries=8,
    **IDEMPOTENT,
    **BACKOFF,
)
def process_stripe_event(event_id: str) -> bool:
    """Apply a stored Stripe event (a processed one is skipped); retried with backoff, recorded if it gives up."""
    return process_event(event_id)


@shared_task(name="worker.deliver_notification", autoretry_for=(DatabaseError,), max_retries=5, **IDEMPOTENT, **BACKOFF)
def deliver_notification(notification_id: int) -> str:
    """One delivery attempt of an outbox notification (never sends a delivered one twice)."""
    return services.deliver(notification_id)


@shared_task(name="worker.sweep_outbox", **IDEMPOTENT)
def sweep_outbox() -> int:
    """Dispatch notifications still undelivered after their next attempt time, or abandoned mid-delivery."""
    return services.sweep_outbox()


@shared_task(name="worker.expire_overdue_orders", **IDEMPOTENT)
def expire_overdue_orders() -> int:
    """Expire unpaid orders past their reservation and release their stock."""
    from orders.services import expire_overdue_orders as expire

    return expire()


@shared_task(name="worker.reconcile_payments", **IDEMPOTENT)
def reconcile_payments() -> int:
    """Ask Stripe about pending orders with an intent and apply what it says."""
    from orders.payments.services import reconcile_payments as reconcile

    return reconcile()


@shared_task(name="worker.send_counter_digests", **IDEMPOTENT)
def send_counter_digests() -> int:
    """Each counter's daily digest, once a day, from its opening time."""
    from worker.messages import send_due_counter_digests

    return send_due_counter_digests(timezone.localtime())


@shared_task(name="worker.check_low_stock", **IDEMPOTENT)
def check_low_stock() -> int:
    """Send each merchant the list of its stock rows at or below their threshold (once a day)."""
    from worker.messages import low_stock_sweep

    return low_stock_sweep()


@shared_task(name="worker.check_certificates", **IDEMPOTENT)
def check_certificates() -> int:
    """Warn operators once about each expired aid certificate (producers' and products')."""
    from orders.aid.services import check_certificates as check

    return check()
