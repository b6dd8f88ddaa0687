"""The outbox against a real Redis and a real `celery worker` process, with a local HTTP receiver."""

import hashlib
import hmac
import json
import time

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.urls import reverse

from core import roles
from orders.models import OrderStatus
from orders.payments import mark_paid
from orders.payments.services import record_event
from orders.tasks import publish_stripe_event
from tests import factories
from tests.fixtures.users import english_admin
from tests.payments.helpers import intent_event, stripe_payment
from tests.worker.helpers import broker_down, unpaid_pickup_order, wait_until
from worker.models import FailedTask, Notification, NotificationAttempt
from worker.tasks import sweep_outbox

pytestmark = pytest.mark.django_db(transaction=True)


def webhook_counter(receiver):
    return factories.make_location(name="德百专柜", code="dz-debai", webhook_url=receiver.url)


def webhook_of(order) -> Notification:
    return Notification.objects.get(channel=Notification.Channel.WEBHOOK, payload__order_number=order.number)


def delivered(notification: Notification) -> bool:
    notification.refresh_from_db()
    return notification.status == Notification.Status.DELIVERED


def test_paying_an_order_posts_a_signed_prepare_request_to_the_counter(celery_worker, receiver):
    counter = webhook_counter(receiver)
    order = unpaid_pickup_order(counter)

    mark_paid(order)

    assert receiver.wait_for(1, timeout=10), celery_worker.logs()
    request = receiver.requests[0]
    timestamp, body = request.headers["X-Dexiu-Timestamp"], request.body
    expected = hmac.new(counter.webhook_secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Dexiu-Signature"], f"sha256={expected}")
    assert abs(time.time() - int(timestamp)) < 60
    document = json.loads(body)
    assert document["event"] == "counter_prepare"
    assert document["counter"]["code"] == "dz-debai"
    assert document["data"]["order_number"] == order.number
    assert [(line["sku"], line["quantity"]) for line in document["data"]["lines"]] == [
        (line.sku, line.quantity) for line in order.lines.all()
    ]
    notification = webhook_of(order)
    assert request.headers["Idempotency-Key"] == notification.key == document["id"]
    assert wait_until(lambda: delivered(notification), 5)
    wrong = hmac.new(b"another counter's secret", f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    assert request.headers["X-Dexiu-Signature"] != f"sha256={wrong}"


def worker_backends() -> set[int]:
    """The PostgreSQL connections to the test database other than this test's own: the worker's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'"
        )
        return {row[0] for row in cursor.fetchall()}


def test_the_worker_keeps_its_database_connection_and_replaces_one_that_was_dropped(celery_worker, receiver):
    counter = webhook_counter(receiver)
    first, second = unpaid_pickup_order(counter), unpaid_pickup_order(counter)

    mark_paid(first)
    assert receiver.wait_for(1, timeout=10), celery_worker.logs()
    assert wait_until(lambda: delivered(webhook_of(first)), 5)
    assert wait_until(worker_backends, 5), "the worker closed its database connection after its tasks"
    kept = worker_backends()
    with connection.cursor() as cursor:  # as a restarted database, or an operator killing a stalled session
        cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [sorted(kept)])

    mark_paid(second)
    assert receiver.wait_for(2, timeout=10), celery_worker.logs()  # no retry: the dead connection was replaced
    assert wait_until(lambda: delivered(webhook_of(second)), 5)
    assert worker_backends() - kept
    assert not FailedTask.objects.exists()


def test_broker_down_while_paying_delays_the_message_and_the_sweeper_delivers_it_once(celery_worker, receiver):
    counter = webhook_counter(receiver)
    order = unpaid_pickup_order(counter)

    with broker_down():
        mark_paid(order)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    notification = webhook_of(order)
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 0
    assert not receiver.wait_for(1, timeout=1)

    assert sweep_outbox() >= 1
    assert wait_until(lambda: delivered(notification), 10), celery_worker.logs()
    sweep_outbox()
    time.sleep(1)
    assert len(receiver.requests) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_a_worker_killed_mid_delivery_is_made_good_after_a_restart(celery_worker, receiver):
    receiver.hold_first = True
    counter = webhook_counter(receiver)
    order = unpaid_pickup_order(counter)

    mark_paid(order)
    assert receiver.wait_for(1, timeout=10), celery_worker.logs()
    celery_worker.kill()
    receiver.release.set()
    notification = webhook_of(order)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENDING

    celery_worker.start()

    def swept_and_delivered() -> bool:
        sweep_outbox()
        return delivered(notification)

    assert wait_until(swept_and_delivered, 20, interval=0.5), celery_worker.logs()
    keys = [r.headers["Idempotency-Key"] for r in receiver.requests]
    assert keys.count(notification.key) <= 2
    assert len(keys) == 2
    assert notification.delivered_at is not None
    assert NotificationAttempt.objects.filter(notification=notification, outcome="delivered").count() == 1


def test_server_errors_are_retried_with_backoff_until_delivered(celery_worker, receiver):
    receiver.statuses = [500, 500, 500, 200]
    counter = webhook_counter(receiver)
    order = unpaid_pickup_order(counter)

    mark_paid(order)

    notification = webhook_of(order)
    assert wait_until(lambda: delivered(notification), 20), celery_worker.logs()
    assert notification.attempts == 4
    assert list(notification.attempt_log.values_list("number", "outcome", "status_code")) == [
        (1, "retry", 500),
        (2, "retry", 500),
        (3, "retry", 500),
        (4, "delivered", 200),
    ]
    assert {r.headers["Idempotency-Key"] for r in receiver.requests} == {notification.key}
    assert len(receiver.requests) == 4


@pytest.fixture
def operator(transactional_db):
    """The roles come from a migration, which a transactional test's flush empties: grant them again."""
    group, _ = Group.objects.get_or_create(name=roles.OPERATORS)
    for dotted in roles.GROUP_PERMISSIONS[roles.OPERATORS]:
        app_label, codename = dotted.split(".")
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename=codename))
    return english_admin(factories.make_user("operator", group=roles.OPERATORS))


