"""Split settlement through WeChat Pay profit sharing, end to end against the local fake over HTTP (the real
``wechatpayv3`` SDK both ways): a WeChat Pay payment is shared after its refund window, one share per merchant
(its lines less refunds), each requested once, finished after WeChat's query says so, then the platform's
remainder unfrozen; refusals fail and flag, outages are retried, and two workers never request one share twice."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import tasks
from orders.models import Order, OrderStatus, Payment, ProfitShare, ProviderEvent, Refund
from orders.payments import profit_sharing, wechatpay
from orders.payments.profit_sharing import add_receiver, due_profit_shares, process_due_shares, share_profits
from orders.payments.services import refund_order
from orders.tasks import process_provider_event
from tests import factories
from tests.fixtures.races import errors_in, run_together
from tests.fixtures.wechatpay import profit_sharing as book_of
from tests.fixtures.wechatpay import profit_sharing_finishes
from tests.orders.helpers import cart_with, checkout, stocked_variant
from tests.payments.test_wechat_provider import UNREACHABLE_NOTIFY_URL, paid_notification, post, start

pytestmark = pytest.mark.django_db

ORDERS_PATH = "/v3/profitsharing/orders"
UNFREEZE_PATH = "/v3/profitsharing/orders/unfreeze"
LATER = timedelta(minutes=10)  # past the wait before a requested share is queried


@pytest.fixture
def wechat(wechatpay_fake, settings):
    settings.WECHATPAY_NOTIFY_URL = UNREACHABLE_NOTIFY_URL  # the tests post the fake's notifications themselves
    settings.PROFIT_SHARING_ENABLED = True
    settings.PROFIT_SHARING_AFTER_DAYS = 7
    return wechatpay_fake


@pytest.fixture
def sharing(wechat):
    """Profit sharing on: transactions are placed as shareable (``settle_info.profit_sharing``)."""
    return wechat


def merchants_with_receivers(fake):
    """Two cooperatives with WeChat Pay merchant numbers, added as receivers."""
    oil = factories.make_merchant("红安油茶合作社", wechatpay_merchant_id="1900000101")
    orange = factories.make_merchant("隘口脐橙合作社", wechatpay_merchant_id="1900000102")
    for merchant in (oil, orange):
        add_receiver(merchant, legal_name=f"秀山县{merchant.name}")
    assert set(book_of(fake).receivers) == {"1900000101", "1900000102"}
    return oil, orange


def paid_order_of_two(fake, oil, orange) -> Order:
    """2 x 12.90 of oil and 1 x 25.00 of oranges from one warehouse, paid with WeChat Pay (notification applied)."""
    warehouse = factories.make_location(kind="warehouse")
    order = checkout(
        cart_with(
            (stocked_variant((warehouse, 10), price=1290, merchant=oil), 2),
            (stocked_variant((warehouse, 10), price=2500, merchant=orange), 1),
        )
    )
    start(order)
    headers, body = paid_notification(fake, order)
    assert post(Client(), headers, body).status_code == 204
    process_provider_event(ProviderEvent.objects.filter(type="TRANSACTION.SUCCESS").latest("pk").pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def age(order: Order, days: int = 8) -> None:
    """The order's payment succeeded ``days`` ago."""
    Payment.objects.filter(order=order).update(succeeded_at=timezone.now() - timedelta(days=days))


def refund_one(fake, order: Order, line, operator) -> Refund:
    refund = refund_order(order, actor=operator, reason="破损", lines={line.pk: 1})
    fake.refund_succeeds(refund.idempotency_key)
    headers, body = fake.refund_notification(refund.idempotency_key)
    assert post(Client(), headers, body).status_code == 204
    process_provider_event(ProviderEvent.objects.filter(type="REFUND.SUCCESS").latest("pk").pk)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    return refund


def posted(fake, path: str = ORDERS_PATH) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == path and r.status == 200]


def shares_of(order: Order) -> dict:
    return {share.merchant_id: share for share in ProfitShare.objects.filter(order=order)}


# --- Sharing a payment ------------------------------------------------------------------------------


