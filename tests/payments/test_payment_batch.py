"""Payments applied as a batch (``orders.payments.batch``): a burst of succeeded payments paid together, with the
same results as one by one, the unusual ones left to their own tasks, all or nothing, and safe between workers;
Stripe's events, and WeChat Pay's and Alipay's notifications."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import Stock, StockMovement
from core.money import fen_to_yuan
from orders.models import AidLedgerEntry, Order, OrderEvent, OrderStatus, Payment, ProviderEvent, StripeEvent
from orders.payments.batch import apply_payment_batch
from orders.payments.services import EventProcessingError
from orders.tasks import process_provider_event, process_stripe_event
from tests import factories
from tests.fixtures.races import errors_in, run_together
from tests.orders.helpers import cart_with, checkout, stocked_variant
from tests.payments.helpers import intent_event, placed_order, stripe_payment
from worker.models import Notification


def burst(count: int, *, stock: int = 30, quantity: int = 1) -> tuple[list[Order], object]:
    """``count`` orders for the same goods at one warehouse (a flash sale's shared stock row), each with its
    Stripe payment and a stored, unprocessed ``payment_intent.succeeded`` event (its task not run yet)."""
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, stock), price=1290)
    orders = []
    for n in range(count):
        order = checkout(cart_with((variant, quantity)))
        stripe_payment(order, f"pi_burst_{n}")
        event = intent_event(order, intent_id=f"pi_burst_{n}")
        StripeEvent.objects.create(id=event["id"], type=event["type"], payload=event)
        orders.append(order)
    return orders, Stock.objects.get(variant=variant, location=warehouse)


def event_id(n: int) -> str:
    return f"evt_payment_intent.succeeded_pi_burst_{n}"


@pytest.mark.django_db(transaction=True)
def test_one_task_pays_the_whole_burst_as_one_by_one_would():
    orders, stock = burst(4, quantity=2)

    assert process_stripe_event(event_id(2)) is True

    for order in orders:
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert order.paid_at is not None
        paid = order.events.get(kind=OrderEvent.Kind.STATUS, to_status=OrderStatus.PAID)
        assert paid.from_status == OrderStatus.PENDING_PAYMENT
        assert order.payments.get().intent_id in paid.note  # the payment reference in the history
        assert order.payments.get().status == Payment.Status.SUCCEEDED
        assert order.payments.get().method_type == "card"
        entry = AidLedgerEntry.objects.get(order=order)
        assert (entry.amount, entry.quantity, entry.reference) == (order.lines.get().paid_total, 2, order.number)
        assert entry.created_at == order.paid_at
        sale = StockMovement.objects.get(kind="sale", reference=order.number)
        assert (sale.quantity, sale.allocated_change) == (-2, -2)
        keys = set(Notification.objects.filter(key__startswith=f"order-{order.pk}-").values_list("key", flat=True))
        assert keys == {f"order-{order.pk}-paid-sms", f"order-{order.pk}-paid-consumer"}
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (30 - 8, 0)
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()
    # Their messages were delivered by the task, after its commit: none left waiting.
    assert not Notification.objects.filter(status=Notification.Status.PENDING).exists()
    # The other events' own tasks find them applied.
    assert process_stripe_event(event_id(0)) is False


@pytest.mark.django_db
def test_a_batch_costs_the_same_statements_for_three_orders_as_for_eight():
    def statements(count: int) -> int:
        orders, _stock = burst(count)
        with CaptureQueriesContext(connection) as queries:
            applied = apply_payment_batch()
        assert len(applied) == count
        assert Order.objects.filter(pk__in=[o.pk for o in orders], status=OrderStatus.PAID).count() == count
        StripeEvent.objects.all().delete()
        Payment.objects.all().delete()
        return len(queries.captured_queries)

    assert statements(3) == statements(8)


@pytest.mark.django_db(transaction=True)
def test_unusual_payments_are_left_to_their_own_task_and_flagged_there():
    orders, stock = burst(4)
    short = orders[1]
    StripeEvent.objects.filter(pk=event_id(1)).update(
        payload=intent_event(short, intent_id="pi_burst_1", amount=100, amount_received=100)
    )
    Order.objects.filter(pk=orders[3].pk).update(expires_at="2000-01-01T00:00:00Z")  # its reservation ran out

    process_stripe_event(event_id(0))

    assert set(Order.objects.filter(status=OrderStatus.PAID).values_list("pk", flat=True)) == {
        orders[0].pk,
        orders[2].pk,
    }
    assert set(StripeEvent.objects.filter(processed_at__isnull=True).values_list("pk", flat=True)) == {
        event_id(1),
        event_id(3),
    }

    process_stripe_event(event_id(1))
    process_stripe_event(event_id(3))

    short.refresh_from_db()
    assert (short.status, short.needs_review) == (OrderStatus.PENDING_PAYMENT, True)  # amount mismatch: flagged
    late = Order.objects.get(pk=orders[3].pk)
    assert (late.status, late.needs_review) == (OrderStatus.EXPIRED, True)  # expired, the payment flagged
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (30 - 2, 1)  # two sold; the short one's unit still held
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_fails_writes_nothing_and_each_payment_is_applied_alone():
    orders, stock = burst(3)
    broken = placed_order(quantity=1)
    stripe_payment(broken, "pi_broken")
    event = intent_event(broken, intent_id="pi_broken")
    StripeEvent.objects.create(id=event["id"], type=event["type"], payload=event, received_at="2000-01-01T00:00Z")
    # The counts were broken behind the order's back: its unit is no longer allocated, so its sale is refused.
    line = broken.lines.get()
    Stock.objects.filter(variant=line.variant, location=line.location).update(allocated=0)

    assert apply_payment_batch() == set()
    assert not Order.objects.filter(status=OrderStatus.PAID).exists()
    assert not Payment.objects.filter(status=Payment.Status.SUCCEEDED).exists()
    assert not AidLedgerEntry.objects.exists()
    assert not Notification.objects.exists()
    assert not StripeEvent.objects.filter(processed_at__isnull=False).exists()

    with pytest.raises(EventProcessingError, match="Not enough stock"):
        process_stripe_event.run(event["id"])  # alone: its failure is recorded on its event
    assert "Not enough stock" in StripeEvent.objects.get(pk=event["id"]).error
    assert process_stripe_event(event_id(0)) is True  # the next batch leaves the failed event to its retries

    assert set(Order.objects.filter(status=OrderStatus.PAID).values_list("pk", flat=True)) == {o.pk for o in orders}
    broken.refresh_from_db()
    assert broken.status == OrderStatus.PENDING_PAYMENT
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (27, 0)


@pytest.mark.django_db(transaction=True)
def test_an_order_someone_else_holds_is_left_out_and_the_batch_does_not_wait_for_it():
    orders, stock = burst(3)
    held, release = threading.Event(), threading.Event()

    def hold_the_order() -> None:  # a shopper's cancellation, say, stalled mid-transaction
        try:
            with transaction.atomic():
                list(Order.objects.select_for_update().filter(pk=orders[1].pk))
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_order)
    holder.start()
    try:
        assert held.wait(10)
        began = time.monotonic()
        applied = apply_payment_batch()
        assert time.monotonic() - began < 5  # it did not wait for the held order
    finally:
        release.set()
        holder.join()

    assert applied == {event_id(0), event_id(2)}
    assert process_stripe_event(event_id(1)) is True  # once free, its own task pays it
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 3
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (27, 0)


@pytest.mark.django_db(transaction=True)
def test_workers_applying_a_burst_together_pay_each_order_once_and_sell_each_unit_once():
    """Eight workers, each with a task of the same burst of 40 payments for one stock row (PostgreSQL's row locks
    and SKIP LOCKED decide who takes which)."""
    orders, stock = burst(40, stock=45)

    results = run_together(*[lambda n=n: process_stripe_event(event_id(n)) for n in range(0, 40, 5)], timeout=120)
    assert errors_in(results) == []
    for n in range(40):  # every other task of the burst, as the queue would run them
        process_stripe_event(event_id(n))

    assert Order.objects.filter(status=OrderStatus.PAID).count() == 40
    assert OrderEvent.objects.filter(to_status=OrderStatus.PAID).count() == 40
    assert AidLedgerEntry.objects.count() == 40
    assert StockMovement.objects.filter(kind="sale").count() == 40
    assert sorted(StockMovement.objects.filter(kind="sale").values_list("reference", flat=True)) == sorted(
        order.number for order in orders
    )
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (5, 0)
    assert Notification.objects.filter(key__endswith="-paid-sms").count() == 40
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()
    assert not Notification.objects.filter(status=Notification.Status.PENDING).exists()


# --- WeChat Pay's and Alipay's notifications ------------------------------------------------------------------


def provider_burst(settings, kinds: list[str]) -> tuple[list[Order], list[ProviderEvent], object]:
    """One order per entry of ``kinds`` ("wechat" or "alipay") for the same goods, each with its attempt recorded and
    its paid notification stored as the notify views store them (verified, decrypted), its task not run yet."""
    settings.WECHATPAY_MCHID, settings.WECHATPAY_APPID = "1900000109", "wxd678efh567hg6787"
    settings.ALIPAY_APP_ID, settings.ALIPAY_SELLER_ID = "2021000000000001", ""
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 30), price=1290)
    orders, events = [], []
    for n, kind in enumerate(kinds):
        order = checkout(cart_with((variant, 1)))
        letter = "W" if kind == "wechat" else "A"
        number = f"{order.number}-{letter}1"
        Payment.objects.create(
            order=order, provider=kind, intent_id=number, attempt=1, amount=order.total, currency=order.currency
        )
        if kind == "wechat":
            payload = {
                "id": f"wx-{n}",
                "event_type": "TRANSACTION.SUCCESS",
                "resource": {
                    "mchid": settings.WECHATPAY_MCHID,
                    "appid": settings.WECHATPAY_APPID,
                    "out_trade_no": number,
                    "trade_state": "SUCCESS",
                    "amount": {"total": order.total, "currency": "CNY"},
                },
            }
            events.append(
                ProviderEvent.objects.create(
                    provider="wechat", event_id=payload["id"], type="TRANSACTION.SUCCESS", payload=payload
                )
            )
        else:
            payload = {
                "notify_id": f"ali-{n}",
                "app_id": settings.ALIPAY_APP_ID,
                "out_trade_no": number,
                "trade_status": "TRADE_SUCCESS",
                "total_amount": str(fen_to_yuan(order.total)),
            }
            events.append(
                ProviderEvent.objects.create(
                    provider="alipay", event_id=payload["notify_id"], type="TRADE_SUCCESS", payload=payload
                )
            )
        orders.append(order)
    return orders, events, Stock.objects.get(variant=variant, location=warehouse)


@pytest.mark.django_db(transaction=True)
def test_one_task_pays_a_burst_of_wechat_and_alipay_notifications_together(settings):
    orders, events, stock = provider_burst(settings, ["wechat", "alipay", "wechat", "alipay", "wechat"])

    assert process_provider_event(events[3].pk) is True

    for order in orders:
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        payment = order.payments.get()
        assert payment.status == Payment.Status.SUCCEEDED
        assert payment.method_type == ("wechat_pay" if payment.provider == "wechat" else "alipay")
        assert payment.intent_id in order.events.get(to_status=OrderStatus.PAID).note
        assert AidLedgerEntry.objects.filter(order=order).count() == 1
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (25, 0)
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()
    assert not Notification.objects.filter(status=Notification.Status.PENDING).exists()
    assert process_provider_event(events[0].pk) is False  # its own task finds it applied


@pytest.mark.django_db(transaction=True)
def test_a_notification_of_another_merchant_is_not_batched_and_pays_nothing(settings):
    orders, events, stock = provider_burst(settings, ["wechat", "wechat", "wechat"])
    foreign = events[1].payload
    foreign["resource"]["mchid"] = "1900000999"  # stored before a settings change, say
    ProviderEvent.objects.filter(pk=events[1].pk).update(payload=foreign)

    process_provider_event(events[0].pk)
    process_provider_event(events[1].pk)

    assert [Order.objects.get(pk=o.pk).status for o in orders] == [
        OrderStatus.PAID,
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
    ]
    assert Payment.objects.get(order=orders[1]).status != Payment.Status.SUCCEEDED
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()  # ignored by its own task
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (28, 1)


@pytest.mark.django_db(transaction=True)
def test_workers_applying_a_burst_of_wechat_notifications_together_pay_each_order_once(settings):
    _orders, events, stock = provider_burst(settings, ["wechat"] * 30)

    results = run_together(*[lambda e=event: process_provider_event(e.pk) for event in events[::5]], timeout=120)
    assert errors_in(results) == []
    for event in events:
        process_provider_event(event.pk)

    assert Order.objects.filter(status=OrderStatus.PAID).count() == 30
    assert OrderEvent.objects.filter(to_status=OrderStatus.PAID).count() == 30
    assert StockMovement.objects.filter(kind="sale").count() == 30
    stock.refresh_from_db()
    assert (stock.on_hand, stock.allocated) == (0, 0)
    assert not ProviderEvent.objects.filter(processed_at__isnull=True).exists()
