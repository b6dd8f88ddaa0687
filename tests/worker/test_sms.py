"""Text messages (SMS) through the outbox: Tencent Cloud SMS through its real SDK against a local fake of its HTTP
API (``tests/fixtures/tencent_sms.py``, which checks the TC3-HMAC-SHA256 signature as the service does), the
console backend, outages, retries and permanent failures."""

import logging

import pytest
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from orders import notifications
from orders.payments import mark_paid
from tests import factories
from tests.fixtures.tencent_sms import TEMPLATES
from tests.orders.helpers import CONTACT, cart_with, checkout, pickup_at, stocked_variant
from worker import delivery, sms, tasks
from worker.models import Notification
from worker.outbox import enqueue

PHONE = f"+86{CONTACT.phone}"


def pickup_order(*, language: str = "zh-hans"):
    """Two units at 12.80 (¥25.60) for pickup at a new counter, not paid yet."""
    counter = factories.make_location(name="德百专柜")
    variant = stocked_variant((counter, 10), price=1280)
    return checkout(cart_with((variant, 2)), pickup_at(counter), contact=CONTACT, language=language)


def paid(order, capture):
    with capture(execute=True):
        mark_paid(order)
    return Notification.objects.get(channel="sms", template="order_paid")


def text_message(key: str = "sms-1", *, recipient: str = CONTACT.phone, **payload) -> Notification:
    with transaction.atomic():
        return enqueue(
            channel="sms",
            template="order_refunded",
            recipient=recipient,
            payload={"order_number": "DX20261129-000001", "amount": "10.00", **payload},
            key=key,
        )


def test_a_paid_order_texts_the_shopper_once_through_tencent_signed_with_the_template_and_its_parameters(
    db, tencent_sms, django_capture_on_commit_callbacks
):
    order = pickup_order()

    notification = paid(order, django_capture_on_commit_callbacks)

    assert tencent_sms.refused == []  # the fake recomputed every signature with its secret key
    [message] = tencent_sms.sent
    assert message.phone == PHONE
    assert message.template_id == TEMPLATES["order_paid"][0]
    assert message.params == [order.number, "25.60"]
    assert (message.app_id, message.sign_name, message.region) == ("1400000001", "德秀集市", "ap-guangzhou")
    assert message.session_context == notification.key == f"order-{order.pk}-paid-sms"
    assert (notification.status, notification.attempts) == ("delivered", 1)
    assert list(notification.attempt_log.values_list("outcome", flat=True)) == ["delivered"]

    # A replay of the delivery, or of the notification itself, sends nothing more.
    assert delivery.deliver(notification.pk) == "skipped"
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notifications.order_paid(order)
    assert Notification.objects.filter(channel="sms").count() == 1
    assert len(tencent_sms.sent) == 1
    assert tencent_sms.requests == 1


def test_a_wrong_secret_key_is_refused_as_the_service_refuses_it(db, tencent_sms, settings):
    settings.SMS_TENCENT_SECRET_KEY = "not-the-key"
    notification = text_message()

    assert delivery.deliver(notification.pk) == "failed"

    notification.refresh_from_db()
    assert "AuthFailure.SignatureFailure" in notification.last_error
    assert [refusal.code for refusal in tencent_sms.refused] == ["AuthFailure.SignatureFailure"]
    assert tencent_sms.sent == []


