"""Celery tasks. The notification outbox and schedules arrive with the worker issue."""

from celery import shared_task


@shared_task(name="worker.ping")
def ping() -> str:
    """Round-trip check used by readiness probes and integration tests."""
    return "pong"
