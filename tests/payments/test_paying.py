"""Paying: the PaymentIntent sent to Stripe (through a recorded-response fake HTTP client), the pay,
return and demo pages."""

import pytest

from orders.models import OrderStatus, Payment
from orders.payments.client import stripe_client
from orders.payments.services import start_payment
from tests.payments.helpers import RecordedStripe, placed_order, recorded_intent

pytestmark = pytest.mark.django_db


def test_the_intent_is_the_order_total_in_cny_with_the_order_number_and_an_idempotency_key():
    order = placed_order()
    fake = RecordedStripe({("post", "/v1/payment_intents"): recorded_intent(order)})

    session = start_payment(order, client=stripe_client(http_client=fake))

    sent = fake.requests[0]
    assert sent["data"]["amount"] == [str(order.total)]
    assert sent["data"]["currency"] == ["cny"]
    assert sent["data"]["metadata[order_number]"] == [order.number]
    assert sent["data"]["payment_method_types[0]"] == ["card"]
    assert sent["data"]["payment_method_types[1]"] == ["alipay"]
    assert sent["data"]["payment_method_types[2]"] == ["wechat_pay"]
    assert sent["data"]["payment_method_options[wechat_pay][client]"] == ["web"]
    assert sent["headers"]["Idempotency-Key"] == f"dexiu-order-{order.pk}-intent-1"
    assert session.client_secret == "pi_recorded_1_secret_abc"
    payment = Payment.objects.get()
    assert (payment.intent_id, payment.amount, payment.attempt) == ("pi_recorded_1", order.total, 1)


@pytest.mark.parametrize(
    "next_action",
    [
        pytest.param(
            {"type": "alipay_handle_redirect", "alipay_handle_redirect": {"url": "https://hooks.stripe.com/alipay"}},
            id="alipay",
        ),
        pytest.param(
            {
                "type": "wechat_pay_display_qr_code",
                "wechat_pay_display_qr_code": {"data": "weixin://wxpay/bizpayurl?pr=abc", "image_url_png": "x"},
            },
            id="wechat_pay",
        ),
    ],
)
def test_an_intent_waiting_for_alipay_or_wechat_pay_is_reused_not_replaced(next_action):
    order = placed_order()
    intent = recorded_intent(order, status="requires_action", next_action=next_action)
    fake = RecordedStripe(
        {("post", "/v1/payment_intents"): recorded_intent(order), ("get", "/v1/payment_intents/pi_recorded_1"): intent}
    )
    client = stripe_client(http_client=fake)
    start_payment(order, client=client)

    again = start_payment(order, client=client)

    assert again.status == "requires_action"
    assert [r["method"] for r in fake.requests] == ["post", "get"]
    assert Payment.objects.count() == 1


def test_a_canceled_intent_is_replaced_by_a_new_attempt_with_its_own_key():
    order = placed_order()
    second = recorded_intent(order, id="pi_recorded_2", client_secret="pi_recorded_2_secret")
    fake = RecordedStripe(
        {
            ("post", "/v1/payment_intents"): recorded_intent(order),
            ("get", "/v1/payment_intents/pi_recorded_1"): recorded_intent(order, status="canceled"),
        }
    )
    client = stripe_client(http_client=fake)
    start_payment(order, client=client)
    fake.responses[("post", "/v1/payment_intents")] = second

    session = start_payment(order, client=client)

    assert session.payment.intent_id == "pi_recorded_2"
    assert fake.requests[-1]["headers"]["Idempotency-Key"] == f"dexiu-order-{order.pk}-intent-2"
    assert list(Payment.objects.order_by("attempt").values_list("status", flat=True)) == [
        "canceled",
        "requires_payment_method",
    ]


def test_a_processing_intent_is_never_replaced():
    order = placed_order()
    fake = RecordedStripe(
        {
            ("post", "/v1/payment_intents"): recorded_intent(order),
            ("get", "/v1/payment_intents/pi_recorded_1"): recorded_intent(order, status="processing"),
        }
    )
    client = stripe_client(http_client=fake)
    start_payment(order, client=client)

    assert start_payment(order, client=client).status == "processing"
    assert Payment.objects.count() == 1


def test_the_status_page_offers_the_demo_payment_only_under_debug_without_keys(client, settings):
    order = placed_order()
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True

    page = client.get(f"/en/orders/{order.token}/pay/")
    assert "Pay (demo)" in page.content.decode()
    response = client.post(f"/en/orders/{order.token}/pay/demo/")

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get().provider == "demo"


@pytest.mark.parametrize(("debug", "key"), [(False, ""), (True, "sk_test_dexiu")])
def test_the_demo_payment_is_refused_with_debug_off_or_a_stripe_key(client, settings, debug, key):
    order = placed_order()
    settings.DEBUG = debug
    settings.STRIPE_SECRET_KEY = key

    response = client.post(f"/en/orders/{order.token}/pay/demo/")

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert Payment.objects.count() == 0


def test_no_pay_button_and_no_pay_page_without_stripe_or_demo(client, settings):
    order = placed_order()
    settings.STRIPE_SECRET_KEY = ""

    assert "/pay/" not in client.get(f"/en/orders/{order.token}/").content.decode()
    assert client.get(f"/en/orders/{order.token}/pay/").status_code == 404


def test_the_status_page_has_a_pay_button_while_awaiting_payment(client):
    order = placed_order()

    page = client.get(f"/en/orders/{order.token}/").content.decode()

    assert f"/en/orders/{order.token}/pay/" in page


def test_the_return_page_shows_processing_until_the_webhook_lands(client):
    order = placed_order()

    page = client.get(f"/en/orders/{order.token}/pay/return/?redirect_status=succeeded")

    assert "Processing your payment" in page.content.decode()
    assert order.status == OrderStatus.PENDING_PAYMENT
    failed = client.get(f"/en/orders/{order.token}/pay/return/?redirect_status=failed").content.decode()
    assert "did not go through" in failed
