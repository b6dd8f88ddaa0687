"""The outbox's dashboard panel: operators see the notifications that failed for good; nobody else does."""

import pytest
from django.urls import reverse

from tests import factories
from tests.fixtures.http import login
from tests.fixtures.users import english_admin
from worker.dashboard.selectors import failed_notifications
from worker.models import Notification

pytestmark = pytest.mark.django_db


def notification(key: str, status: str, **fields) -> Notification:
    return Notification.objects.create(
        channel=Notification.Channel.EMAIL,
        recipient="buyer@example.com",
        template="order_paid",
        key=key,
        status=status,
        **fields,
    )


def test_failed_notifications_for_operators_only(client, world):
    failed = notification("a", Notification.Status.FAILED, last_error="550 mailbox unavailable", audience_name="张伟")
    notification("b", Notification.Status.DELIVERED)
    notification("c", Notification.Status.PENDING)

    assert list(failed_notifications(world.operator)) == [failed]
    assert list(failed_notifications(world.alice)) == []
    assert list(failed_notifications(world.carol)) == []

    html = login(client, world.operator).get(reverse("wagtailadmin_home")).content.decode()
    assert 'data-dashboard-panel="failed-notifications" data-count="1"' in html
    assert "550 mailbox unavailable" in html and reverse("notifications:inspect", args=[failed.pk]) in html
    alice = login(client, english_admin(world.alice)).get(reverse("wagtailadmin_home")).content.decode()
    assert "failed-notifications" not in alice and "550 mailbox unavailable" not in alice


def test_nothing_failed_says_so(client, world):
    notification("d", Notification.Status.DELIVERED)
    operator = english_admin(factories.make_user("operator2", group="Operators"))

    html = login(client, operator).get(reverse("wagtailadmin_home")).content.decode()

    assert 'data-dashboard-panel="failed-notifications" data-count="0"' in html
    assert "Every notification was delivered or is still being tried." in html
