"""Infrastructure: the Celery app, the notification outbox, channels, delivery, failed tasks.

It knows no domain: apps build their own messages (``orders.notifications``,
``catalog.notifications``) and own their tasks. ``celery -A worker worker`` finds the app here.
"""

from worker.celery import app

__all__ = ["app"]
