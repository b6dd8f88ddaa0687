"""The Celery app as the worker and beat processes load it."""

from django.conf import settings

from config.celery import app
from orders import tasks as order_tasks
from worker import tasks


def test_every_scheduled_task_is_registered_and_the_outbox_is_swept_often():
    app.loader.import_default_modules()  # what `celery -A worker worker|beat` does at start: autodiscovery
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "worker.sweep_outbox",
        "worker.expire_overdue_orders",
        "worker.reconcile_payments",
        "worker.send_counter_digests",
        "worker.check_low_stock",
    } <= scheduled
    assert settings.CELERY_BEAT_SCHEDULE["sweep-outbox"]["schedule"] <= 60


def test_idempotent_tasks_survive_a_lost_worker_and_back_off_with_jitter():
    for task in (tasks.deliver_notification, order_tasks.process_stripe_event):
        assert task.acks_late and task.reject_on_worker_lost
        assert task.retry_backoff and task.retry_jitter and task.max_retries
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit < settings.OUTBOX_STUCK_SECONDS
