"""Payments against localstripe: the real Stripe SDK over HTTP to a local fake Stripe server.

Real here: the project's ``StripeClient`` and services, the SDK's HTTP requests and localstripe's answers,
and (in the webhook test) localstripe's signed webhook posted to the project's view on a live server.
Not real: Stripe itself (localstripe imitates it, card only), Stripe.js in the browser (the tests do what
it would: attach a card to the intent the project created and confirm it) and the 3-D Secure page
(localstripe's ``_authenticate`` endpoint stands in for the customer passing the challenge).
"""

import time

import pytest
import stripe

from catalog.models import StockMovement
from orders.models import Order, OrderStatus, Payment
from orders.payments.client import stripe_client
from orders.payments.services import PaymentError, reconcile_order, refund_order, start_payment
from tests.payments.helpers import placed_order

VISA = "4242424242424242"
DECLINED = "4000000000000341"
THREE_D_SECURE = "4000002500003155"


def pay_with_card(intent_id: str, number: str) -> stripe.PaymentIntent:
    """What Stripe.js does with the card the customer typed: a payment method on the intent, then confirm."""
    client = stripe_client()
    method = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    client.v1.payment_intents.update(intent_id, {"payment_method": method.id})
    return client.v1.payment_intents.confirm(intent_id)


def paid_order(quantity: int = 2, price: int = 1000) -> Order:
    """An order paid by card on localstripe and recorded through reconciliation (no webhook)."""
    order = placed_order(quantity=quantity, price=price)
    session = start_payment(order)
    assert pay_with_card(session.payment.intent_id, VISA).status == "succeeded"
    assert reconcile_order(order) is True
    return order


@pytest.mark.django_db
def test_a_visa_card_pays_the_project_created_intent(localstripe):
    """Real: start_payment creates the intent on localstripe; reconcile_order reads it back over HTTP."""
    order = placed_order(quantity=2, price=1290)

    session = start_payment(order)
    intent = pay_with_card(session.payment.intent_id, VISA)

    assert (intent.amount, intent.currency) == (order.total, "cny")
    assert intent.metadata["order_number"] == order.number
    assert intent.status == "succeeded"
    assert reconcile_order(order) is True
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get(order=order).status == Payment.Status.SUCCEEDED
    assert StockMovement.objects.filter(kind="sale", reference=order.number).count() == 1


@pytest.mark.django_db
def test_a_declined_card_leaves_the_order_awaiting_payment_with_the_same_intent(localstripe):
    """Real: localstripe declines card 4000000000000341 with a 402 card error the SDK raises."""
    order = placed_order()
    session = start_payment(order)

    with pytest.raises(stripe.CardError, match="declined"):
        pay_with_card(session.payment.intent_id, DECLINED)

    assert reconcile_order(order) is False
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    again = start_payment(order)
    assert again.payment.intent_id == session.payment.intent_id
    assert again.status == "requires_payment_method"


@pytest.mark.django_db
def test_a_3d_secure_card_pays_only_after_the_customer_authenticates(localstripe):
    """Real: localstripe asks for 3-D Secure on card 4000002500003155; its _authenticate endpoint passes it."""
    order = placed_order()
    session = start_payment(order)

    intent = pay_with_card(session.payment.intent_id, THREE_D_SECURE)

    assert intent.status == "requires_action"
    assert reconcile_order(order) is False
    assert start_payment(order).status == "requires_action"
    localstripe.authenticate(intent.id, session.client_secret, success=True)
    assert reconcile_order(order) is True
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.django_db
def test_a_failed_3d_secure_challenge_leaves_the_order_unpaid(localstripe):
    """Real: localstripe's _authenticate with success=false puts the intent back to requires_payment_method."""
    order = placed_order()
    session = start_payment(order)
    intent = pay_with_card(session.payment.intent_id, THREE_D_SECURE)

    localstripe.authenticate(intent.id, session.client_secret, success=False)

    assert reconcile_order(order) is False
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert start_payment(order).status == "requires_payment_method"