def test_a_client_error_is_a_permanent_failure_shown_to_operators(celery_worker, receiver, client, operator):
    receiver.statuses = [400]
    counter = webhook_counter(receiver)
    order = unpaid_pickup_order(counter)

    mark_paid(order)

    notification = webhook_of(order)

    def failed() -> bool:
        notification.refresh_from_db()
        return notification.status == Notification.Status.FAILED

    assert wait_until(failed, 10), celery_worker.logs()
    sweep_outbox()
    time.sleep(1.5)
    assert len(receiver.requests) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert "HTTP 400" in notification.last_error

    client.force_login(operator)
    page = client.get(reverse("notifications:index"), {"status": "failed"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "HTTP 400" in content
    assert reverse("notifications:inspect", args=[notification.pk]) in content


def test_the_task_applying_payments_delivers_their_messages_itself(celery_worker, receiver):
    counter = factories.make_location(
        name="德百专柜", code="dz-debai", webhook_url=receiver.url, notification_email="counter@example.com"
    )
    orders = [unpaid_pickup_order(counter) for _ in range(3)]
    celery_worker.stop()  # the payments queue up, as in a burst
    for order in orders:
        stripe_payment(order, intent_id=f"pi_{order.number}")
        event, _created = record_event(intent_event(order, intent_id=f"pi_{order.number}"))
        assert publish_stripe_event(event.id)
    celery_worker.start()

    def all_sent() -> bool:
        sent = Notification.objects.exclude(channel=Notification.Channel.COUNTER)
        return sent.count() == 12 and not sent.exclude(status="delivered").exists()

    assert wait_until(all_sent, 20), celery_worker.logs()
    sent = Notification.objects.exclude(channel=Notification.Channel.COUNTER)
    assert sorted(sent.values_list("channel", flat=True)) == ["email"] * 6 + ["sms"] * 3 + ["webhook"] * 3
    assert set(sent.values_list("status", flat=True)) == {"delivered"}
    assert sorted(json.loads(r.body)["data"]["order_number"] for r in receiver.requests) == sorted(
        o.number for o in orders
    )
    logs = celery_worker.log.read_text()  # this start's log: the payments' tasks only
    assert logs.count("Task worker.process_stripe_event[") >= 3  # "received" and "succeeded" lines
    assert "Task worker.deliver_notification" not in logs  # no task of their own (deliver_notification[s])
