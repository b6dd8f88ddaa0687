"""Receiving a pre-sale's harvest (``orders.presales``): the plan sold under a rush, shortfall refunds by
policy, each once, the ledger reconciling, and fulfilment waiting for the harvest (PostgreSQL)."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from catalog.models import PreSale, Stock, StockMovement
from catalog.presales import PreSaleError, presale_left
from orders.aid.reconciliation import reconcile
from orders.checkout import SoldOut, cart_summary
from orders.fulfilment.services import mark_fulfilment_ready, mark_fulfilment_shipped
from orders.models import Order, OrderStatus, PreSaleRefund, ProviderEvent, Refund
from orders.presales.services import pending_refunds, receive_harvest, refund_pending_presales, shortfall_plan
from orders.state import OrderError
from orders.tasks import process_provider_event
from tests import factories
from tests.fixtures.races import run_together
from tests.orders.helpers import cart_with, checkout, pickup_at
from tests.orders.presale_helpers import buy, close, make_presale
from tests.payments.test_wechat_provider import UNREACHABLE_NOTIFY_URL, paid_notification, post, start
from worker.models import Notification

# 20 orders, 50 units, in order of purchase.
QUANTITIES = [3, 2, 4, 1, 2, 3, 2, 1, 4, 2, 3, 2, 1, 3, 2, 4, 3, 2, 1, 5]


def stock(presale: PreSale) -> Stock:
    return Stock.objects.get(variant=presale.variant, location=presale.location)


def ledger_balanced() -> bool:
    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)  # raises CommandError on any difference
    return "balanced" in out.getvalue() and reconcile().balanced


def refunded_by_line(presale: PreSale) -> dict[int, int]:
    """Units given back per order line, from the refunds themselves."""
    given: dict[int, int] = {}
    for refund in Refund.objects.filter(order__lines__variant=presale.variant).distinct():
        for item in refund.lines:
            given[item["line"]] = given.get(item["line"], 0) + item["quantity"]
    return given


def sold_twenty_orders() -> tuple[PreSale, list[Order]]:
    assert sum(QUANTITIES) == 50
    presale = make_presale(50)
    orders = [buy(presale, quantity) for quantity in QUANTITIES]
    return close(presale), orders


@pytest.mark.django_db(transaction=True)
def test_two_hundred_buyers_for_a_plan_of_fifty_make_fifty_orders():
    presale = make_presale(50)
    carts = [cart_with((presale.variant, 1)) for _ in range(200)]
    fingerprints = [cart_summary(cart).fingerprint for cart in carts]
    buyers = list(zip(carts, fingerprints, strict=True))

    def wave(own):  # one connection per thread, 8 buyers each: 25 connections, not 200
        results = []
        for cart, fingerprint in own:
            try:
                results.append(checkout(cart, fingerprint=fingerprint))
            except SoldOut as exc:
                results.append(exc)
        return results

    results = [r for batch in run_together(*[lambda o=buyers[i::25]: wave(o) for i in range(25)]) for r in batch]

    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 50
    assert len([r for r in results if isinstance(r, SoldOut)]) == 150
    row = stock(presale)
    assert (row.on_hand, row.allocated) == (50, 50)
    assert Order.objects.count() == 50
    assert not StockMovement.objects.filter(stock=row, on_hand_after__lt=0).exists()
    assert presale_left(presale) == 0


@pytest.mark.django_db
def test_a_harvest_covering_the_orders_refunds_nothing_and_lifts_the_fulfilment_hold():
    presale = make_presale(10)
    order = buy(presale, 4)
    part = order.fulfilments.get()
    with pytest.raises(OrderError, match="harvest has not been received"):
        mark_fulfilment_shipped(part, actor=None, carrier="顺丰", tracking_number="SF1")
    close(presale)

    plan = receive_harvest(presale, 12, actor=factories.make_user())

    assert plan.refunds == {}
    presale.refresh_from_db()
    assert (presale.status, presale.received_quantity) == (PreSale.Status.HARVESTED, 12)
    row = stock(presale)
    assert (row.on_hand, row.allocated) == (8, 0)  # 12 harvested, 4 already sold
    harvest = StockMovement.objects.get(stock=row, kind=StockMovement.Kind.HARVEST)
    assert (harvest.quantity, harvest.batch.quantity_received) == (2, 12)
    mark_fulfilment_shipped(part, actor=None, carrier="顺丰", tracking_number="SF1")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


@pytest.mark.django_db
def test_a_pickup_part_cannot_be_ready_before_the_harvest():
    counter = factories.make_location()
    presale = make_presale(5, location=counter)
    order = buy(presale, 1, delivery=pickup_at(counter))
    part = order.fulfilments.get()
    with pytest.raises(OrderError, match="harvest has not been received"):
        mark_fulfilment_ready(part, actor=None)
    receive_harvest(close(presale), 5, actor=None)
    assert mark_fulfilment_ready(part, actor=None).status == "ready_for_pickup"


@pytest.mark.django_db
def test_a_thirty_percent_shortfall_latest_first_refunds_the_latest_orders_once():
    presale, orders = sold_twenty_orders()

    plan = receive_harvest(presale, 35, actor=factories.make_user())

    # 15 units short: the latest five orders whole (5 + 1 + 2 + 3 + 4), nothing of the earlier fifteen.
    lines = [order.lines.get() for order in orders]
    expected = {lines[19].pk: 5, lines[18].pk: 1, lines[17].pk: 2, lines[16].pk: 3, lines[15].pk: 4}
    assert sum(expected.values()) == 15
    assert plan.refunds == expected
    assert refunded_by_line(presale) == expected
    assert set(PreSaleRefund.objects.values_list("order_line_id", "quantity")) == set(expected.items())
    assert all(row.refund_id for row in PreSaleRefund.objects.all())
    statuses = [Order.objects.get(pk=order.pk).status for order in orders]
    assert statuses[:15] == [OrderStatus.PAID] * 15
    assert statuses[15:] == [OrderStatus.REFUNDED] * 5  # shipping included: nothing of them is left to send
    # Each refunded shopper is told through the outbox, once.
    refund_ids = Refund.objects.values_list("pk", flat=True)
    assert Notification.objects.filter(key__in=[f"refund-{pk}-consumer" for pk in refund_ids]).count() == 5

    assert receive_harvest(presale, 35, actor=None) is None  # a retry refunds nothing more
    assert Refund.objects.count() == 5
    row = stock(presale)
    assert (row.on_hand, row.allocated) == (0, 0)  # all 35 harvested units go to the 35 kept
    assert ledger_balanced()


def pro_rata_expected(quantities: list[int], received: int) -> list[int]:
    sold = sum(quantities)
    keep = [q * received // sold for q in quantities]
    order = sorted(range(len(quantities)), key=lambda i: (-(quantities[i] * received % sold), i))
    for i in order[: received - sum(keep)]:
        keep[i] += 1
    return [q - k for q, k in zip(quantities, keep, strict=True)]


@pytest.mark.django_db
def test_a_thirty_percent_shortfall_pro_rata_refunds_the_computed_units():
    presale, orders = sold_twenty_orders()
    PreSale.objects.filter(pk=presale.pk).update(shortfall_policy=PreSale.ShortfallPolicy.PRO_RATA)
    presale.refresh_from_db()
    preview = shortfall_plan(presale, 35)

    receive_harvest(presale, 35, actor=None)

    refunds = pro_rata_expected(QUANTITIES, 35)
    assert sum(refunds) == 15
    lines = [order.lines.get() for order in orders]
    expected = {line.pk: units for line, units in zip(lines, refunds, strict=True) if units}
    assert preview.refunds == expected
    assert refunded_by_line(presale) == expected
    kept = sum(QUANTITIES) - sum(refunds)
    assert kept == 35
    row = stock(presale)
    assert (row.on_hand, row.allocated) == (0, 0)
    assert ledger_balanced()


@pytest.mark.django_db(transaction=True)
def test_two_receipts_at_once_refund_each_line_once():
    presale, _orders = sold_twenty_orders()

    results = run_together(lambda: receive_harvest(PreSale.objects.get(pk=presale.pk), 35, actor=None), n=2)

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sum(r is None for r in results) == 1  # the second found the harvest in
    assert Refund.objects.count() == 5
    assert PreSaleRefund.objects.filter(refund__isnull=True).count() == 0
    assert sum(refunded_by_line(presale).values()) == 15
    assert ledger_balanced()


@pytest.mark.django_db
def test_the_harvest_is_refused_while_orders_are_taken_or_unpaid_orders_hold_units():
    presale = make_presale(10)
    buy(presale, 2)
    with pytest.raises(PreSaleError, match="still being taken"):
        receive_harvest(presale, 10, actor=None)
    buy(presale, 3, paid=False)
    close(presale)
    with pytest.raises(PreSaleError, match="held by unpaid orders"):
        receive_harvest(presale, 10, actor=None)
    presale.refresh_from_db()
    assert presale.status == PreSale.Status.OPEN
    with pytest.raises(PreSaleError, match="whole number"):
        receive_harvest(presale, -1, actor=None)


@pytest.mark.django_db
def test_a_lost_harvest_refunds_every_order():
    presale = make_presale(10)
    orders = [buy(presale, 2), buy(presale, 3)]
    receive_harvest(close(presale), 0, actor=None)
    assert [Order.objects.get(pk=o.pk).status for o in orders] == [OrderStatus.REFUNDED] * 2
    row = stock(presale)
    assert (row.on_hand, row.allocated) == (0, 0)
    assert ledger_balanced()


@pytest.mark.django_db
def test_latest_first_takes_the_last_needed_order_in_part():
    presale = make_presale(10)
    first, second, third = buy(presale, 4), buy(presale, 3), buy(presale, 3)

    plan = receive_harvest(close(presale), 5, actor=None)  # 5 short: the third whole, 2 of the second

    assert plan.refunds == {third.lines.get().pk: 3, second.lines.get().pk: 2}
    statuses = [Order.objects.get(pk=o.pk).status for o in (first, second, third)]
    assert statuses == [OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED]
    assert ledger_balanced()


@pytest.mark.django_db
def test_a_refund_wechat_pay_cannot_take_stays_pending_and_the_beat_asks_again_once(wechatpay_fake, settings, operator):
    """Against the local WeChat Pay fake over HTTP: down while the harvest is received, up again for the beat."""
    settings.WECHATPAY_NOTIFY_URL = UNREACHABLE_NOTIFY_URL  # the test posts the fake's notification itself
    presale = make_presale(planned=10)
    order = buy(presale, 3, paid=False)
    start(order)
    headers, body = paid_notification(wechatpay_fake, order)
    assert post(Client(), headers, body).status_code == 204
    process_provider_event(ProviderEvent.objects.get(type="TRANSACTION.SUCCESS").pk)
    close(presale)
    wechatpay_fake.down()

    receive_harvest(presale, 1, actor=operator)  # 2 of the 3 units go back

    assert pending_refunds(presale) == 1
    assert Refund.objects.get(order=order).status == Refund.Status.FAILED
    wechatpay_fake.up()
    assert refund_pending_presales() == 1
    assert refund_pending_presales() == 0  # asked once: now awaiting WeChat Pay's notification
    assert pending_refunds(presale) == 0
    asked = PreSaleRefund.objects.get(presale=presale).refund
    assert (asked.status, asked.amount) == (Refund.Status.PENDING, 2 * 6800)
    assert [item["quantity"] for item in asked.lines] == [2]
    assert Refund.objects.filter(order=order).count() == 2  # the failed one and the one asked again
