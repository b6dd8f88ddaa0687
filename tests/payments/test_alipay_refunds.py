"""Refunds of Alipay payments, end to end against the local fake over HTTP (the real ``python-alipay-sdk``):
asked with the refund row's key as ``out_request_no``, answered at once, completed once (aid-ledger debit, status,
restock), refused with Alipay's message, left pending when Alipay cannot be reached and settled by reconciliation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import StockMovement
from core.money import fen_to_yuan
from orders.aid.reconciliation import reconcile
from orders.models import AidLedgerEntry, Order, OrderStatus, ProviderEvent, Refund
from orders.payments import alipay
from orders.payments.alipay_services import request_alipay_refund
from orders.payments.services import PaymentError, reconcile_payments, refund_order
from orders.tasks import process_provider_event
from tests.fixtures.races import run_together
from tests.payments.helpers import placed_order
from tests.payments.test_alipay_provider import paid_notification, post

pytestmark = pytest.mark.django_db

REFUND = "alipay.trade.refund"


@pytest.fixture
def ali(alipay_fake, settings):
    settings.ALIPAY_NOTIFY_URL = "http://127.0.0.1:9/payments/alipay/notify/"  # the tests post notifications
    settings.ALIPAY_SELLER_ID = alipay_fake.seller_id
    return alipay_fake


def alipay_paid_order(fake, client, quantity: int = 2) -> Order:
    """An order of ``quantity`` units at 12.90, paid with Alipay (its notification applied)."""
    order = placed_order(quantity=quantity)
    assert post(client, paid_notification(fake, order)).content == b"success"
    process_provider_event(
        ProviderEvent.objects.get(type="TRADE_SUCCESS", payload__out_trade_no=f"{order.number}-A1").pk
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def refund_debits(order: Order) -> list[tuple[int, int]]:
    entries = AidLedgerEntry.objects.filter(order=order, kind=AidLedgerEntry.Kind.ORDER_REFUND).order_by("pk")
    return list(entries.values_list("amount", "quantity"))


def goods(order: Order) -> int:
    return sum(line.line_total for line in order.lines.all())


def refund_requests(fake) -> list:
    return [r for r in fake.requests if r.method == REFUND]


def age(refund: Refund) -> None:
    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=10))


# --- Asking Alipay ------------------------------------------------------------------------------------


def test_a_full_refund_succeeds_at_once_and_debits_the_aid_ledger_once(ali, client, operator):
    order = alipay_paid_order(ali, client)

    refund = refund_order(order, actor=operator, reason="顾客取消" * 100)

    sent = refund_requests(ali)[-1]
    assert sent.accepted
    assert sent.biz_content["out_request_no"] == refund.idempotency_key
    assert len(refund.idempotency_key) <= 64
    assert sent.biz_content["out_trade_no"] == f"{order.number}-A1"
    assert sent.biz_content["refund_amount"] == fen_to_yuan(order.total) == "37.80"  # goods and shipping, yuan
    assert len(sent.biz_content["refund_reason"]) == 256  # cut to Alipay's limit
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.REFUNDED)
    assert ali.trade(f"{order.number}-A1").status == "TRADE_CLOSED"
    assert refund_debits(order) == [(-goods(order), -2)]
    assert order.events.filter(to_status=OrderStatus.REFUNDED).count() == 1
    assert reconcile().balanced
    reconcile_payments()  # nothing pending: nothing more
    assert refund_debits(order) == [(-goods(order), -2)]


def test_a_partial_refund_of_chosen_lines_restocks_them_then_the_rest_and_the_ledger_agrees(ali, client, operator):
    order = alipay_paid_order(ali, client)
    line = order.lines.get()

    first = refund_order(order, actor=operator, reason="破损", lines={line.pk: 1}, restock=True)

    assert refund_requests(ali)[-1].biz_content["refund_amount"] == "12.90"
    order.refresh_from_db()
    assert (first.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.PARTIALLY_REFUNDED)
    assert StockMovement.objects.filter(kind="return", reference=order.number).count() == 1
    assert refund_debits(order) == [(-line.unit_price, -1)]
    assert reconcile().balanced

    rest = refund_order(order, actor=operator, reason="顾客取消")

    order.refresh_from_db()
    assert (rest.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.REFUNDED)
    assert rest.idempotency_key != first.idempotency_key
    assert refund_debits(order) == [(-line.unit_price, -1), (-line.unit_price, -1)]
    assert StockMovement.objects.filter(kind="return", reference=order.number).count() == 1  # the rest: no restock
    assert reconcile().balanced


def test_refunding_more_than_is_left_is_refused_before_alipay_is_asked(ali, client, operator):
    order = alipay_paid_order(ali, client)
    line = order.lines.get()

    with pytest.raises(PaymentError, match=r"can still be refunded|还可退款"):
        refund_order(order, actor=operator, reason="x", lines={line.pk: 3})
    refund_order(order, actor=operator, reason="破损", lines={line.pk: 1})
    with pytest.raises(PaymentError, match=r"can still be refunded|还可退款"):  # 1 unit left
        refund_order(order, actor=operator, reason="again", lines={line.pk: 2})

    assert len(refund_requests(ali)) == 1
    assert Refund.objects.count() == 1
    assert refund_requests(ali)[0].biz_content["refund_amount"] == "12.90"


def test_a_refund_alipay_refuses_is_failed_with_its_message_and_debits_nothing(ali, client, operator):
    order = alipay_paid_order(ali, client)
    ali.trade(f"{order.number}-A1").total_amount = "1.00"  # Alipay's record disagrees: it refuses the amount

    with pytest.raises(PaymentError, match="退款金额超限"):
        refund_order(order, actor=operator, reason="顾客取消")

    assert Refund.objects.get().status == Refund.Status.FAILED
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert refund_debits(order) == []
    assert reconcile().balanced


@pytest.mark.parametrize("failure", ["down", "broken"])
def test_alipay_unreachable_leaves_the_refund_pending_and_reconciliation_fails_one_alipay_never_got(
    ali, client, operator, failure
):
    order = alipay_paid_order(ali, client)
    getattr(ali, failure)()

    refund = refund_order(order, actor=operator, reason="顾客取消")

    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.PENDING, OrderStatus.PAID)
    assert refund_debits(order) == []
    with pytest.raises(PaymentError, match=r"can still be refunded|还可退款"):  # pending counts as given back
        refund_order(order, actor=operator, reason="again")

    ali.up()
    reconcile_payments()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING  # a few seconds old: left alone
    age(refund)
    reconcile_payments()

    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, order.status, order.needs_review) == (Refund.Status.FAILED, OrderStatus.PAID, True)
    assert refund.idempotency_key in order.events.latest("pk").note
    assert refund_debits(order) == []
    assert ali.trade(f"{order.number}-A1").refunds == {}
    assert reconcile().balanced
    again = refund_order(order, actor=operator, reason="再次退款")  # the operator can refund again
    assert again.status == Refund.Status.SUCCEEDED


def test_a_refund_alipay_made_but_whose_answer_was_lost_is_completed_by_reconciliation(ali, client, operator):
    order = alipay_paid_order(ali, client)
    ali.down()
    refund = refund_order(order, actor=operator, reason="顾客取消")
    assert refund.status == Refund.Status.PENDING
    ali.up()
    # Alipay did receive it: the very request (same out_request_no) reaches it; its answer never reached us.
    made = alipay.refund(
        out_trade_no=f"{order.number}-A1",
        out_request_no=refund.idempotency_key,
        refund_amount=fen_to_yuan(order.total),
        refund_reason="顾客取消",
    )
    assert made["fund_change"] == "Y"
    age(refund)

    reconcile_payments()

    refund.refresh_from_db()
    order.refresh_from_db()
    assert any(r.method == "alipay.trade.fastpay.refund.query" for r in ali.requests)
    assert (refund.status, order.status, order.needs_review) == (Refund.Status.SUCCEEDED, OrderStatus.REFUNDED, False)
    assert refund_debits(order) == [(-goods(order), -2)]
    reconcile_payments()
    assert refund_debits(order) == [(-goods(order), -2)]
    assert reconcile().balanced


def test_a_repeated_request_alipay_already_made_is_confirmed_by_its_query(ali, client, operator):
    """The same ``out_request_no`` again answers ``fund_change`` N: our refund is completed once Alipay's query
    confirms it (the process stopped after Alipay made it, before our row recorded it)."""
    order = alipay_paid_order(ali, client)
    key = "dexiu-refund-" + "0" * 32
    alipay.refund(
        out_trade_no=f"{order.number}-A1", out_request_no=key, refund_amount=fen_to_yuan(order.total), refund_reason="x"
    )
    refund = Refund.objects.create(
        order=order,
        payment=order.payments.get(),
        amount=order.total,
        lines=[{"line": order.lines.get().pk, "quantity": 2}],
        reason="顾客取消",
        idempotency_key=key,
        created_by=operator,
    )
    assert request_alipay_refund(order.payments.get(), refund) == Refund.Status.SUCCEEDED
    assert refund_requests(ali)[-1].biz_content["out_request_no"] == key
    assert ali.requests[-1].method == "alipay.trade.fastpay.refund.query"
    assert len(ali.trade(f"{order.number}-A1").refunds) == 1  # nothing moved twice


# --- Refunds asked together --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_refunds_of_the_whole_order_refund_it_once(ali, client, operator):
    order = alipay_paid_order(ali, client)

    results = run_together(lambda: refund_order(Order.objects.get(pk=order.pk), actor=operator, reason="退款"), n=10)

    made = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, PaymentError)]
    assert (len(made), len(refused)) == (1, 9), results
    assert made[0].status == Refund.Status.SUCCEEDED
    assert len(refund_requests(ali)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert refund_debits(order) == [(-goods(order), -2)]
    assert reconcile().balanced
