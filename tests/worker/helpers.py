"""Helpers for the outbox tests: the Celery broker this process publishes to, an unpaid pickup order,
and waiting for what another process does."""

import time
from contextlib import contextmanager

from django.conf import settings
from kombu import pools

from config.celery import app
from tests.orders.helpers import CONTACT, cart_with, checkout, pickup_at, stocked_variant

BROKER_URL = settings.REDIS_URL or "redis://127.0.0.1:6379/1"
CLOSED_PORT_URL = "redis://127.0.0.1:1/1"


def use_broker(url: str) -> None:
    """Point this process's Celery app at `url` for real (not eager), dropping pooled connections."""
    set_app_conf(task_always_eager=False, broker_url=url)


def set_app_conf(**values: object) -> None:
    """Change the app's configuration: it reads Django settings, so the names carry their CELERY_ prefix."""
    for name, value in values.items():
        setattr(app.conf, f"CELERY_{name.upper()}", value)
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_down():
    use_broker(CLOSED_PORT_URL)
    try:
        yield
    finally:
        use_broker(BROKER_URL)


def unpaid_pickup_order(counter):
    """An order placed for pickup at `counter` (its stock received there), not paid yet."""
    variant = stocked_variant((counter, 10), price=1280)
    return checkout(cart_with((variant, 2)), pickup_at(counter), contact=CONTACT)


def wait_until(condition, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
