"""Refunds of WeChat Pay payments, end to end against the local fake over HTTP (the real ``wechatpayv3`` SDK both
ways): asked with the refund row's key as ``out_refund_no``, pending until WeChat's ``REFUND.*`` notification or
our query settles it, completed once (aid-ledger debit, status, restock), reconciled with the ledger."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import StockMovement
from orders.aid.reconciliation import reconcile
from orders.models import AidLedgerEntry, Order, OrderStatus, ProviderEvent, Refund
from orders.payments import wechatpay
from orders.payments.services import PaymentError, reconcile_payments, refund_order
from orders.payments.wechatpay import verified_notification
from orders.tasks import process_provider_event
from tests.fixtures.races import errors_in, run_together
from tests.payments.helpers import placed_order
from tests.payments.test_wechat_provider import UNREACHABLE_NOTIFY_URL, paid_notification, post, start

pytestmark = pytest.mark.django_db

REFUNDS_PATH = "/v3/refund/domestic/refunds"


@pytest.fixture
def wechat(wechatpay_fake, settings):
    settings.WECHATPAY_NOTIFY_URL = UNREACHABLE_NOTIFY_URL  # the tests post the fake's notifications themselves
    return wechatpay_fake


def wechat_paid_order(fake, quantity: int = 2) -> Order:
    """An order of ``quantity`` units at 12.90, paid with WeChat Pay (its notification applied)."""
    order = placed_order(quantity=quantity)
    start(order)
    headers, body = paid_notification(fake, order)
    assert post(Client(), headers, body).status_code == 204
    process_provider_event(ProviderEvent.objects.get(type="TRANSACTION.SUCCESS").pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def notify(fake, refund: Refund) -> int:
    """WeChat Pay's notification of the refund as it is now, posted to our notify view and processed."""
    headers, body = fake.refund_notification(refund.idempotency_key)
    assert post(Client(), headers, body).status_code == 204
    return process_provider_event(ProviderEvent.objects.get(event_id=json.loads(body)["id"]).pk)


def refund_debits(order: Order) -> list[tuple[int, int]]:
    entries = AidLedgerEntry.objects.filter(order=order, kind=AidLedgerEntry.Kind.ORDER_REFUND).order_by("pk")
    return list(entries.values_list("amount", "quantity"))


def goods(order: Order) -> int:
    """What the order's goods cost (the aid ledger's share; shipping is not aid)."""
    return sum(line.line_total for line in order.lines.all())


def refund_requests(fake) -> list:
    return [r for r in fake.requests if r.path == REFUNDS_PATH]


# --- Asking WeChat Pay ------------------------------------------------------------------------------


def test_a_full_refund_is_pending_until_wechats_notification_completes_it_once(wechat, operator):
    order = wechat_paid_order(wechat)

    refund = refund_order(order, actor=operator, reason="顾客取消")

    sent = refund_requests(wechat)[-1].body
    assert sent["out_refund_no"] == refund.idempotency_key
    assert sent["out_trade_no"] == f"{order.number}-W1"
    assert sent["amount"] == {"refund": order.total, "total": order.total, "currency": "CNY"}
    assert (sent["reason"], sent["notify_url"]) == ("顾客取消", UNREACHABLE_NOTIFY_URL)
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.PENDING, OrderStatus.PAID)
    assert refund_debits(order) == []

    assert wechat.refund_succeeds(refund.idempotency_key) == 0  # its delivery is lost; we post it
    assert notify(wechat, refund) is True

    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.REFUNDED)
    assert refund_debits(order) == [(-goods(order), -2)]
    assert notify(wechat, refund) is True  # WeChat's retry under a new id: applied already, nothing more
    assert refund_debits(order) == [(-goods(order), -2)]
    assert order.events.filter(to_status=OrderStatus.REFUNDED).count() == 1
    assert reconcile().balanced


def test_a_partial_refund_of_chosen_lines_returns_them_to_stock_and_the_ledger_agrees(wechat, operator):
    order = wechat_paid_order(wechat)
    line = order.lines.get()

    first = refund_order(order, actor=operator, reason="破损", lines={line.pk: 1}, restock=True)

    assert refund_requests(wechat)[-1].body["amount"]["refund"] == line.unit_price
    assert not StockMovement.objects.filter(kind="return").exists()  # nothing back before WeChat confirms
    wechat.refund_succeeds(first.idempotency_key)
    notify(wechat, first)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert StockMovement.objects.filter(kind="return", reference=order.number).count() == 1
    assert refund_debits(order) == [(-line.unit_price, -1)]
    assert reconcile().balanced

    rest = refund_order(order, actor=operator, reason="顾客取消")
    wechat.refund_succeeds(rest.idempotency_key)
    notify(wechat, rest)

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert refund_debits(order) == [(-line.unit_price, -1), (-line.unit_price, -1)]
    assert reconcile().balanced


