"""A transaction's notifications leave in one task (or are delivered by the worker task that wrote them), those
that can wait last; a batch is delivered once per row, whatever is replayed."""

from unittest import mock

import pytest
from django.core import mail
from django.db import DatabaseError, transaction

from orders.payments import mark_paid
from tests import factories
from tests.orders.helpers import CONTACT, cart_with, checkout, pickup_at, stocked_variant
from worker import channels, outbox, tasks
from worker.models import Notification, NotificationAttempt
from worker.outbox import enqueue


def email(key: str) -> Notification:
    return enqueue(channel="email", template="order_refunded", recipient="a@example.com", payload={}, key=key)


def test_the_notifications_of_one_transaction_are_published_in_one_task(db, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.deliver_notifications, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        first, second = email("batch-1"), email("batch-2")
        email("batch-1")  # the same key again: no row, nothing more to send
    assert len(callbacks) == 1
    publish.assert_called_once_with(([first.pk, second.pk],))


def test_a_notification_of_a_rolled_back_savepoint_is_dropped_and_the_rest_still_leave(
    db, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(tasks.deliver_notifications, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        try:
            with transaction.atomic():
                email("dropped")
                raise RuntimeError
        except RuntimeError:
            pass
        kept, other = email("kept"), email("other")
    assert not Notification.objects.filter(key="dropped").exists()
    publish.assert_called_once_with(([kept.pk, other.pk],))


def test_a_paid_order_sends_all_its_messages_with_one_task_the_e_mails_last(
    db, receiver, django_capture_on_commit_callbacks
):
    order = pickup_order(receiver)
    publish = tasks.deliver_notifications.apply_async
    with (
        mock.patch.object(tasks, "dispatch", wraps=tasks.dispatch) as single,
        mock.patch.object(tasks.deliver_notifications, "apply_async", wraps=publish) as many,
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            mark_paid(order)
        assert not single.called
    assert len([c for c in callbacks if type(c).__name__ == "_Dispatch"]) == 1
    assert published_channels(many) == [["sms", "webhook", "email", "email"]]
    assert receiver.wait_for(1, timeout=5)
    sent = Notification.objects.exclude(channel="counter")
    assert sorted(sent.values_list("channel", "status")) == [
        ("email", "delivered"),
        ("email", "delivered"),
        ("sms", "delivered"),
        ("webhook", "delivered"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([CONTACT.email, "counter@example.com"])


def pickup_order(receiver):
    counter = factories.make_location(webhook_url=receiver.url, notification_email="counter@example.com")
    variant = stocked_variant((counter, 10), price=1280)
    return checkout(cart_with((variant, 1)), pickup_at(counter), contact=CONTACT)


def published_channels(publish: mock.MagicMock) -> list[list[str]]:
    """The channels of each published batch, in the order the task will send them."""
    channels = dict(Notification.objects.values_list("pk", "channel"))
    return [[channels[pk] for pk in c.args[0][0]] for c in publish.call_args_list]


def test_a_worker_task_delivers_the_messages_it_writes_itself_after_the_commit_e_mails_last(
    db, receiver, django_capture_on_commit_callbacks
):
    order = pickup_order(receiver)
    publish = tasks.deliver_notifications.apply_async
    with (
        mock.patch.object(tasks.deliver_notifications, "apply_async", wraps=publish) as many,
        mock.patch.object(channels, "send", wraps=channels.send) as send,  # watched, still sending
        outbox.delivered_here(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        mark_paid(order)
    assert not many.called
    assert [c.args[0].channel for c in send.call_args_list] == ["sms", "webhook", "email", "email"]
    assert receiver.wait_for(1, timeout=5)
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}


def test_if_a_worker_task_cannot_deliver_its_messages_it_publishes_them(
    db, receiver, django_capture_on_commit_callbacks
):
    """The database failing under the delivery is simulated (a mock): the rows, written before, are published."""
    order = pickup_order(receiver)
    publish = tasks.deliver_notifications.apply_async
    with (
        mock.patch.object(tasks.deliver_notifications, "apply_async", wraps=publish) as many,
        mock.patch.object(outbox, "deliver_batch", side_effect=DatabaseError("connection lost")),
        outbox.delivered_here(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        mark_paid(order)
    assert published_channels(many) == [["sms", "webhook", "email", "email"]]
    assert receiver.wait_for(1, timeout=5)
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.parametrize("replays", [1, 2])
def test_a_replayed_batch_sends_nothing_twice(db, replays, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        ids = [email(f"replay-{n}").pk for n in range(3)]
    tasks.deliver_notifications.run(ids)
    for _ in range(replays):
        assert tasks.deliver_notifications.run(ids) == {"skipped": 3}
    assert len(mail.outbox) == 3
    assert NotificationAttempt.objects.count() == 3
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}


def test_the_sweeper_publishes_due_notifications_in_batches(db, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(tasks, "SWEEP_BATCH", 2)
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        ids = [email(f"swept-{n}").pk for n in range(5)]
    with (
        mock.patch.object(tasks.deliver_notifications, "apply_async") as many,
        mock.patch.object(tasks.deliver_notification, "apply_async") as one,
    ):
        assert tasks.sweep_outbox.run() == 5
    assert [c.args[0][0] for c in many.call_args_list] == [ids[0:2], ids[2:4]]
    assert [c.args[0][0] for c in one.call_args_list] == [ids[4]]


def test_a_slow_batch_passes_the_rest_on_to_a_new_task(db, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 0  # past half the limit after the first delivery
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        ids = [email(f"slow-{n}").pk for n in range(3)]
    with mock.patch.object(tasks.deliver_notifications, "apply_async") as publish:
        assert tasks.deliver_notifications.run(ids) == {"delivered": 1, "passed_on": 2}
    publish.assert_called_once_with((ids[1:],))
    assert len(mail.outbox) == 1
