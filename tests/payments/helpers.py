"""Builders for payment tests: a placed or paid order, its Stripe payment row, signed webhook posts, and a
recorded-response Stripe HTTP client."""

import json
import time
from urllib.parse import parse_qs, urlparse

import stripe
from django.conf import settings
from django.test import Client

from orders.models import Order, Payment, PaymentProvider
from orders.payments.client import stripe_client
from orders.payments.services import reconcile_payments
from tests import factories
from tests.orders.helpers import cart_with, checkout, stocked_variant


def placed_order(quantity: int = 2, price: int = 1290) -> Order:
    """An order awaiting payment: ``quantity`` units reserved at a new warehouse holding 10."""
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 10), price=price)
    return checkout(cart_with((variant, quantity)))


def stripe_payment(order: Order, intent_id: str = "pi_test_1") -> Payment:
    return Payment.objects.create(
        order=order,
        provider=PaymentProvider.STRIPE,
        intent_id=intent_id,
        amount=order.total,
        currency=order.currency,
    )


def intent_event(order: Order, kind: str = "payment_intent.succeeded", *, intent_id: str = "pi_test_1", **intent):
    """A Stripe event about a PaymentIntent for ``order`` (amounts default to the order's)."""
    obj = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": order.total,
        "amount_received": order.total,
        "currency": "cny",
        "status": "succeeded",
        "payment_method_types": ["card"],
        "metadata": {"order_number": order.number},
        **intent,
    }
    return {"id": f"evt_{kind}_{intent_id}", "object": "event", "type": kind, "data": {"object": obj}}


def post_event(client: Client, event: dict, *, secret: str | None = None, timestamp: int | None = None, body=None):
    """POST the event to the webhook, signed like Stripe does (``body`` replaces the signed text)."""
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp=timestamp or int(time.time())
    )
    return client.post(
        "/stripe/webhook/", data=body or payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


class RecordedStripe(stripe.HTTPClient):
    """A fake HTTP client answering with recorded Stripe responses; it keeps every request it was sent."""

    name = "recorded"

    def __init__(self, responses: dict[tuple[str, str], dict]):
        super().__init__()
        self.responses = responses
        self.requests: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlparse(url).path
        self.requests.append(
            {"method": method, "path": path, "headers": dict(headers or {}), "data": parse_qs(post_data or "")}
        )
        body = self.responses[(method, path)]
        return json.dumps(body), 200, {"Request-Id": "req_recorded"}


def recorded_intent(order, status="requires_payment_method", **extra) -> dict:
    return {
        "id": "pi_recorded_1",
        "object": "payment_intent",
        "amount": order.total,
        "currency": "cny",
        "status": status,
        "client_secret": "pi_recorded_1_secret_abc",
        "payment_method_types": ["card", "alipay", "wechat_pay"],
        "metadata": {"order_number": order.number},
        **extra,
    }


def paid_order() -> Order:
    """Two units at 10.00, paid through Stripe (``pi_recorded_1``) and reconciled."""
    order = placed_order(quantity=2, price=1000)
    stripe_payment(order, "pi_recorded_1")
    fake = RecordedStripe({("get", "/v1/payment_intents/pi_recorded_1"): recorded_intent(order, status="succeeded")})
    reconcile_payments(client=stripe_client(http_client=fake))
    order.refresh_from_db()
    return order


def refund_response(amount, refund_id="re_1"):
    return {"id": refund_id, "object": "refund", "amount": amount, "status": "succeeded", "currency": "cny"}
