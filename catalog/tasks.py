"""The catalogue's background work. Registered names are kept from when the task lived under ``worker``."""

from celery import shared_task

from catalog import notifications
from worker.tasks import IDEMPOTENT


@shared_task(name="worker.check_low_stock", **IDEMPOTENT)
def check_low_stock() -> int:
    """Send each merchant the list of its stock rows at or below their threshold (once a day)."""
    return notifications.low_stock_sweep()
