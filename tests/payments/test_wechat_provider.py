"""WeChat Pay direct, end to end against the local fake over HTTP (the real ``wechatpayv3`` SDK both ways): the
checkout per device, the notify endpoint (verify, store first, process once), reconciliation and the pay page."""

import json
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
import requests
from django.test import Client
from django.utils import timezone

from core.money import format_fen
from orders.models import AidLedgerEntry, Order, OrderStatus, Payment, ProviderEvent
from orders.payments import expire_overdue_orders
from orders.payments.provider_events import process_pending_provider_events
from orders.payments.providers import Device, Flow, get_provider, providers_for
from orders.payments.services import reconcile_payments
from orders.payments.wechatpay import rfc3339, verified_notification
from orders.tasks import process_provider_event, sweep_provider_events
from tests.fixtures.races import errors_in, run_together
from tests.payments.helpers import placed_order
from tests.payments.test_providers import DESKTOP_CHROME, IPHONE_SAFARI, WECHAT_ANDROID

pytestmark = pytest.mark.django_db

NOTIFY_PATH = "/payments/wechat/notify/"
RETURN_URL = "https://shop.example.cn/orders/abc/pay/return/"
# Nothing listens there: the fake's own deliveries fail, and the tests post its notifications themselves.
UNREACHABLE_NOTIFY_URL = f"http://127.0.0.1:9{NOTIFY_PATH}"


@pytest.fixture
def wechat(wechatpay_fake, settings):
    settings.WECHATPAY_NOTIFY_URL = UNREACHABLE_NOTIFY_URL
    return wechatpay_fake


def start(order: Order, device: Device = Device.DESKTOP):
    return get_provider("wechat").start(order, device=device, return_url=RETURN_URL, client_ip="14.23.150.211")


def post(client: Client, headers: dict[str, str], body: bytes):
    headers = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    return client.post(NOTIFY_PATH, data=body, content_type="application/json", headers=headers)


def paid_notification(fake, order: Order):
    """The payer pays the order's current attempt; the signed notification WeChat Pay sends (not delivered)."""
    number = order.payments.get(provider="wechat", status="requires_payment_method").intent_id
    assert fake.pay(number) == 0  # the fake could not reach UNREACHABLE_NOTIFY_URL
    return fake.notification(number)


def paid_once(order: Order) -> None:
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1
    assert order.payments.filter(status=Payment.Status.SUCCEEDED).count() == 1
    assert AidLedgerEntry.objects.filter(order=order, kind="order_paid").count() == 1


# --- Starting a checkout ---------------------------------------------------------------------------


def test_a_desk_gets_the_native_qr_code_and_a_second_visit_reuses_the_attempt(wechat):
    order = placed_order()

    checkout = start(order)
    again = start(order)

    assert checkout.flow == Flow.QR
    assert checkout.qr.startswith("weixin://wxpay/bizpayurl?pr=") and again.qr == checkout.qr
    payment = Payment.objects.get(order=order)
    assert (payment.provider, payment.intent_id, payment.amount) == ("wechat", f"{order.number}-W1", order.total)
    sent = wechat.requests[-1]
    assert sent.path == "/v3/pay/transactions/native"
    assert sent.body["amount"] == {"total": order.total, "currency": "CNY"}
    assert sent.body["time_expire"] == rfc3339(order.expires_at) and sent.body["time_expire"].endswith("+08:00")
    assert sent.body["notify_url"] == UNREACHABLE_NOTIFY_URL
    assert order.number in sent.body["description"]


def test_a_phone_browser_gets_wechats_h5_page_which_comes_back_to_our_return_page(wechat):
    order = placed_order()

    checkout = start(order, Device.PHONE)
    start(order, Device.PHONE)

    assert checkout.flow == Flow.REDIRECT
    assert checkout.url.startswith(f"{wechat.url}/h5pay/wx")
    assert checkout.url.endswith("&redirect_url=" + quote(RETURN_URL, safe=""))
    page = requests.get(checkout.url, timeout=5).text
    assert "确认支付" in page and f'value="{RETURN_URL}"' in page
    assert Payment.objects.filter(order=order).count() == 1
    assert wechat.requests[-1].body["scene_info"]["payer_client_ip"] == "14.23.150.211"


def test_inside_wechat_the_qr_code_is_shown_for_want_of_an_openid(wechat):
    order = placed_order()
    assert providers_for(Device.WECHAT)[0].name == "wechat"
    assert start(order, Device.WECHAT).flow == Flow.QR