def test_refunding_more_than_is_left_is_refused_before_wechat_is_asked(wechat, operator):
    order = wechat_paid_order(wechat)
    line = order.lines.get()

    with pytest.raises(PaymentError, match=r"can still be refunded|还可退款"):
        refund_order(order, actor=operator, reason="x", lines={line.pk: 3})
    refund_order(order, actor=operator, reason="顾客取消")  # pending: counts as given back
    with pytest.raises(PaymentError, match=r"can still be refunded|还可退款"):
        refund_order(order, actor=operator, reason="again")

    assert len(refund_requests(wechat)) == 1
    assert Refund.objects.count() == 1


def test_an_abnormal_refund_fails_debits_nothing_and_flags_the_order(wechat, operator):
    order = wechat_paid_order(wechat)
    refund = refund_order(order, actor=operator, reason="顾客取消")

    wechat.refund_fails(refund.idempotency_key)  # the payer's account was closed
    notify(wechat, refund)

    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, order.status, order.needs_review) == (Refund.Status.FAILED, OrderStatus.PAID, True)
    assert refund.idempotency_key in order.events.latest("pk").note
    assert refund_debits(order) == []
    assert reconcile().balanced
    # Asked again (a new out_refund_no), WeChat still counts the abnormal refund: refused with its message.
    with pytest.raises(PaymentError, match="申请退款金额超过订单可退金额"):
        refund_order(order, actor=operator, reason="再次退款")
    assert list(Refund.objects.values_list("status", flat=True)) == [Refund.Status.FAILED] * 2
    assert refund_debits(order) == []


def test_wechat_pay_down_fails_the_refund_with_a_clear_message_and_debits_nothing(wechat, operator):
    order = wechat_paid_order(wechat)
    wechat.down()

    with pytest.raises(PaymentError, match=r"WeChat Pay could not be reached|无法连接微信支付"):
        refund_order(order, actor=operator, reason="顾客取消")

    refund = Refund.objects.get()
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.FAILED, OrderStatus.PAID)
    assert refund_debits(order) == []


def test_a_refund_wechat_refuses_is_failed_with_its_message(wechat, operator):
    order = wechat_paid_order(wechat)
    wechat.transactions[f"{order.number}-W1"].total += 1  # WeChat's record disagrees: it refuses the amount

    with pytest.raises(PaymentError, match=r"amount\.total"):
        refund_order(order, actor=operator, reason="顾客取消")

    assert Refund.objects.get().status == Refund.Status.FAILED
    assert refund_debits(order) == []


# --- Notifications arriving together ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_refund_notification_complete_it_once(wechat, operator):
    order = wechat_paid_order(wechat)
    refund = refund_order(order, actor=operator, reason="顾客取消")
    wechat.refund_succeeds(refund.idempotency_key)
    headers, body = wechat.refund_notification(refund.idempotency_key)

    statuses = run_together(lambda: post(Client(), headers, body).status_code, n=10, timeout=60)

    assert statuses == [204] * 10
    assert ProviderEvent.objects.filter(type="REFUND.SUCCESS").count() == 1
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.REFUNDED)
    assert refund_debits(order) == [(-goods(order), -2)]


@pytest.mark.django_db(transaction=True)
def test_ten_refund_notifications_processed_together_complete_it_once(wechat, operator):
    """Distinct notification ids (WeChat retrying), so no replay guard: the order and refund row locks decide."""
    order = wechat_paid_order(wechat, quantity=3)
    line = order.lines.get()
    refund = refund_order(order, actor=operator, reason="破损", lines={line.pk: 2}, restock=True)
    wechat.refund_succeeds(refund.idempotency_key)
    pks = []
    for _ in range(10):
        headers, body = wechat.refund_notification(refund.idempotency_key)
        event = verified_notification(headers, body.decode())
        pks.append(
            ProviderEvent.objects.create(
                provider="wechat", event_id=event["id"], type=event["event_type"], payload=event
            ).pk
        )

    errors = errors_in(run_together(*[lambda pk=pk: process_provider_event(pk) for pk in pks], timeout=60))

    assert errors == []
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert refund_debits(order) == [(-2 * line.unit_price, -2)]
    assert StockMovement.objects.filter(kind="return", reference=order.number).count() == 1
    assert order.events.filter(to_status=OrderStatus.PARTIALLY_REFUNDED).count() == 1


