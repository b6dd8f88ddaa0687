"""A batch of notifications is claimed in one transaction and its outcomes recorded in another (issue 14)."""

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from worker import delivery
from worker.models import Notification, NotificationAttempt
from worker.outbox import enqueue

pytestmark = pytest.mark.django_db


def emails(prefix: str, count: int) -> list[int]:
    with transaction.atomic():
        return [
            enqueue(
                channel="email", template="order_refunded", recipient="a@example.com", payload={}, key=f"{prefix}-{n}"
            ).pk
            for n in range(count)
        ]


def statements(ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = delivery.deliver_many(ids)
    assert result.outcomes == {delivery.DELIVERED: len(ids)}
    return len(queries.captured_queries)


def test_a_batch_costs_the_same_statements_whatever_its_size(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        two, six = emails("two", 2), emails("six", 6)
    assert statements(six) == statements(two)
    assert len(mail.outbox) == 8
    assert NotificationAttempt.objects.filter(outcome="delivered").count() == 8


def test_a_batch_out_of_time_releases_the_rest_untried(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        ids = emails("late", 3)
    result = delivery.deliver_many(ids, deadline=0)  # past the deadline after the first send
    assert result.outcomes == {delivery.DELIVERED: 1}
    assert result.untried == ids[1:]
    rest = Notification.objects.filter(pk__in=ids[1:])
    assert {(n.status, n.attempts, n.claimed_at) for n in rest} == {(Notification.Status.PENDING, 0, None)}
    assert not NotificationAttempt.objects.filter(notification_id__in=ids[1:]).exists()


def test_a_replayed_batch_is_skipped(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        ids = emails("again", 2)
    assert delivery.deliver_many(ids).outcomes == {delivery.DELIVERED: 2}
    assert delivery.deliver_many(ids).outcomes == {delivery.SKIPPED: 2}
    assert len(mail.outbox) == 2
