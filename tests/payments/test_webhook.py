"""The Stripe webhook: signatures, store-first, replays, and what each event does to the order."""

import json
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import Stock, StockMovement
from orders.models import Order, OrderStatus, Payment, StripeEvent
from orders.payments import expire_overdue_orders
from tests.fixtures.races import errors_in, run_together
from tests.payments.helpers import intent_event, placed_order, post_event, stripe_payment
from worker import channels, outbox
from worker.models import Notification

pytestmark = pytest.mark.django_db


def stock_row(order: Order) -> tuple[int, int]:
    line = order.lines.get()
    stock = Stock.objects.get(variant=line.variant, location=line.location)
    return stock.on_hand, stock.allocated


def test_a_signed_succeeded_event_marks_the_order_paid_and_sells_the_stock(webhook):
    order = placed_order(quantity=2)
    stripe_payment(order)

    response = webhook(intent_event(order))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.paid_at is not None
    assert stock_row(order) == (8, 0)
    assert StockMovement.objects.filter(kind="sale", reference=order.number).count() == 1
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.method_type, payment.succeeded_at is not None) == ("succeeded", "card", True)
    assert StripeEvent.objects.get().processed_at is not None


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"body": "tampered"}, id="tampered-body"),
        pytest.param({"secret": "whsec_someone_else"}, id="wrong-secret"),
        pytest.param({"timestamp": int(time.time()) - 3600}, id="stale-timestamp"),
    ],
)
def test_tampered_wrongly_signed_and_stale_posts_are_refused_and_not_stored(webhook, tamper):
    order = placed_order()
    stripe_payment(order)
    event = intent_event(order)
    if tamper.get("body"):
        tamper = {"body": json.dumps(event).replace(str(order.total), "1")}

    response = webhook(event, **tamper)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_an_unsigned_post_is_refused(client):
    order = placed_order()
    stripe_payment(order)

    response = client.post("/stripe/webhook/", data=json.dumps(intent_event(order)), content_type="application/json")

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_the_webhook_needs_no_csrf_token_but_only_accepts_post():
    client = Client(enforce_csrf_checks=True)
    order = placed_order()
    stripe_payment(order)

    assert post_event(client, intent_event(order)).status_code == 200
    assert client.get("/stripe/webhook/").status_code == 405


def test_a_replayed_event_is_acknowledged_and_ignored(webhook):
    order = placed_order()
    stripe_payment(order)
    event = intent_event(order)

    first = webhook(event)
    again = webhook(event)

    assert (first.json()["replay"], again.json()["replay"]) == (False, True)
    assert again.status_code == 200
    assert StripeEvent.objects.count() == 1
    assert StockMovement.objects.filter(kind="sale").count() == 1
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1


def test_a_second_event_for_the_same_intent_changes_nothing(webhook):
    """Stripe may send another event (new id) about the same payment: still one sale, one payment."""
    order = placed_order()
    stripe_payment(order)
    webhook(intent_event(order))
    duplicate = intent_event(order)
    duplicate["id"] = "evt_other"

    assert webhook(duplicate).status_code == 200

    assert StripeEvent.objects.count() == 2
    assert StockMovement.objects.filter(kind="sale").count() == 1
    assert Payment.objects.count() == 1
    assert Order.objects.get(pk=order.pk).needs_review is False


def test_an_amount_mismatch_flags_the_order_and_does_not_mark_it_paid(webhook):
    order = placed_order()
    stripe_payment(order)

    webhook(intent_event(order, amount=100, amount_received=100))

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.needs_review is True
    note = order.events.last().note  # written in the site's language
    assert "pi_test_1" in note and "¥1.00" in note
    assert stock_row(order) == (10, 2)


def test_a_currency_mismatch_flags_the_order(webhook):
    order = placed_order()
    stripe_payment(order)

    webhook(intent_event(order, currency="usd"))

    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.PENDING_PAYMENT, True)


def test_a_payment_for_an_expired_order_flags_it_for_an_operator(webhook):
    order = placed_order()
    stripe_payment(order)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_overdue_orders()

    response = webhook(intent_event(order))

    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.EXPIRED, True)
    assert "pi_test_1" in order.events.last().note
    assert Payment.objects.get().status == "succeeded"
    assert StripeEvent.objects.get().processed_at is not None