def test_moving_from_desk_to_phone_closes_the_qr_attempt_before_making_another(wechat):
    order = placed_order()
    start(order, Device.DESKTOP)

    start(order, Device.PHONE)

    assert wechat.transactions[f"{order.number}-W1"].trade_state == "CLOSED"
    assert list(order.payments.order_by("attempt").values_list("intent_id", "status")) == [
        (f"{order.number}-W1", "canceled"),
        (f"{order.number}-W2", "requires_payment_method"),
    ]


def test_an_attempt_paid_meanwhile_is_applied_instead_of_replaced(wechat, client):
    order = placed_order()
    start(order, Device.DESKTOP)
    paid_notification(wechat, order)  # paid, notification lost

    page = client.get(f"/orders/{order.token}/pay/?provider=wechat", HTTP_USER_AGENT=IPHONE_SAFARI)

    assert page.status_code == 302
    paid_once(order)
    assert order.payments.count() == 1


# --- Notifications ----------------------------------------------------------------------------------


def test_a_paid_notification_is_stored_first_then_pays_the_order_once(
    wechat, client, django_capture_on_commit_callbacks
):
    order = placed_order()
    start(order)
    headers, body = paid_notification(wechat, order)

    with django_capture_on_commit_callbacks() as queued:
        response = post(client, headers, body)

    assert response.status_code == 204
    event = ProviderEvent.objects.get()
    assert (event.provider, event.type, event.processed_at) == ("wechat", "TRANSACTION.SUCCESS", None)
    assert event.event_id == json.loads(body)["id"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT  # nothing applied before the commit
    assert len(queued) == 1

    assert process_provider_event(event.pk) is True
    paid_once(order)
    assert order.payments.get().method_type == "wechat_pay"
    assert process_provider_event(event.pk) is False  # processed already

    assert post(client, headers, body).status_code == 204  # a replay: answered, nothing more
    assert ProviderEvent.objects.count() == 1
    paid_once(order)


def test_wechats_own_delivery_reaches_the_notify_view_and_pays_the_order(wechatpay_fake, settings, live_server):
    """Real: the fake signs, encrypts and POSTs the notification over HTTP to the live notify view, which
    verifies it (the SDK), stores it and processes it (Celery runs eagerly in tests)."""
    settings.WECHATPAY_NOTIFY_URL = f"{live_server.url}{NOTIFY_PATH}"
    order = placed_order()
    number = start(order).payment.intent_id

    assert wechatpay_fake.pay(number) == 204

    paid_once(order)
    assert ProviderEvent.objects.get().processed_at is not None
    delivered = wechatpay_fake.deliveries[-1]
    assert wechatpay_fake.deliver(delivered.headers, delivered.body, delivered.url) == 204  # WeChat retries
    paid_once(order)


def test_a_notification_whose_task_was_lost_is_applied_by_the_sweeper(wechat, client):
    """The broker was down: the stored notification waits (unprocessed) until the beat's sweeper takes it."""
    order = placed_order()
    start(order)
    headers, body = paid_notification(wechat, order)
    assert post(client, headers, body).status_code == 204  # its on-commit task never runs in this test

    assert sweep_provider_events() == 0  # a few seconds old at most: left to its own task
    ProviderEvent.objects.update(received_at=timezone.now() - timedelta(minutes=1))
    assert sweep_provider_events() == 1

    paid_once(order)


@pytest.mark.parametrize("tamper", ["body", "forged", "stale", "serial"])
def test_tampered_forged_stale_and_unknown_serial_notifications_are_refused(wechat, client, tamper):
    order = placed_order()
    start(order)
    number = order.payments.get().intent_id
    wechat.pay(number)
    if tamper == "forged":
        wechat.forge_answers = True
    headers, body = wechat.notification(number, timestamp=int(time.time()) - 3600 if tamper == "stale" else None)
    if tamper == "body":
        body = body.replace("支付成功".encode(), "支付成功！".encode())
    if tamper == "serial":
        headers["Wechatpay-Serial"] = "PUB_KEY_ID_0114" + "9" * 28

    response = post(client, headers, body)

    assert response.status_code == 401
    assert response.json()["code"] == "FAIL"
    assert ProviderEvent.objects.count() == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert not [r for r in wechat.requests if r.path == "/v3/certificates"]  # refused before the SDK looks


def test_a_transaction_of_another_app_is_stored_but_pays_nothing(wechat, client):
    order = placed_order()
    start(order)
    number = order.payments.get().intent_id
    wechat.pay(number)
    wechat.appid = "wx0ther0app0000000"
    headers, body = wechat.notification(number)

    assert post(client, headers, body).status_code == 204
    process_pending_provider_events(older_than=0)

    assert ProviderEvent.objects.get().processed_at is not None
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.payments.get().status == Payment.Status.REQUIRES_PAYMENT_METHOD


def test_a_payment_for_an_expired_order_flags_it_for_review(wechat, client):
    order = placed_order()
    start(order)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_overdue_orders() == 1
    headers, body = paid_notification(wechat, order)

    assert post(client, headers, body).status_code == 204
    assert process_pending_provider_events(older_than=0) == 1

    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.EXPIRED, True)
    assert order.payments.get().status == Payment.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_notification_pay_the_order_once(wechat):
    order = placed_order(quantity=3)
    start(order)
    headers, body = paid_notification(wechat, order)

    statuses = run_together(lambda: post(Client(), headers, body).status_code, n=10, timeout=60)

    assert statuses == [204] * 10
    assert ProviderEvent.objects.count() == 1
    paid_once(order)


