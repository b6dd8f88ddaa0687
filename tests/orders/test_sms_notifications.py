"""The shopper hears about their order by text message on the order's mobile number (paid, ready for pickup with
the code and counter, shipped with carrier and tracking number, refunded), beside the e-mails for those who gave
an address. Sent through the fake Tencent Cloud SMS (``tests/fixtures/tencent_sms.py``) with the real SDK."""

from django.core import mail
from django.db import transaction

from core.money import fen_to_yuan
from orders import notifications
from orders.fulfilment import mark_fulfilment_ready, mark_fulfilment_shipped
from orders.payments import mark_paid
from orders.payments.client import stripe_client
from orders.payments.services import refund_order
from tests import factories
from tests.fixtures.tencent_sms import TEMPLATES
from tests.orders.helpers import CONTACT, cart_with, checkout, pickup_at, stocked_variant
from tests.payments.helpers import RecordedStripe, paid_order, refund_response
from worker.models import Notification

PHONE = f"+86{CONTACT.phone}"


def sent(fake) -> list[tuple[str, list[str]]]:
    """(our template name, parameters) of each message the fake provider accepted, in order, all to PHONE."""
    names = {template_id: name for name, (template_id, _count) in TEMPLATES.items()}
    assert {message.phone for message in fake.sent} <= {PHONE}
    return [(names[message.template_id], message.params) for message in fake.sent]


def test_a_paid_pickup_order_with_only_a_phone_gets_text_messages_and_no_email(
    db, tencent_sms, django_capture_on_commit_callbacks
):
    counter = factories.make_location(name="德百专柜")  # no notification e-mail: the counter reads its queue
    variant = stocked_variant((counter, 10), price=1280)
    order = checkout(cart_with((variant, 2)), pickup_at(counter), contact=CONTACT, language="zh-hans")
    # The shopper gave no e-mail address (checkout makes it optional: issue 15, phone as the contact).
    order.contact_email = ""
    order.save(update_fields=["contact_email"])

    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)
        fulfilment = mark_fulfilment_ready(order.fulfilments.get(), actor=None)

    assert mail.outbox == []
    assert not Notification.objects.filter(channel="email").exists()
    assert sent(tencent_sms) == [
        ("order_paid", [order.number, "25.60"]),
        ("pickup_ready", [order.number, "德百专柜", fulfilment.pickup.code]),
    ]
    messages = Notification.objects.filter(channel="sms").order_by("pk")
    assert [(n.template, n.recipient, n.audience_name, n.language, n.key, n.status) for n in messages] == [
        ("order_paid", CONTACT.phone, CONTACT.name, "zh-hans", f"order-{order.pk}-paid-sms", "delivered"),
        (
            "pickup_ready",
            CONTACT.phone,
            CONTACT.name,
            "zh-hans",
            f"pickup-{fulfilment.pickup_id}-ready-sms",
            "delivered",
        ),
    ]


def test_shopper_with_an_email_gets_both_and_a_replay_sends_nothing_twice(
    db, tencent_sms, django_capture_on_commit_callbacks
):
    counter = factories.make_location()
    variant = stocked_variant((counter, 10), price=1280)
    order = checkout(cart_with((variant, 1)), pickup_at(counter), contact=CONTACT, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notifications.order_paid(order)  # a replayed payment event

    assert [m.to for m in mail.outbox] == [[CONTACT.email]]
    assert sent(tencent_sms) == [("order_paid", [order.number, "12.80"])]
    assert Notification.objects.get(channel="sms").language == "en"


def test_shipped_texts_the_carrier_and_tracking_number(db, tencent_sms, django_capture_on_commit_callbacks):
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 10), price=990)
    order = checkout(cart_with((variant, 1)), contact=CONTACT)

    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)
        mark_fulfilment_shipped(order.fulfilments.get(), actor=None, carrier="顺丰速运", tracking_number="SF1234567890")

    assert sent(tencent_sms) == [
        ("order_paid", [order.number, fen_to_yuan(order.total)]),  # 9.90 and the shipping fee
        ("order_shipped", [order.number, "顺丰速运", "SF1234567890"]),
    ]


def test_a_shipment_without_tracking_gets_the_short_message(db, tencent_sms, django_capture_on_commit_callbacks):
    warehouse = factories.make_location(kind="warehouse")
    order = checkout(cart_with((stocked_variant((warehouse, 10)), 1)), contact=CONTACT)
    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)
    fulfilment = order.fulfilments.get()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notifications.fulfilment_shipped(fulfilment)  # carrier and tracking number unknown

    assert sent(tencent_sms)[-1] == ("order_shipped_untracked", [order.number])


def test_a_completed_refund_texts_the_amount(db, tencent_sms, operator, django_capture_on_commit_callbacks):
    """Stripe is the recorded-response client of the payment tests (no Stripe can run here)."""
    with django_capture_on_commit_callbacks(execute=True):
        order = paid_order()
        refund = refund_order(
            order,
            actor=operator,
            reason="破损",
            lines={order.lines.get().pk: 1},
            client=stripe_client(http_client=RecordedStripe({("post", "/v1/refunds"): refund_response(1000)})),
        )

    assert sent(tencent_sms)[-1] == ("order_refunded", [order.number, "10.00"])
    assert Notification.objects.get(channel="sms", template="order_refunded").key == f"refund-{refund.pk}-sms"
