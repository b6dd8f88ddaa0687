"""Tasks that gave up: kept for operators, who can send them again."""

from __future__ import annotations

import logging
import traceback as tb
from typing import Any

from celery import current_app
from celery.signals import task_failure
from django.utils import timezone

from worker.models import FailedTask

logger = logging.getLogger(__name__)


def record_failed_task(
    *, task_id: str, task_name: str, args: Any, kwargs: Any, exception: BaseException, traceback: str, retries: int
) -> FailedTask:
    """Keep a task that gave up (called from the ``task_failure`` signal)."""
    failed, _ = FailedTask.objects.update_or_create(
        task_id=task_id,
        defaults={
            "task_name": task_name,
            "args": list(args or []),
            "kwargs": dict(kwargs or {}),
            "exception": f"{type(exception).__name__}: {exception}"[:5000],
            "traceback": traceback[:20000],
            "retries": retries,
            "failed_at": timezone.now(),
        },
    )
    return failed


def retry_failed_task(failed: FailedTask) -> str:
    """Send a failed task again with its arguments; returns the new task id."""
    task = current_app.tasks[failed.task_name]
    result = task.apply_async(args=failed.args, kwargs=failed.kwargs)
    FailedTask.objects.filter(pk=failed.pk).update(retried_at=timezone.now(), retried_task_id=result.id)
    failed.retried_task_id = result.id
    return result.id


def keep_failed_task(
    sender: Any = None,
    task_id: str = "",
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **extra: Any,
) -> None:
    """A task that failed for good (its retries exhausted) is kept for operators, who can send it again."""
    try:
        record_failed_task(
            task_id=task_id,
            task_name=sender.name,
            args=args,
            kwargs=kwargs,
            exception=exception,
            traceback=str(einfo) if einfo else "".join(tb.format_exception(exception)),
            retries=sender.request.retries or 0,
        )
    except Exception:
        logger.exception("could not record the failure of task %s", task_id)


def connect() -> None:
    """Listen for failed tasks (``WorkerConfig.ready`` calls this, in web and worker processes alike)."""
    task_failure.connect(keep_failed_task, weak=False, dispatch_uid="dexiu-keep-failed-task")