def test_two_merchants_are_paid_their_lines_less_a_refund_once_each_then_the_rest_is_unfrozen(sharing, operator):
    oil, orange = merchants_with_receivers(sharing)
    order = paid_order_of_two(sharing, oil, orange)
    oil_line = order.lines.get(merchant=oil)
    refund_one(sharing, order, oil_line, operator)
    age(order)

    assert tasks.share_profits.delay().get() == 2

    shares = shares_of(order)
    assert {m: (s.amount, s.state) for m, s in shares.items()} == {
        oil.pk: (1290, ProfitShare.State.REQUESTED),
        orange.pk: (2500, ProfitShare.State.REQUESTED),
        None: (order.total - 1290 - 1290 - 2500, ProfitShare.State.PENDING),  # shipping: the platform's
    }
    sent = {r.body["out_order_no"]: r.body for r in posted(sharing)}
    number = f"{order.number}-W1"
    receivers = {n: body["receivers"] for n, body in sent.items()}
    assert receivers == {
        f"{number}-S{oil.pk}": [
            {
                "type": "MERCHANT_ID",
                "account": "1900000101",
                "amount": 1290,
                "description": f"德秀集市订单 {order.number}",
            }
        ],
        f"{number}-S{orange.pk}": [
            {
                "type": "MERCHANT_ID",
                "account": "1900000102",
                "amount": 2500,
                "description": f"德秀集市订单 {order.number}",
            }
        ],
    }
    assert all(body["unfreeze_unsplit"] is False for body in sent.values())
    assert not posted(sharing, UNFREEZE_PATH)  # the rest waits for the merchants' shares

    for share in (shares[oil.pk], shares[orange.pk]):
        profit_sharing_finishes(sharing, share.out_order_no)
    process_due_shares(now=timezone.now() + LATER)  # queried: finished; then the remainder is unfrozen
    remainder = ProfitShare.objects.get(order=order, merchant=None)
    assert remainder.state == ProfitShare.State.REQUESTED
    assert posted(sharing, UNFREEZE_PATH)[0].body["out_order_no"] == f"{number}-U"
    profit_sharing_finishes(sharing, remainder.out_order_no)
    process_due_shares(now=timezone.now() + 2 * LATER)
    share_profits()  # nothing more due: nothing asked again

    states = {m: (s.state, s.result) for m, s in shares_of(order).items()}
    assert set(states.values()) == {(ProfitShare.State.FINISHED, "SUCCESS")}
    assert len(posted(sharing)) == 2 and len(posted(sharing, UNFREEZE_PATH)) == 1
    assert all(s.order_id_at_provider and s.transaction_id for s in shares_of(order).values())


def test_nothing_is_shared_within_the_refund_window_or_when_profit_sharing_is_off(sharing, settings):
    oil, orange = merchants_with_receivers(sharing)
    order = paid_order_of_two(sharing, oil, orange)
    age(order, days=6)

    assert share_profits() == 0
    assert due_profit_shares() == []

    age(order, days=8)
    settings.PROFIT_SHARING_ENABLED = False
    assert share_profits() == 0
    assert not ProfitShare.objects.exists()
    assert not [r for r in sharing.requests if r.path.startswith("/v3/profitsharing/orders")]


def test_a_refused_request_fails_with_wechats_message_and_flags_the_order(wechat, settings):
    """A transaction paid before profit sharing was switched on was placed without ``settle_info.profit_sharing``
    and cannot be shared: WeChat Pay refuses it."""
    oil, orange = merchants_with_receivers(wechat)
    settings.PROFIT_SHARING_ENABLED = False
    order = paid_order_of_two(wechat, oil, orange)
    settings.PROFIT_SHARING_ENABLED = True
    age(order)

    share_profits()

    shares = shares_of(order)
    failed = [shares[oil.pk], shares[orange.pk]]
    assert {(s.state, s.last_error) for s in failed} == {
        (ProfitShare.State.FAILED, "INVALID_REQUEST: 非分账订单不支持分账")
    }
    assert shares[None].state == ProfitShare.State.PENDING  # never unfrozen while a merchant's share failed
    order.refresh_from_db()
    assert order.needs_review
    assert order.events.filter(note__contains="非分账订单不支持分账").count() == 2
    share_profits()  # a failed share is not asked again by itself
    assert len(posted(wechat)) == 0 and len([r for r in wechat.requests if r.path == ORDERS_PATH]) == 2


def test_a_merchant_without_a_wechat_pay_number_is_failed_for_an_operator_and_can_be_retried(sharing, operator):
    oil, orange = merchants_with_receivers(sharing)
    order = paid_order_of_two(sharing, oil, orange)
    oil.wechatpay_merchant_id = None
    oil.save()
    age(order)

    share_profits()
    share = shares_of(order)[oil.pk]
    assert share.state == ProfitShare.State.FAILED and "微信支付商户号" in share.last_error

    oil.wechatpay_merchant_id = "1900000101"
    oil.save()
    assert profit_sharing.retry_profit_share(share, actor=operator) is True
    share_profits()
    share.refresh_from_db()
    assert (share.state, share.account, share.retried_by) == (ProfitShare.State.REQUESTED, "1900000101", operator)