def test_a_failed_attempt_is_recorded_and_the_order_stays_payable(webhook):
    order = placed_order()
    stripe_payment(order)

    webhook(
        intent_event(
            order,
            "payment_intent.payment_failed",
            status="requires_payment_method",
            last_payment_error={"message": "Your card was declined."},
        ),
    )

    order.refresh_from_db()
    payment = Payment.objects.get()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert (payment.status, payment.failure_message) == ("failed", "Your card was declined.")
    assert "Your card was declined." in order.events.last().note


def test_a_dispute_flags_the_order(webhook):
    order = placed_order()
    stripe_payment(order)
    webhook(intent_event(order))
    dispute = {
        "id": "evt_dispute",
        "type": "charge.dispute.created",
        "data": {"object": {"id": "dp_1", "payment_intent": "pi_test_1", "reason": "fraudulent"}},
    }

    webhook(dispute)

    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.PAID, True)
    assert "fraudulent" in order.events.last().note


def test_unknown_event_types_are_stored_and_ignored(webhook):
    response = webhook({"id": "evt_unknown", "type": "customer.created", "data": {"object": {}}})

    assert response.status_code == 200
    event = StripeEvent.objects.get()
    assert (event.type, event.processed_at is not None) == ("customer.created", True)


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_event_pay_the_order_once():
    order = placed_order(quantity=3)
    stripe_payment(order)
    event = intent_event(order)

    statuses = run_together(lambda: post_event(Client(), event).status_code, n=10, timeout=60)

    assert statuses == [200] * 10
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.count() == 1
    assert StockMovement.objects.filter(kind="sale", reference=order.number).count() == 1
    assert stock_row(order) == (7, 0)


@pytest.mark.django_db(transaction=True)
def test_ten_events_about_one_payment_processed_together_sell_the_stock_once():
    """Distinct event ids (so no replay guard) about the same intent, processed by ten workers at once."""
    from orders.tasks import process_stripe_event

    order = placed_order(quantity=3)
    stripe_payment(order)
    ids = []
    for i in range(10):
        event = intent_event(order)
        event["id"] = f"evt_{i}"
        StripeEvent.objects.create(id=event["id"], type=event["type"], payload=event)
        ids.append(event["id"])

    errors = errors_in(run_together(*[lambda e=event_id: process_stripe_event(e) for event_id in ids], timeout=60))

    assert errors == []
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.needs_review is False
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1
    assert StockMovement.objects.filter(kind="sale", reference=order.number).count() == 1
    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 10


def charge_refunded_event(order: Order, amount_refunded: int, n: int, intent_id: str = "pi_test_1") -> dict:
    charge = {
        "id": "ch_test_1",
        "object": "charge",
        "payment_intent": intent_id,
        "amount": order.total,
        "amount_refunded": amount_refunded,
        "currency": "cny",
        "refunds": {"object": "list", "data": []},
    }
    return {"id": f"evt_charge_refunded_{n}", "object": "event", "type": "charge.refunded", "data": {"object": charge}}


def test_refunds_made_in_stripes_dashboard_set_partially_refunded_then_refunded(webhook):
    """charge.refunded events (e.g. a refund made in Stripe's dashboard) move the paid order along."""
    order = placed_order(quantity=2, price=1290)
    stripe_payment(order)
    webhook(intent_event(order))

    webhook(charge_refunded_event(order, 500, 1))
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED

    webhook(charge_refunded_event(order, order.total, 2))
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert list(order.events.exclude(to_status="").values_list("to_status", flat=True).order_by("pk"))[-2:] == [
        OrderStatus.PARTIALLY_REFUNDED,
        OrderStatus.REFUNDED,
    ]


def test_a_charge_refunded_event_for_an_unknown_payment_is_stored_and_changes_nothing(webhook):
    order = placed_order()
    response = webhook(charge_refunded_event(order, 100, 3, intent_id="pi_unknown"))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert StripeEvent.objects.get().processed_at is not None


@pytest.mark.django_db(transaction=True)  # the task's own commit runs its callbacks, as in the worker
def test_the_task_applying_a_payment_sends_its_messages_itself_the_e_mails_last(client):
    order = placed_order()
    stripe_payment(order)

    with (
        mock.patch.object(outbox, "dispatch_many", wraps=outbox.dispatch_many) as publish,
        mock.patch.object(channels, "send", wraps=channels.send) as send,  # watched, still sending
    ):
        assert post_event(client, intent_event(order)).status_code == 200

    assert not publish.called
    sent = [c.args[0].channel for c in send.call_args_list]
    assert sent[0] == "sms" and set(sent[1:]) == {"email"}
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}