# --- Reconciliation and refunds made elsewhere --------------------------------------------------------


def test_a_lost_refund_notification_is_found_by_reconciliation(wechat, operator):
    order = wechat_paid_order(wechat)
    refund = refund_order(order, actor=operator, reason="顾客取消")
    wechat.refund_succeeds(refund.idempotency_key)  # never reaches us

    reconcile_payments()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING  # a few seconds old: left to its notification

    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    reconcile_payments()

    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.REFUNDED)
    assert any(r.path == f"{REFUNDS_PATH}/{refund.idempotency_key}" for r in wechat.requests)
    assert refund_debits(order) == [(-goods(order), -2)]
    reconcile_payments()  # nothing pending any more: nothing more
    assert refund_debits(order) == [(-goods(order), -2)]
    assert reconcile().balanced


def test_a_refund_made_in_wechats_merchant_platform_is_recorded_without_an_author(wechat):
    order = wechat_paid_order(wechat)
    number = "1217752501201407033233368018"  # WeChat's merchant platform numbers its own refunds
    answer = wechatpay.refund(
        out_refund_no=number,
        out_trade_no=f"{order.number}-W1",
        amount={"refund": order.total, "total": order.total, "currency": "CNY"},
        notify_url=UNREACHABLE_NOTIFY_URL,
    )
    assert answer.data["status"] == "PROCESSING"
    wechat.refund_succeeds(number)

    headers, body = wechat.refund_notification(number)
    assert post(Client(), headers, body).status_code == 204
    process_provider_event(ProviderEvent.objects.get(type="REFUND.SUCCESS").pk)

    refund = Refund.objects.get()
    order.refresh_from_db()
    assert (refund.idempotency_key, refund.amount, refund.created_by) == (number, order.total, None)
    assert number in refund.reason
    assert (refund.status, order.status) == (Refund.Status.SUCCEEDED, OrderStatus.REFUNDED)
    assert refund_debits(order) == [(-goods(order), -2)]
    assert reconcile().balanced


def test_a_partial_refund_made_in_the_merchant_platform_debits_whole_units_and_flags_the_order(wechat):
    order = wechat_paid_order(wechat)
    line = order.lines.get()
    number = "1217752501201407033233368019"
    wechatpay.refund(
        out_refund_no=number,
        out_trade_no=f"{order.number}-W1",
        amount={"refund": line.unit_price + 100, "total": order.total, "currency": "CNY"},
        notify_url=UNREACHABLE_NOTIFY_URL,
    )
    wechat.refund_succeeds(number)

    headers, body = wechat.refund_notification(number)
    post(Client(), headers, body)
    process_provider_event(ProviderEvent.objects.get(type="REFUND.SUCCESS").pk)

    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.PARTIALLY_REFUNDED, True)
    assert refund_debits(order) == [(-line.unit_price, -1)]  # one whole unit; the rest counts as shipping
    assert reconcile().balanced


def test_a_refund_wechat_never_received_is_failed_by_reconciliation(wechat, operator):
    """The process stopped between writing the refund row and asking WeChat: the query finds nothing."""
    order = wechat_paid_order(wechat)
    refund = Refund.objects.create(
        order=order,
        payment=order.payments.get(),
        amount=order.total,
        lines=[{"line": order.lines.get().pk, "quantity": 2}],
        reason="顾客取消",
        idempotency_key="dexiu-refund-never-sent",
        created_by=operator,
        created_at=timezone.now() - timedelta(minutes=10),
    )

    reconcile_payments()

    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, order.status, order.needs_review) == (Refund.Status.FAILED, OrderStatus.PAID, True)
    assert refund_debits(order) == []


def test_the_operator_is_told_the_refund_was_sent_to_wechat_pay_and_awaits_its_confirmation(wechat, operator):
    order = wechat_paid_order(wechat)
    client = Client()
    client.force_login(operator)

    response = client.post(
        reverse("orders:refund", args=[order.pk]), {"scope": "whole", "reason": "顾客退货"}, follow=True
    )

    shown = [str(message) for message in response.context["messages"]]
    assert any("微信支付" in text and "Stripe" not in text for text in shown), shown  # the provider it went to
    assert Refund.objects.get().status == Refund.Status.PENDING