@pytest.mark.parametrize(("outage", "error"), [("500", "ServerNetworkError"), ("refused", "ClientNetworkError")])
def test_a_provider_outage_keeps_the_message_and_it_is_sent_once_after_recovery(
    db, tencent_sms, settings, outage, error, django_capture_on_commit_callbacks
):
    settings.OUTBOX_BACKOFF_SECONDS = 60
    order = pickup_order()
    tencent_sms.outage(outage)

    notification = paid(order, django_capture_on_commit_callbacks)

    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.next_attempt_at > timezone.now() + timezone.timedelta(seconds=20)
    [attempt] = notification.attempt_log.all()
    assert attempt.outcome == "retry" and error in attempt.error
    assert tencent_sms.sent == []
    assert Notification.objects.get(channel="email", template="order_paid").status == "delivered"

    tencent_sms.recover()
    assert tasks.sweep_outbox() == 0  # not due yet: the backoff holds
    Notification.objects.filter(pk=notification.pk).update(next_attempt_at=timezone.now())  # time passes
    assert tasks.sweep_outbox() == 1  # delivered in-process, as a worker would
    assert tasks.sweep_outbox() == 0

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("delivered", 2)
    assert list(notification.attempt_log.values_list("outcome", flat=True)) == ["retry", "delivered"]
    assert [(m.phone, m.params) for m in tencent_sms.sent] == [(PHONE, [order.number, "25.60"])]
    assert tencent_sms.refused == []


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("LimitExceeded.PhoneNumberThirtySecondLimit", "retry"),
        ("InternalError.Timeout", "retry"),
        ("InvalidParameterValue.IncorrectPhoneNumber", "failed"),
        ("FailedOperation.PhoneNumberInBlacklist", "failed"),
    ],
)
def test_the_providers_answer_decides_between_retry_and_permanent_failure(db, tencent_sms, code, outcome):
    tencent_sms.next_codes = [code]
    notification = text_message()

    assert delivery.deliver(notification.pk) == outcome

    notification.refresh_from_db()
    assert code in notification.last_error
    assert notification.status == ("pending" if outcome == "retry" else "failed")
    assert tencent_sms.sent == []


def test_a_number_that_is_no_mainland_mobile_fails_for_good_without_a_request(db, tencent_sms):
    notification = text_message(recipient="0534-2345678")

    assert delivery.deliver(notification.pk) == "failed"

    assert "not a mainland China mobile number" in Notification.objects.get(pk=notification.pk).last_error
    assert tencent_sms.requests == 0


def test_a_template_without_a_provider_id_fails_for_good_with_a_clear_message(db, tencent_sms, settings):
    settings.SMS_TENCENT_TEMPLATES = {name: tid for name, (tid, _n) in TEMPLATES.items() if name != "order_refunded"}
    notification = text_message()

    assert delivery.deliver(notification.pk) == "failed"

    assert Notification.objects.get(pk=notification.pk).last_error == (
        "SMS template 'order_refunded' has no Tencent Cloud template id: add order_refunded=<id> to "
        "SMS_TENCENT_TEMPLATES"
    )
    assert tencent_sms.requests == 0


def test_a_payload_missing_a_parameter_fails_for_good(db, tencent_sms):
    notification = text_message(amount="")

    assert delivery.deliver(notification.pk) == "failed"

    assert "has no amount" in Notification.objects.get(pk=notification.pk).last_error
    assert tencent_sms.requests == 0


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_console_backend_logs_the_text_in_the_orders_language(
    db, settings, caplog, language, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "console"
    order = pickup_order(language=language)

    with caplog.at_level(logging.INFO, logger="worker.sms"):
        notification = paid(order, django_capture_on_commit_callbacks)

    assert notification.status == "delivered"
    with translation.override(language):
        text = gettext(
            "Your order %(order_number)s is paid: ¥%(total)s. We will text you when it is ready for pickup or on "
            "its way."
        ) % {"order_number": order.number, "total": "25.60"}
    [logged] = [r.getMessage() for r in caplog.records if r.name == "worker.sms"]
    assert logged.startswith(f"SMS to {PHONE} (order_paid, {notification.key}): ")
    assert logged.endswith(text)


def test_the_console_backend_is_what_you_get_without_provider_keys(settings):
    assert settings.SMS_BACKEND == "console"  # the test environment configures no provider
    assert isinstance(sms.backend(), sms.ConsoleBackend)
    settings.SMS_BACKEND = "tencent"
    assert isinstance(sms.backend(), sms.TencentBackend)


@pytest.mark.parametrize(
    ("number", "e164"),
    [("13812345678", "+8613812345678"), ("+86 138-1234-5678", "+8613812345678"), ("008613812345678", PHONE)],
)
def test_mainland_numbers_are_sent_in_e164(number, e164):
    assert sms.mainland_e164(number) == e164


def test_every_text_message_has_its_parameters_in_one_place():
    """Each registered template takes as many parameters as the one the fake provider approved."""
    assert {name: len(template.params) for name, template in sms.TEMPLATES.items()} == {
        name: count for name, (_id, count) in TEMPLATES.items()
    }
