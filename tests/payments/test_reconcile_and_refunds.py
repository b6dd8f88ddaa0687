"""Reconciliation after a missed webhook, and refunds (through the recorded-response fake client)."""

import pytest
from django.core.management import call_command

from catalog.models import StockMovement
from orders.models import OrderStatus, Refund
from orders.payments.client import stripe_client
from orders.payments.services import PaymentError, reconcile_payments, refund_order
from tests.payments.helpers import (
    RecordedStripe,
    paid_order,
    placed_order,
    recorded_intent,
    refund_response,
    stripe_payment,
)

pytestmark = pytest.mark.django_db


def test_reconciliation_pays_an_order_whose_webhook_was_missed():
    order = placed_order()
    stripe_payment(order, "pi_recorded_1")
    fake = RecordedStripe({("get", "/v1/payment_intents/pi_recorded_1"): recorded_intent(order, status="succeeded")})

    assert reconcile_payments(client=stripe_client(http_client=fake)) == 1
    assert reconcile_payments(client=stripe_client(http_client=fake)) == 0

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert StockMovement.objects.filter(kind="sale").count() == 1


def test_the_command_leaves_unpaid_intents_alone(monkeypatch):
    order = placed_order()
    stripe_payment(order, "pi_recorded_1")
    fake = RecordedStripe({("get", "/v1/payment_intents/pi_recorded_1"): recorded_intent(order)})
    monkeypatch.setattr("orders.payments.services.stripe_client", lambda: stripe_client(http_client=fake))

    call_command("reconcile_payments")

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_a_partial_refund_of_one_unit_returned_to_stock(operator):
    order = paid_order()
    line = order.lines.get()
    fake = RecordedStripe({("post", "/v1/refunds"): refund_response(1000)})

    refund = refund_order(
        order, actor=operator, reason="破损", lines={line.pk: 1}, restock=True, client=stripe_client(http_client=fake)
    )

    sent = fake.requests[0]
    assert sent["data"]["amount"] == ["1000"]
    assert sent["headers"]["Idempotency-Key"] == refund.idempotency_key
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.PARTIALLY_REFUNDED)
    assert StockMovement.objects.filter(kind="return", reference=order.number).count() == 1


def test_the_rest_refunded_makes_the_order_refunded_and_more_is_refused_before_stripe(operator):
    order = paid_order()
    fake = RecordedStripe({("post", "/v1/refunds"): refund_response(order.total)})
    client = stripe_client(http_client=fake)
    refund_order(order, actor=operator, reason="客户取消", client=client)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED

    with pytest.raises(PaymentError):
        refund_order(order, actor=operator, reason="again", client=client)
    assert len(fake.requests) == 1


def test_refunding_more_units_than_bought_is_refused_before_stripe(operator):
    order = paid_order()
    line = order.lines.get()
    fake = RecordedStripe({})

    with pytest.raises(PaymentError, match="can still be refunded"):
        refund_order(order, actor=operator, reason="x", lines={line.pk: 3}, client=stripe_client(http_client=fake))
    assert fake.requests == []
    assert Refund.objects.count() == 0


def test_a_pending_refund_completes_when_stripe_confirms_it_by_webhook(operator, webhook):
    """Stripe answers "pending" at first; the later refund.updated event finishes it, once."""
    order = paid_order()
    line = order.lines.get()
    pending = {**refund_response(1000, "re_pending"), "status": "pending"}
    fake = RecordedStripe({("post", "/v1/refunds"): pending})

    refund = refund_order(
        order, actor=operator, reason="破损", lines={line.pk: 1}, restock=True, client=stripe_client(http_client=fake)
    )
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.PENDING, OrderStatus.PAID)
    assert not StockMovement.objects.filter(kind="return").exists()

    confirmed = {**pending, "status": "succeeded"}
    for n in (1, 2):  # a replay under a new event id changes nothing more
        event = {"id": f"evt_refund_updated_{n}", "object": "event", "type": "refund.updated"}
        webhook({**event, "data": {"object": confirmed}})

    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.PARTIALLY_REFUNDED)
    assert StockMovement.objects.filter(kind="return", reference=order.number).count() == 1
