"""Builders for payment tests: a placed order, its Stripe payment row, and signed webhook posts."""

import json
import time

import stripe
from django.conf import settings
from django.test import Client

from orders.models import Order, Payment, PaymentProvider
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
