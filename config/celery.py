"""The Celery application, configured from Django settings (CELERY_* names)."""

import logging
import os
import traceback as tb
from typing import Any

from celery import Celery
from celery.signals import task_failure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

logger = logging.getLogger(__name__)

app = Celery("dexiu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["worker"])


@task_failure.connect
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
    from worker.services import record_failed_task

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
