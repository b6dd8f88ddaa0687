"""The catalogue's background work. Registered names are kept from when the task lived under ``worker``."""

from celery import shared_task
from django.db import DatabaseError

from catalog import alerts, notifications
from worker.tasks import BACKOFF, IDEMPOTENT


@shared_task(name="worker.check_low_stock", **IDEMPOTENT)
def check_low_stock() -> int:
    """Send each merchant the list of its stock rows at or below their threshold (once a day)."""
    return notifications.low_stock_sweep()


@shared_task(name="catalog.notify_restocked", autoretry_for=(DatabaseError,), max_retries=5, **IDEMPOTENT, **BACKOFF)
def notify_restocked_task(variant_ids: list[int]) -> int:
    """Tell the shoppers waiting for these variants that are back where they asked (``catalog.alerts``); returns
    how many were told. Safe to run twice: a told alert is never told again."""
    return alerts.notify_restocked(variant_ids)


@shared_task(name="catalog.sweep_stock_alerts", **IDEMPOTENT)
def sweep_stock_alerts() -> int:
    """Tell every pending alert that is ready, whatever made it so (a missed task, a counter opened again)."""
    return alerts.notify_restocked()
