"""The Celery application, configured from Django settings (CELERY_* names).

Tasks are found in every installed app's ``tasks`` module (``orders.tasks``, ``catalog.tasks``,
``worker.tasks``); their registered names never change when a task moves, so queued messages and
beat schedules survive a move.
"""

import os

from celery import Celery
from celery.signals import worker_process_init

from core.startup import freeze_loaded_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("dexiu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_loaded_objects(**kwargs) -> None:
    """Each pool process, once forked with the tasks loaded, keeps its start-up objects out of the collector (the
    views are not loaded: a pool process has seconds to report ready)."""
    freeze_loaded_objects(views=False)
