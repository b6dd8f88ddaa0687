"""Database connections in the worker: kept from one task to the next, as web requests keep theirs.

Celery's Django fix-up closes every connection before and after each task unless ``CELERY_DB_REUSE_MAX``
is set; then it closes them only every that many tasks. Around each task Django's own rule applies, as
around a request (``close_old_connections``): a connection older than ``CONN_MAX_AGE``, or left unusable
by an error (a restarted or stalled database), is closed, and a kept one is checked before its first use
(``conn_health_checks``). Tasks run inline (``always_eager``, tests, ``make run``) are left alone: they
share their caller's connection and transaction.
"""

from typing import Any

from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections


def _around_task(sender: Any = None, **kwargs: Any) -> None:
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()


def connect() -> None:
    task_prerun.connect(_around_task, weak=False, dispatch_uid="worker.connections.prerun")
    task_postrun.connect(_around_task, weak=False, dispatch_uid="worker.connections.postrun")
