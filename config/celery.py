"""The Celery application (defined with the outbox infrastructure in ``worker.celery``)."""

from worker.celery import app

__all__ = ["app"]