def test_wechat_pay_down_or_failing_is_tried_again_later_and_nothing_is_lost(sharing):
    oil, orange = merchants_with_receivers(sharing)
    order = paid_order_of_two(sharing, oil, orange)
    age(order)
    sharing.down()

    share_profits()

    merchant_shares = ProfitShare.objects.filter(order=order, merchant__isnull=False)
    assert {(s.state, s.attempts) for s in merchant_shares} == {(ProfitShare.State.PENDING, 1)}
    assert all(s.last_error and s.next_try_at > timezone.now() for s in merchant_shares)
    assert share_profits() == 0  # not due again yet

    sharing.up()
    sharing.broken()  # back, but answering 500 SYSTEM_ERROR
    process_due_shares(now=timezone.now() + LATER)
    assert {s.state for s in merchant_shares.all()} == {ProfitShare.State.PENDING}

    sharing.up()
    process_due_shares(now=timezone.now() + 3 * LATER)
    assert {s.state for s in merchant_shares.all()} == {ProfitShare.State.REQUESTED}
    for share in merchant_shares:
        profit_sharing_finishes(sharing, share.out_order_no)
    process_due_shares(now=timezone.now() + 4 * LATER)
    assert {s.state for s in merchant_shares.all()} == {ProfitShare.State.FINISHED}
    assert sorted(r.body["receivers"][0]["amount"] for r in posted(sharing)) == [2500, 2580]


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_request_the_same_share_twice(sharing):
    oil, orange = merchants_with_receivers(sharing)
    orders = [paid_order_of_two(sharing, oil, orange) for _ in range(3)]
    for order in orders:
        age(order)
    assert len(due_profit_shares()) == 9  # 3 x (two merchants and the remainder)

    results = run_together(process_due_shares, n=4)

    assert errors_in(results) == []
    numbers = [r.body["out_order_no"] for r in sharing.requests if r.method == "POST" and r.path == ORDERS_PATH]
    assert len(numbers) == 6 and len(set(numbers)) == 6
    assert sum(results) == 6
    assert set(ProfitShare.objects.filter(merchant__isnull=False).values_list("state", "attempts")) == {
        (ProfitShare.State.REQUESTED, 1)
    }


# --- Statements --------------------------------------------------------------------------------------


def test_a_statement_shows_each_wechat_paid_orders_profit_share_and_what_wechat_pay_paid(client, sharing, operator):
    oil, orange = merchants_with_receivers(sharing)
    order = paid_order_of_two(sharing, oil, orange)
    age(order)
    share_profits()
    share = shares_of(order)[oil.pk]
    profit_sharing_finishes(sharing, share.out_order_no)
    process_due_shares(now=timezone.now() + LATER)
    client.force_login(operator)
    today = timezone.localdate()
    query = {"merchant": oil.pk, "date_from": str(today - timedelta(days=30)), "date_to": str(today)}

    page = client.get(reverse("aid:statement"), query).content.decode()
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("aid:statement"), {**query, "export": "csv"}).content.decode("utf-8-sig"))
        )
    )

    assert f'data-profit-share="{share.out_order_no}"' in page
    assert 'data-total="shared">¥25.80<' in page
    entry_rows = [row for row in rows if share.out_order_no in row]
    state_column = entry_rows[0].index(share.out_order_no) + 1 if entry_rows else 0  # the share's state follows
    assert entry_rows and entry_rows[0][state_column] == str(ProfitShare.State.FINISHED.label)
    assert next(row for row in rows if row and row[0] == "已由微信支付分账支付（元）")[1] == "25.80"


# --- The fake keeps WeChat's rules ---------------------------------------------------------------------


def test_the_fake_refuses_more_than_the_unsplit_amount_answers_a_repeat_alike_and_404s_an_unknown_transaction(
    sharing,
):
    oil, orange = merchants_with_receivers(sharing)
    order = paid_order_of_two(sharing, oil, orange)
    transaction_id = wechatpay.query(f"{order.number}-W1").data["transaction_id"]

    def share(number: str, amount: int, transaction: str = transaction_id):
        receiver = {"type": "MERCHANT_ID", "account": "1900000101", "amount": amount, "description": "分给合作社"}
        return wechatpay.call(
            "profitsharing_order",
            transaction_id=transaction,
            out_order_no=number,
            receivers=[receiver],
            unfreeze_unsplit=False,
        )

    too_much = share("test-share-1", order.total + 1)
    first, again = share("test-share-2", 1000), share("test-share-2", 1000)
    rest = share("test-share-3", order.total - 1000 + 1)
    unknown = share("test-share-4", 100, transaction="4200000000000000000000000000")
    queried = wechatpay.call("profitsharing_order_query", transaction_id=transaction_id, out_order_no="test-share-2")

    assert (too_much.status, too_much.code) == (400, "NOT_ENOUGH")
    assert first.ok and first.data == again.data and first.data["state"] == "PROCESSING"
    assert first.data["receivers"][0]["result"] == "PENDING"
    assert (rest.status, rest.code) == (400, "NOT_ENOUGH")  # only the total less the first share is left
    assert (unknown.status, unknown.code) == (404, "RESOURCE_NOT_EXISTS")
    assert queried.data["order_id"] == first.data["order_id"]