@pytest.mark.django_db
def test_a_partial_then_the_remaining_refund_go_to_stripe_and_nothing_more(localstripe, operator):
    """Real: refund_order sends the refunds to localstripe; localstripe would accept an over-refund, so
    the project's own refusal is what keeps the third one from reaching it."""
    order = paid_order(quantity=2, price=1000)
    line = order.lines.get()
    client = stripe_client()

    first = refund_order(order, actor=operator, reason="破损", lines={line.pk: 1}, restock=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    rest = refund_order(order, actor=operator, reason="客户取消")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED

    intent_id = order.payments.get().intent_id
    at_stripe = client.v1.refunds.list({"payment_intent": intent_id}).data
    assert sorted(refund.amount for refund in at_stripe) == sorted([1000, order.total - 1000])
    assert {first.stripe_refund_id, rest.stripe_refund_id} == {refund.id for refund in at_stripe}
    assert StockMovement.objects.filter(kind="return", reference=order.number).count() == 1
    with pytest.raises(PaymentError):
        refund_order(order, actor=operator, reason="again")
    assert len(client.v1.refunds.list({"payment_intent": intent_id}).data) == 2


@pytest.mark.django_db
def test_a_full_refund_gives_back_the_order_total(localstripe, operator):
    """Real: one refund for the whole order, checked on localstripe's side."""
    order = paid_order()

    refund = refund_order(order, actor=operator, reason="客户取消")

    at_stripe = stripe_client().v1.refunds.retrieve(refund.stripe_refund_id)
    assert (at_stripe.amount, at_stripe.status) == (order.total, "succeeded")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


@pytest.fixture
def webhook_to(localstripe, settings):
    """Register a URL with localstripe for payment events; afterwards the registration is made inert."""

    def register(url: str) -> None:
        localstripe.register_webhook(
            "dexiu",
            url,
            settings.STRIPE_WEBHOOK_SECRET,
            ["payment_intent.succeeded", "payment_intent.payment_failed"],
        )

    yield register
    # localstripe cannot forget a webhook: keep the name but let it match no event.
    localstripe.register_webhook("dexiu", "http://127.0.0.1:9/", settings.STRIPE_WEBHOOK_SECRET, ["dexiu.none"])


@pytest.mark.django_db(transaction=True)
def test_localstripes_signed_webhook_marks_the_order_paid(webhook_to, live_server):
    """Real: the whole webhook path. localstripe signs payment_intent.succeeded and POSTs it over HTTP to
    the project's webhook view on a live server, which verifies it, stores it and processes it (Celery
    runs eagerly in tests). Nothing else tells the project that the order was paid."""
    webhook_to(f"{live_server.url}/stripe/webhook/")
    order = placed_order()
    session = start_payment(order)

    assert pay_with_card(session.payment.intent_id, VISA).status == "succeeded"

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        order.refresh_from_db()
        if order.status == OrderStatus.PAID:
            break
        time.sleep(0.2)
    assert order.status == OrderStatus.PAID
    payment = Payment.objects.get(order=order)
    assert (payment.intent_id, payment.status) == (session.payment.intent_id, Payment.Status.SUCCEEDED)
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1


@pytest.mark.django_db
def test_the_pay_page_mounts_the_payment_element_for_the_orders_intent(localstripe, client, settings):
    """Real: localstripe over HTTP creates the intent the pay page hands to Stripe.js; a reload reuses it."""
    order = placed_order()

    page = client.get(f"/en/orders/{order.token}/pay/").content.decode()
    again = client.get(f"/en/orders/{order.token}/pay/").content.decode()

    payment = Payment.objects.get(order=order)
    assert f'<script src="{settings.STRIPE_JS_URL}"></script>' in page
    assert f'data-publishable-key="{settings.STRIPE_PUBLISHABLE_KEY}"' in page
    assert f'data-client-secret="{payment.intent_id}_secret' in page
    assert f"/en/orders/{order.token}/pay/return/" in page
    assert "demo" not in page.lower()
    assert Payment.objects.filter(order=order).count() == 1 and payment.intent_id in again