@pytest.mark.django_db(transaction=True)
def test_ten_notifications_of_one_payment_processed_together_pay_the_order_once(wechat):
    """Distinct notification ids (WeChat Pay retrying with new ids), so no replay guard: the order lock decides."""
    order = placed_order(quantity=3)
    start(order)
    number = order.payments.get().intent_id
    wechat.pay(number)
    pks = []
    for _ in range(10):
        headers, body = wechat.notification(number)
        event = json.loads(body)
        stored = ProviderEvent.objects.create(
            provider="wechat", event_id=event["id"], type=event["event_type"], payload=_decrypted(headers, body)
        )
        pks.append(stored.pk)

    errors = errors_in(run_together(*[lambda pk=pk: process_provider_event(pk) for pk in pks], timeout=60))

    assert errors == []
    paid_once(order)
    assert order.needs_review is False
    assert ProviderEvent.objects.filter(processed_at__isnull=False).count() == 10


def _decrypted(headers: dict[str, str], body: bytes) -> dict:
    event = verified_notification(headers, body.decode())
    assert event is not None
    return event


# --- Reconciliation ---------------------------------------------------------------------------------


def test_a_lost_notification_is_found_by_reconciliation(wechat):
    order = placed_order()
    start(order)
    paid_notification(wechat, order)  # never reaches us

    assert reconcile_payments() == 1

    paid_once(order)
    assert any(r.path.startswith(f"/v3/pay/transactions/out-trade-no/{order.number}-W1?") for r in wechat.requests)
    assert reconcile_payments() == 0  # nothing left open


def test_reconciliation_closes_the_open_attempt_of_an_expired_order(wechat):
    order = placed_order()
    start(order)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_overdue_orders()

    reconcile_payments()

    assert wechat.transactions[f"{order.number}-W1"].trade_state == "CLOSED"
    assert order.payments.get().status == Payment.Status.CANCELED


# --- The pay page -----------------------------------------------------------------------------------


def test_the_pay_page_on_a_desk_shows_the_qr_code_and_the_amount(wechat, client):
    order = placed_order()

    page = client.get(f"/orders/{order.token}/pay/", HTTP_USER_AGENT=DESKTOP_CHROME)

    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["checkout"].flow == Flow.QR
    assert '<svg role="img"' in html and 'class="pay__qr-code"' in html
    assert format_fen(order.total) in html.split('class="pay__qr"')[1]
    assert "<script>" not in html  # CSP: no inline script


def test_inside_wechat_the_pay_page_lists_wechat_pay_first(wechat, client):
    order = placed_order()

    page = client.get(f"/orders/{order.token}/pay/", HTTP_USER_AGENT=WECHAT_ANDROID)

    html = page.content.decode()
    providers = html.split('class="pay__providers"')[1].split("</nav>")[0]
    items = providers.split("<li>")[1:]
    assert len(items) == 2 and "微信支付" in items[0] and 'aria-current="true"' in items[0]
    assert page.context["chosen"].name == "wechat"
    assert page.context["checkout"].flow == Flow.QR  # long-pressed inside WeChat


def test_a_phone_browser_gets_one_button_to_wechats_page(wechat, client):
    order = placed_order()

    page = client.get(f"/orders/{order.token}/pay/", HTTP_USER_AGENT=IPHONE_SAFARI)

    checkout = page.context["checkout"]
    assert checkout.flow == Flow.REDIRECT
    assert f'href="{checkout.url.replace("&", "&amp;")}"' in page.content.decode()


def test_wechat_pay_down_sends_the_shopper_back_with_a_message_and_makes_no_payment(wechat, client):
    order = placed_order()
    wechat.down()

    page = client.get(f"/orders/{order.token}/pay/", HTTP_USER_AGENT=DESKTOP_CHROME, follow=True)

    assert page.redirect_chain[0][0] == f"/orders/{order.token}/"
    assert Payment.objects.count() == 0
