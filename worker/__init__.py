"""Celery tasks and schedules. `celery -A worker worker` finds the app here."""

from config.celery import app

__all__ = ["app"]
