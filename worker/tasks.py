"""Celery tasks. The notification outbox and schedules arrive with the worker issue."""

from celery import shared_task

from orders.payments.services import EventProcessingError, process_event


@shared_task(name="worker.ping")
def ping() -> str:
    """Round-trip check used by readiness probes and integration tests."""
    return "pong"


@shared_task(name="worker.process_stripe_event", bind=True, acks_late=True, max_retries=8)
def process_stripe_event(self, event_id: str) -> bool:
    """Apply a stored Stripe event (idempotent: a processed event is skipped); retried with backoff on failure."""
    try:
        return process_event(event_id)
    except EventProcessingError as exc:
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc
