"""The outbox on PostgreSQL with tasks run in-process: enqueue, delivery, channels, messages, failed tasks."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from wagtail.users.models import UserProfile

from catalog.notifications import low_stock_sweep, notify_operators
from orders.fulfilment import mark_fulfilment_ready, mark_fulfilment_shipped
from orders.models import StripeEvent
from orders.notifications import send_due_counter_digests
from orders.payments import mark_paid
from orders.payments.client import stripe_client
from orders.payments.services import process_event, refund_order
from orders.tasks import process_stripe_event
from tests import factories
from tests.fixtures.races import start_together
from tests.fixtures.users import english_admin
from tests.orders.helpers import CONTACT, cart_with, checkout, pickup_at, stocked_variant
from tests.payments.helpers import RecordedStripe, paid_order, refund_response
from tests.worker.helpers import wait_until
from worker import delivery
from worker.models import FailedTask, Notification
from worker.outbox import enqueue
from worker.selectors import queued_messages


def email(key: str, **extra) -> Notification:
    return enqueue(channel="email", template="order_refunded", recipient="a@example.com", payload=extra, key=key)


def order_for(counter, *, language: str = "zh-hans", quantity: int = 2):
    variant = stocked_variant((counter, 10), price=1280)
    return checkout(cart_with((variant, quantity)), pickup_at(counter), contact=CONTACT, language=language)


# --- enqueue ---------------------------------------------------------------------------------


def test_enqueue_twice_with_one_key_keeps_one_row_and_dispatches_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        first = email("refund-1-consumer", amount=100)
        second = email("refund-1-consumer", amount=999)
    assert first.pk == second.pk
    assert Notification.objects.filter(key="refund-1-consumer").count() == 1
    assert len(callbacks) == 1
    assert Notification.objects.get().payload == {"amount": 100}


def test_a_rolled_back_state_change_sends_nothing(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        email("refund-2-consumer")
        raise RuntimeError("the state change failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_enqueue_refuses_an_unknown_channel_or_a_webhook_without_its_counter(db):
    with pytest.raises(ValueError):
        enqueue(channel="fax", template="x", recipient="1", payload={}, key="k1")
    with pytest.raises(ValueError):
        enqueue(channel="webhook", template="x", recipient="http://127.0.0.1/", payload={}, key="k2")


# --- delivery ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_one_notification_send_it_once(receiver):
    counter = factories.make_location(webhook_url=receiver.url)
    notification = Notification.objects.create(
        channel="webhook",
        template="counter_prepare",
        recipient=receiver.url,
        audience=f"location:{counter.pk}",
        key="race",
    )
    receiver.hold_first = True
    outcomes = []

    race = start_together(lambda: outcomes.append(delivery.deliver(notification.pk)), n=2)
    assert receiver.wait_for(1, timeout=5)
    # While one delivery is held inside the HTTP call, the other finds the row taken and gives up.
    assert wait_until(lambda: outcomes == ["skipped"], 5)
    receiver.release.set()
    race.join(10)

    assert sorted(outcomes) == ["delivered", "skipped"]
    assert len(receiver.requests) == 1
    notification.refresh_from_db()
    assert notification.status == "delivered"
    assert notification.attempts == 1
    assert delivery.deliver(notification.pk) == "skipped"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(("status", "outcome"), [(429, "retry"), (503, "retry"), (404, "failed"), (400, "failed")])
def test_webhook_answers_decide_between_retry_and_permanent_failure(db, receiver, status, outcome, settings):
    settings.OUTBOX_BACKOFF_SECONDS = 60
    receiver.statuses = [status]
    counter = factories.make_location(webhook_url=receiver.url)
    with transaction.atomic():
        notification = enqueue(
            channel="webhook",
            template="counter_prepare",
            recipient=receiver.url,
            payload={},
            audience=f"location:{counter.pk}",
            key="k",
        )

    assert delivery.deliver(notification.pk) == outcome

    notification.refresh_from_db()
    assert notification.attempts == 1
    assert notification.attempt_log.get().status_code == status
    if outcome == "retry":
        assert notification.status == "pending"
        assert notification.next_attempt_at > timezone.now() + timezone.timedelta(seconds=20)
    else:
        assert notification.status == "failed"
    assert delivery.deliver(notification.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_retries_stop_after_the_last_allowed_attempt(db, receiver, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    receiver.statuses = [503, 503, 200]
    counter = factories.make_location(webhook_url=receiver.url)
    notification = Notification.objects.create(
        channel="webhook",
        template="counter_prepare",
        recipient=receiver.url,
        audience=f"location:{counter.pk}",
        key="twice",
    )

    assert delivery.deliver(notification.pk) == "retry"
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())
    assert delivery.deliver(notification.pk) == "failed"

    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == (
        "failed",
        2,
        "HTTP 503 Service Unavailable",
    )
    assert delivery.due_notifications() == []


def test_an_e_mail_without_templates_fails_for_good(db):
    notification = Notification.objects.create(
        channel="email", template="no_such_message", recipient="a@example.com", key="no-template"
    )
    assert delivery.deliver(notification.pk) == "failed"
    assert "no_such_message" in Notification.objects.get(pk=notification.pk).last_error
    assert mail.outbox == []


def test_a_delivery_abandoned_by_a_dead_worker_is_swept_after_the_time_limit(db, settings):
    settings.OUTBOX_STUCK_SECONDS = 60
    with transaction.atomic():
        notification = email("abandoned")
    Notification.objects.filter(pk=notification.pk).update(status="sending", claimed_at=timezone.now())
    assert delivery.due_notifications() == []
    Notification.objects.filter(pk=notification.pk).update(claimed_at=timezone.now() - timezone.timedelta(minutes=2))
    assert delivery.due_notifications() == [notification.pk]


def test_operators_can_send_a_failed_notification_again(db, client, operator, django_capture_on_commit_callbacks):
    with transaction.atomic():
        notification = email("failed-once")
    Notification.objects.filter(pk=notification.pk).update(status="failed", last_error="HTTP 400 Bad Request")
    client.force_login(operator)

    page = client.get(reverse("notifications:index"), {"status": "failed"})
    assert "HTTP 400 Bad Request" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("notifications:resend", args=[notification.pk]))

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.status == "delivered"
    assert len(mail.outbox) == 1


def test_only_operators_see_the_outbox(db, client):
    client.force_login(english_admin(factories.make_user("counter-clerk", group="Counter staff")))
    listing = client.get(reverse("notifications:index"))
    assert (listing.status_code, listing["Location"]) == (302, reverse("wagtailadmin_home"))
    assert client.post(reverse("failed_tasks:retry", args=[1])).status_code == 403


# --- what is sent ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_order_paid_emails_the_consumer_in_the_order_language(db, language, django_capture_on_commit_callbacks):
    counter = factories.make_location(name="德百专柜", notification_email="debai@example.com")
    order = order_for(counter, language=language)

    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)

    consumer = next(m for m in mail.outbox if m.to == [CONTACT.email])
    with translation.override(language):
        expected_subject = translation.gettext("Order %(order_number)s is paid") % {"order_number": order.number}
    assert consumer.subject == expected_subject
    html = consumer.alternatives[0][0]
    assert f'lang="{language}"' in html
    assert ("/en/orders/" in consumer.body) == (language == "en")
    assert order.token in consumer.body
    assert "¥25.60" in consumer.body
    counter_mail = next(m for m in mail.outbox if m.to == ["debai@example.com"])
    assert order.number in counter_mail.subject
    assert order.lines.get().sku in counter_mail.body


def test_paid_pickup_order_reaches_the_counter_queue_and_its_webhook(db, receiver, django_capture_on_commit_callbacks):
    counter, other = factories.make_location(webhook_url=receiver.url), factories.make_location()
    order = order_for(counter)

    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)

    queue = list(queued_messages([f"location:{counter.pk}"]))
    assert [(n.template, n.status, n.payload["order_number"]) for n in queue] == [
        ("counter_prepare", "delivered", order.number)
    ]
    assert list(queued_messages([f"location:{other.pk}"])) == []
    assert receiver.wait_for(1, timeout=5)
    assert Notification.objects.get(channel="webhook").status == "delivered"


def test_ready_and_shipped_tell_the_consumer_code_address_carrier_and_tracking(db, django_capture_on_commit_callbacks):
    counter = factories.make_location(address="德州市德城区天衢中路 8 号", opening_hours="09:00–21:00")
    order = order_for(counter, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)
        fulfilment = mark_fulfilment_ready(order.fulfilments.get(), actor=None)
    ready = next(m for m in mail.outbox if "ready for pickup" in m.subject)
    assert fulfilment.pickup.code in ready.body
    assert "天衢中路 8 号" in ready.body and "09:00–21:00" in ready.body

    warehouse = factories.make_location(kind="warehouse")
    merchant = factories.make_merchant(contact_email="farm@example.com")
    variant = stocked_variant((warehouse, 10), merchant=merchant)
    delivery_order = checkout(cart_with((variant, 1)), contact=CONTACT, language="en")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(delivery_order)
    with translation.override("zh-hans"):
        ship_subject = gettext("Ship order %(order_number)s") % {"order_number": delivery_order.number}
    assert [m.to for m in mail.outbox if m.subject == ship_subject] == [["farm@example.com"]], "in Chinese"
    with django_capture_on_commit_callbacks(execute=True):
        mark_fulfilment_shipped(
            delivery_order.fulfilments.get(), actor=None, carrier="顺丰速运", tracking_number="SF1234567890"
        )
    shipped = next(m for m in mail.outbox if "has shipped" in m.subject)
    assert "顺丰速运" in shipped.body and "SF1234567890" in shipped.body


def test_a_completed_refund_tells_the_consumer_the_amount(db, operator, django_capture_on_commit_callbacks):
    """Stripe is the recorded-response client of the payment tests (no Stripe can run here)."""
    with django_capture_on_commit_callbacks(execute=True):
        order = paid_order()
        fake = RecordedStripe({("post", "/v1/refunds"): refund_response(1000)})
        refund_order(
            order,
            actor=operator,
            reason="破损",
            lines={order.lines.get().pk: 1},
            client=stripe_client(http_client=fake),
        )

    refunded = [m for m in mail.outbox if order.number in m.subject and m.to == [order.contact_email]]
    assert [m.subject for m in refunded if "Refund" in m.subject] == [f"Refund for order {order.number}"]
    body = next(m.body for m in refunded if "Refund" in m.subject)
    assert "¥10.00" in body and "破损" in body


def test_low_stock_tells_the_merchant_once_a_day_not_once_a_sale(db, django_capture_on_commit_callbacks):
    counter = factories.make_location()
    merchant = factories.make_merchant(contact_email="farm@example.com")
    variant = stocked_variant((counter, 10), merchant=merchant)
    with django_capture_on_commit_callbacks(execute=True):
        checkout(cart_with((variant, 4)), pickup_at(counter), contact=CONTACT)
        assert not Notification.objects.filter(template="low_stock").exists()
        checkout(cart_with((variant, 2)), pickup_at(counter), contact=CONTACT)
        checkout(cart_with((variant, 1)), pickup_at(counter), contact=CONTACT)
    low = Notification.objects.filter(template="low_stock")
    assert [(n.recipient, [i["available"] for i in n.payload["items"]]) for n in low] == [("farm@example.com", [4])]
    assert sum(m.subject.startswith("库存不足") for m in mail.outbox) == 1, "one e-mail, in Chinese"


def test_low_stock_is_told_by_the_sale_that_crosses_the_threshold_with_the_units_left(
    db, django_capture_on_commit_callbacks
):
    counter = factories.make_location()
    merchant = factories.make_merchant(contact_email="farm@example.com")
    variant = stocked_variant((counter, 10), merchant=merchant)
    with django_capture_on_commit_callbacks(execute=True):
        checkout(cart_with((variant, 4)), pickup_at(counter), contact=CONTACT)
        checkout(cart_with((variant, 3)), pickup_at(counter), contact=CONTACT)  # 6 → 3: at the threshold now
    low = Notification.objects.filter(template="low_stock")
    assert [(n.recipient, [i["available"] for i in n.payload["items"]]) for n in low] == [("farm@example.com", [3])]


def test_the_daily_recheck_sends_each_merchant_one_list_of_its_low_rows(db, django_capture_on_commit_callbacks):
    counter, warehouse = factories.make_location(), factories.make_location(kind="warehouse")
    merchant, other = factories.make_merchant(contact_email="farm@example.com"), factories.make_merchant()
    low_here = stocked_variant((counter, 2), (warehouse, 50), merchant=merchant)
    low_there = stocked_variant((warehouse, 1), merchant=merchant)
    stocked_variant((counter, 1), merchant=other)  # no e-mail address, no member: nobody to tell
    with django_capture_on_commit_callbacks(execute=True):
        assert low_stock_sweep() == 3
        assert low_stock_sweep() == 3

    mails = [m for m in mail.outbox if m.to == ["farm@example.com"]]
    assert len(mails) == 1
    assert mails[0].subject == "库存不足：2 项商品"
    assert low_here.sku in mails[0].body and low_there.sku in mails[0].body


def test_each_counter_gets_one_digest_a_day_after_it_opens(db, django_capture_on_commit_callbacks):
    early = factories.make_location(opens_at=timezone.datetime(2026, 1, 1, 8).time())
    late = factories.make_location(opens_at=timezone.datetime(2026, 1, 1, 10).time())
    order = order_for(early)
    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)
    nine = timezone.make_aware(timezone.datetime(2026, 11, 30, 9, 0))

    send_due_counter_digests(nine)
    send_due_counter_digests(nine + timezone.timedelta(minutes=5))

    digests = Notification.objects.filter(template="counter_digest", channel="counter")
    assert [(n.audience, n.payload["to_prepare"]) for n in digests] == [(f"location:{early.pk}", [order.number])]
    assert not digests.filter(audience=f"location:{late.pk}").exists()


def test_notify_operators_writes_to_each_active_operator_in_their_language(db):
    english = factories.make_user("op-en", group="Operators")
    profile = UserProfile.get_for_user(english)
    profile.preferred_language = "en"
    profile.save()
    factories.make_user("op-zh", group="Operators")
    factories.make_user("op-gone", group="Operators", is_active=False)
    factories.make_user("clerk", group="Counter staff")

    with transaction.atomic():
        notify_operators(template="order_refunded", payload={"amount": 1}, key="ops-1")
        notify_operators(template="order_refunded", payload={"amount": 1}, key="ops-1")

    assert sorted(Notification.objects.values_list("recipient", "language")) == [
        ("op-en@example.com", "en"),
        ("op-zh@example.com", "zh-hans"),
    ]


# --- failed tasks ----------------------------------------------------------------------------


def test_a_task_that_exhausts_its_retries_is_kept_and_operators_can_retry_it(db, client, operator):
    event = StripeEvent.objects.create(id="evt_broken", type="payment_intent.succeeded", payload={"data": {}})

    # The last allowed retry, run as a worker runs it (no propagation): the task gives up.
    result = process_stripe_event.apply(("evt_broken",), retries=8, throw=False)

    assert result.failed()
    failed = FailedTask.objects.get()
    assert failed.task_name == "worker.process_stripe_event"
    assert failed.args == ["evt_broken"]
    assert "EventProcessingError" in failed.exception and "KeyError" in failed.exception
    assert failed.retries == 8
    client.force_login(operator)
    listing = client.get(reverse("failed_tasks:index")).content.decode()
    assert "worker.process_stripe_event" in listing

    StripeEvent.objects.filter(pk=event.pk).update(payload={"data": {"object": {"id": "pi_unknown"}}}, error="")
    response = client.post(reverse("failed_tasks:retry", args=[failed.pk]))

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.retried_at is not None and failed.retried_task_id
    event.refresh_from_db()
    assert event.processed_at is not None
    assert process_event("evt_broken") is False
