"""The Celery application, configured from Django settings (CELERY_* names).

Tasks are found in every installed app's ``tasks`` module (``orders.tasks``, ``catalog.tasks``,
``worker.tasks``); their registered names never change when a task moves, so queued messages and
beat schedules survive a move.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("dexiu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
