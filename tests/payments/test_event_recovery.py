"""Nothing is lost when Stripe or the broker misbehave (issue 13): the webhook answers once the event is
stored, a sweeper applies stored events in Stripe's order, events that arrive too early are held, and
refunds made in Stripe's dashboard (or for a late payment) reach the `Refund` rows and the aid ledger."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from orders import tasks
from orders.models import AidLedgerEntry, Order, OrderStatus, Refund, StripeEvent
from orders.payments import expire_overdue_orders
from orders.payments.client import stripe_client
from orders.payments.services import refund_order
from orders.state import can_refund
from orders.tasks import process_stripe_event
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.races import errors_in, run_together
from tests.orders.helpers import cart_with, checkout, stocked_variant
from tests.payments.helpers import RecordedStripe, intent_event, placed_order, post_event, stripe_payment
from tests.worker.helpers import CLOSED_PORT_URL, set_app_conf, use_broker

pytestmark = pytest.mark.django_db


def ledger_balanced() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("reconcile_ledger", stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def ledger_total(order: Order) -> int:
    return sum(AidLedgerEntry.objects.filter(order=order).values_list("amount", flat=True))


def refund_object(refund_id: str, amount: int, *, status: str = "succeeded", intent_id: str = "pi_test_1") -> dict:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "currency": "cny",
        "status": status,
        "payment_intent": intent_id,
        "charge": "ch_test_1",
    }


def refund_event(kind: str, refund: dict, n: int = 1, created: int | None = None) -> dict:
    event = {"id": f"evt_{kind}_{refund['id']}_{n}", "object": "event", "type": kind, "data": {"object": refund}}
    if created is not None:
        event["created"] = created
    return event


def charge_refunded(order: Order, amount_refunded: int, refunds: list[dict], n: int = 1) -> dict:
    charge = {
        "id": "ch_test_1",
        "object": "charge",
        "payment_intent": "pi_test_1",
        "amount": order.total,
        "amount_refunded": amount_refunded,
        "currency": "cny",
        "refunds": {"object": "list", "data": refunds},
    }
    return {"id": f"evt_charge_refunded_{n}", "object": "event", "type": "charge.refunded", "data": {"object": charge}}


def two_line_order() -> Order:
    """A (two at 3.00, the older line) and B (one at 5.00, the newer line), delivered from one warehouse."""
    warehouse = factories.make_location(kind="warehouse")
    a = stocked_variant((warehouse, 10), price=300)
    b = stocked_variant((warehouse, 10), price=500)
    return checkout(cart_with((a, 2), (b, 1)))


def paid_by_webhook(webhook, order: Order) -> Order:
    stripe_payment(order)
    webhook(intent_event(order))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def store(event: dict, *, seconds_ago: int = 60) -> StripeEvent:
    """An event the webhook stored but whose processing never ran (its task was lost)."""
    return StripeEvent.objects.create(
        id=event["id"],
        type=event["type"],
        payload=event,
        received_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


# --- The webhook never depends on the broker; the sweeper applies what was stored ------------------------


@pytest.fixture
def broker_down(settings):
    """This process publishes for real to a closed port: every publish fails."""
    use_broker(CLOSED_PORT_URL)
    yield
    set_app_conf(task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER, broker_url=settings.CELERY_BROKER_URL)


@pytest.mark.django_db(transaction=True)
def test_a_payment_arriving_while_the_broker_is_down_is_stored_answered_200_and_applied_by_the_sweeper(broker_down):
    order = placed_order()
    stripe_payment(order)

    response = post_event(Client(raise_request_exception=False), intent_event(order))

    assert response.status_code == 200
    event = StripeEvent.objects.get()
    assert event.processed_at is None
    StripeEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(minutes=1))

    assert tasks.sweep_stripe_events() == 1

    order.refresh_from_db()
    event.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert event.processed_at is not None
    assert tasks.sweep_stripe_events() == 0


def test_the_sweeper_leaves_events_received_moments_ago_to_their_task():
    order = placed_order()
    stripe_payment(order)
    store(intent_event(order), seconds_ago=0)

    assert tasks.sweep_stripe_events() == 0
    assert StripeEvent.objects.get().processed_at is None


def test_a_payment_whose_task_was_lost_is_applied_before_the_order_expires_or_flags_the_late_order():
    """The second order of the outage expired first: the sweeper still applies the payment, which flags it."""
    order = placed_order()
    stripe_payment(order)
    store(intent_event(order))
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_overdue_orders()

    tasks.sweep_stripe_events()

    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.EXPIRED, True)
    assert order.payments.get().status == "succeeded"


def test_the_sweeper_applies_stored_events_in_the_order_stripe_created_them():
    order = placed_order(quantity=2, price=1000)
    stripe_payment(order)
    # Stored refund first (received first), but Stripe created the payment first.
    store(refund_event("refund.created", refund_object("re_dash", order.total), created=200), seconds_ago=90)
    store({**intent_event(order), "created": 100}, seconds_ago=60)

    assert tasks.sweep_stripe_events() == 2

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert Refund.objects.get().stripe_refund_id == "re_dash"
    assert StripeEvent.objects.filter(processed_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_and_the_task_processing_one_event_together_apply_it_once():
    order = placed_order(quantity=3)
    stripe_payment(order)
    event = store(intent_event(order))

    results = run_together(lambda: process_stripe_event(event.id), lambda: tasks.sweep_stripe_events(), timeout=60)

    assert errors_in(results) == []
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1
    assert AidLedgerEntry.objects.filter(order=order, kind="order_paid").count() == 1
    assert StripeEvent.objects.get().processed_at is not None


# --- Refunds made in Stripe's dashboard ---------------------------------------------------------------------


def test_a_full_refund_made_in_stripes_dashboard_records_the_refund_and_debits_every_line(webhook):
    order = paid_by_webhook(webhook, two_line_order())

    webhook(refund_event("refund.created", refund_object("re_dash", order.total)))

    order.refresh_from_db()
    refund = Refund.objects.get()
    assert (refund.amount, refund.stripe_refund_id, refund.status) == (order.total, "re_dash", "succeeded")
    assert "Stripe" in refund.reason
    assert sorted(item["quantity"] for item in refund.lines) == [1, 2]
    assert order.status == OrderStatus.REFUNDED
    assert ledger_total(order) == 0
    assert ledger_balanced()[0] == 0


def test_a_partial_dashboard_refund_debits_the_newest_lines_first_and_flags_the_order(webhook):
    order = paid_by_webhook(webhook, two_line_order())

    webhook(charge_refunded(order, 800, [refund_object("re_part", 800)]))  # B (5.00) and one A (3.00)

    order.refresh_from_db()
    refund = Refund.objects.get()
    lines = {item["line"]: item["quantity"] for item in refund.lines}
    newest, oldest = order.lines.order_by("-pk")
    assert lines == {newest.pk: 1, oldest.pk: 1}
    assert (order.status, order.needs_review) == (OrderStatus.PARTIALLY_REFUNDED, True)
    assert ledger_total(order) == 300
    assert ledger_balanced()[0] == 0


def test_a_charge_refunded_without_its_refunds_and_the_refund_event_record_one_refund(webhook):
    order = paid_by_webhook(webhook, two_line_order())

    webhook(charge_refunded(order, order.total, []))
    webhook(refund_event("refund.created", refund_object("re_late_id", order.total)))
    webhook(charge_refunded(order, order.total, [refund_object("re_late_id", order.total)], n=2))

    refund = Refund.objects.get()
    assert (refund.amount, refund.stripe_refund_id) == (order.total, "re_late_id")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert AidLedgerEntry.objects.filter(order=order, kind="order_refund").count() == 2
    assert ledger_balanced()[0] == 0


def test_our_own_refund_echoed_by_stripe_is_not_recorded_again_and_the_dashboard_rest_is(webhook, operator):
    order = paid_by_webhook(webhook, two_line_order())
    newest = order.lines.order_by("-pk").first()
    fake = RecordedStripe({("post", "/v1/refunds"): refund_object("re_ours", 500)})
    refund_order(order, actor=operator, reason="破损", lines={newest.pk: 1}, client=stripe_client(http_client=fake))

    webhook(refund_event("refund.created", refund_object("re_ours", 500)))
    rest = refund_object("re_dash", order.total - 500)
    webhook(charge_refunded(order, order.total, [refund_object("re_ours", 500), rest]))

    assert sorted(Refund.objects.values_list("stripe_refund_id", "amount")) == [
        ("re_dash", order.total - 500),
        ("re_ours", 500),
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert ledger_total(order) == 0
    assert ledger_balanced()[0] == 0


# --- Out-of-order events are held, not dropped ----------------------------------------------------------------


def test_a_refund_arriving_before_its_payment_is_held_and_applied_after_it(webhook):
    order = two_line_order()
    stripe_payment(order)

    webhook(charge_refunded(order, order.total, [refund_object("re_early", order.total)]))

    held = StripeEvent.objects.get()
    assert held.processed_at is None
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT

    webhook(intent_event(order))

    held.refresh_from_db()
    order.refresh_from_db()
    assert held.processed_at is not None
    assert order.status == OrderStatus.REFUNDED
    assert Refund.objects.get().stripe_refund_id == "re_early"
    assert ledger_total(order) == 0
    assert ledger_balanced()[0] == 0


# --- A late payment on an expired order can be refunded --------------------------------------------------------


def late_paid(webhook) -> Order:
    order = two_line_order()
    stripe_payment(order)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_overdue_orders()
    webhook(intent_event(order))
    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.EXPIRED, True)
    assert ledger_balanced()[0] == 1  # the payment never credited the ledger
    return order


def test_an_operator_refunds_a_late_payment_from_the_back_office_and_the_ledger_balances(
    webhook, operator, monkeypatch
):
    unpaid = placed_order()
    Order.objects.filter(pk=unpaid.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    order = late_paid(webhook)
    unpaid.refresh_from_db()
    assert unpaid.status == OrderStatus.EXPIRED and can_refund(unpaid) is False  # nothing was paid
    assert can_refund(order) is True
    fake = RecordedStripe({("post", "/v1/refunds"): refund_object("re_late", order.total)})
    monkeypatch.setattr("orders.payments.services.stripe_client", lambda: stripe_client(http_client=fake))
    client = Client()
    client.force_login(operator)

    response = client.post(url("orders:refund", order.pk), {"scope": "whole", "reason": "逾期付款"})

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.lines) == (order.total, "succeeded", [])
    assert fake.requests[0]["data"]["amount"] == [str(order.total)]
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert can_refund(order) is False
    assert ledger_balanced()[0] == 0


def test_a_late_payment_refunded_in_stripes_dashboard_balances_the_ledger(webhook):
    order = late_paid(webhook)

    webhook(refund_event("refund.created", refund_object("re_dash_late", order.total)))

    refund = Refund.objects.get()
    assert (refund.amount, refund.lines) == (order.total, [])
    assert ledger_balanced()[0] == 0


def test_the_stripe_event_sweeper_is_registered_and_scheduled_every_minute(settings):
    from config.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-stripe-events"]
    assert entry["task"] == "worker.sweep_stripe_events" and entry["task"] in app.tasks
    assert entry["schedule"] <= 60
