"""Alipay direct, end to end against the local fake over HTTP (the real ``python-alipay-sdk`` both ways): the
checkout per device, the notify endpoint (verify, store first, process once), reconciliation, the return page
and the pay page."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from django.test import Client
from django.utils import timezone, translation

from orders.models import AidLedgerEntry, Order, OrderStatus, Payment, ProviderEvent
from orders.payments import expire_overdue_orders
from orders.payments.alipay import beijing, pem
from orders.payments.provider_events import process_pending_provider_events
from orders.payments.providers import Device, Flow, get_provider, providers_for
from orders.payments.services import reconcile_payments
from orders.tasks import process_provider_event
from tests.fixtures.alipay import TIME_FORMAT, content_to_sign, new_key, now
from tests.fixtures.races import run_together
from tests.payments.helpers import placed_order
from tests.payments.test_providers import DESKTOP_CHROME, IPHONE_SAFARI, WECHAT_ANDROID

pytestmark = pytest.mark.django_db

NOTIFY_PATH = "/payments/alipay/notify/"
RETURN_URL = "https://shop.example.cn/orders/abc/pay/return/"
# Nothing listens there: the fake's own deliveries fail, and the tests post its notifications themselves.
UNREACHABLE_NOTIFY_URL = f"http://127.0.0.1:9{NOTIFY_PATH}"


@pytest.fixture
def ali(alipay_fake, settings):
    settings.ALIPAY_NOTIFY_URL = UNREACHABLE_NOTIFY_URL
    settings.ALIPAY_SELLER_ID = alipay_fake.seller_id
    return alipay_fake


def start(order: Order, device: Device = Device.DESKTOP):
    return get_provider("alipay").start(order, device=device, return_url=RETURN_URL)


def open_cashier(url: str) -> str:
    """The shopper's browser follows the pay URL to the fake's cashier; the cashier page's text."""
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "/cashier/" in page.url, page.text
    return page.text


def paid_notification(fake, order: Order) -> dict[str, str]:
    """The shopper opens the cashier and pays; the signed notification Alipay sends (its delivery failed)."""
    checkout = start(order)
    open_cashier(checkout.url)
    assert fake.pay(checkout.payment.intent_id).status == 0  # nothing at UNREACHABLE_NOTIFY_URL
    return fake.notification(checkout.payment.intent_id)


def post(client: Client, form: dict[str, str]):
    return client.post(NOTIFY_PATH, data=urlencode(form), content_type="application/x-www-form-urlencoded")


def paid_once(order: Order) -> None:
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1
    assert order.payments.filter(status=Payment.Status.SUCCEEDED).count() == 1
    assert AidLedgerEntry.objects.filter(order=order, kind="order_paid").count() == 1


def unpaid(order: Order) -> None:
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert not order.payments.filter(status=Payment.Status.SUCCEEDED).exists()
    assert not AidLedgerEntry.objects.filter(order=order, kind="order_paid").exists()


# --- Settings ---------------------------------------------------------------------------------------


def test_keys_pasted_as_bare_base64_from_alipays_console_work_like_pem(ali, settings):
    def bare(text: str) -> str:
        return "".join(line for line in text.splitlines() if not line.startswith("-----"))

    settings.ALIPAY_APP_PRIVATE_KEY = bare(settings.ALIPAY_APP_PRIVATE_KEY)
    settings.ALIPAY_PUBLIC_KEY = bare(settings.ALIPAY_PUBLIC_KEY)
    assert pem(settings.ALIPAY_PUBLIC_KEY, "PUBLIC KEY").startswith("-----BEGIN PUBLIC KEY-----\n")
    order = placed_order()

    assert "确认付款" in open_cashier(start(order).url)  # the fake checked our signature with the app's key
    assert ali.requests[-1].accepted


def test_alipay_is_offered_only_with_its_settings_complete(ali, settings):
    assert "alipay" in [p.name for p in providers_for(Device.DESKTOP)]
    settings.ALIPAY_NOTIFY_URL = ""
    settings.WAGTAILADMIN_BASE_URL = "http://shop.example.cn"  # not https: no notify address to derive
    assert get_provider("alipay") is None
    settings.WAGTAILADMIN_BASE_URL = "https://shop.example.cn"
    assert get_provider("alipay") is not None


# --- Starting a checkout ---------------------------------------------------------------------------


def test_a_desk_gets_page_pay_which_the_cashier_accepts_and_a_second_visit_reuses_the_attempt(ali):
    order = placed_order()

    checkout = start(order)
    page = open_cashier(checkout.url)
    again = start(order)

    assert checkout.flow == Flow.REDIRECT
    params = dict(parse_qsl(urlsplit(checkout.url).query))
    assert checkout.url.startswith(ali.gateway + "?") and params["method"] == "alipay.trade.page.pay"
    assert (params["notify_url"], params["return_url"]) == (UNREACHABLE_NOTIFY_URL, RETURN_URL)
    number = f"{order.number}-A1"
    assert "支付宝 收银台" in page and number in page and "确认付款" in page
    trade = ali.trade(number)
    assert trade.total_amount == f"{order.total // 100}.{order.total % 100:02d}"
    [opened] = [r for r in ali.requests if r.method == "alipay.trade.page.pay"]
    assert opened.biz_content["time_expire"] == beijing(order.expires_at)
    assert order.number in trade.subject
    payment = Payment.objects.get(order=order)
    assert (payment.provider, payment.intent_id, payment.amount, payment.method_type) == (
        "alipay",
        number,
        order.total,
        "page",
    )
    assert again.payment == payment
    assert "确认付款" in open_cashier(again.url)  # the same trade, opened again
    assert len(ali.trades) == 1


def test_a_phone_browser_gets_wap_pay_and_alipay_first(ali, wechatpay_fake, settings):
    settings.WECHATPAY_NOTIFY_URL = "https://shop.example.cn/payments/wechat/notify/"
    order = placed_order()

    checkout = start(order, Device.PHONE)

    assert [p.name for p in providers_for(Device.PHONE)][:2] == ["alipay", "wechat"]
    assert dict(parse_qsl(urlsplit(checkout.url).query))["method"] == "alipay.trade.wap.pay"
    assert "确认付款" in open_cashier(checkout.url)
    assert [r.biz_content["product_code"] for r in ali.requests if r.method == "alipay.trade.wap.pay"] == [
        "QUICK_WAP_PAY"
    ]


def test_inside_wechat_alipay_is_not_offered(ali):
    assert "alipay" not in [p.name for p in providers_for(Device.WECHAT)]
    assert get_provider("alipay").rank(Device.WECHAT) is None


def test_moving_from_desk_to_phone_closes_the_page_attempt_before_making_another(ali):
    order = placed_order()
    open_cashier(start(order).url)

    open_cashier(start(order, Device.PHONE).url)

    assert ali.trade(f"{order.number}-A1").status == "TRADE_CLOSED"
    assert list(order.payments.order_by("attempt").values_list("intent_id", "status")) == [
        (f"{order.number}-A1", "canceled"),
        (f"{order.number}-A2", "requires_payment_method"),
    ]


def test_an_attempt_paid_meanwhile_is_applied_instead_of_offered_again(ali, client):
    order = placed_order()
    paid_notification(ali, order)  # paid, notification lost

    page = client.get(f"/orders/{order.token}/pay/?provider=alipay", HTTP_USER_AGENT=DESKTOP_CHROME)

    assert page.status_code == 302
    paid_once(order)
    assert order.payments.count() == 1


# --- Notifications ----------------------------------------------------------------------------------


def test_a_paid_notification_is_stored_first_then_pays_the_order_once(ali, client, django_capture_on_commit_callbacks):
    order = placed_order()
    form = paid_notification(ali, order)

    with django_capture_on_commit_callbacks() as queued:
        response = post(client, form)

    assert (response.status_code, response.content) == (200, b"success")
    event = ProviderEvent.objects.get()
    assert (event.provider, event.type, event.event_id, event.processed_at) == (
        "alipay",
        "TRADE_SUCCESS",
        form["notify_id"],
        None,
    )
    unpaid(order)  # nothing applied before the commit
    assert len(queued) == 1

    assert process_provider_event(event.pk) is True
    paid_once(order)
    assert order.payments.get().method_type == "alipay"

    replay = post(client, form)  # a replay: answered, nothing more
    assert (replay.status_code, replay.content) == (200, b"success")
    assert ProviderEvent.objects.count() == 1
    paid_once(order)


def test_alipays_own_delivery_and_retry_reach_the_notify_view_and_pay_the_order(ali, settings, live_server):
    """Real: the shopper's browser opens the cashier and presses 确认付款; the fake POSTs the signed notification
    over HTTP to the live notify view, which verifies, stores and processes it (Celery runs eagerly in tests)."""
    settings.ALIPAY_NOTIFY_URL = f"{live_server.url}{NOTIFY_PATH}"
    order = placed_order()
    open_cashier(start(order).url)
    cashier = ali.cashier_url(f"{order.number}-A1")

    back = requests.post(f"{cashier}/pay", timeout=10, allow_redirects=False)

    assert back.status_code == 302 and back.headers["Location"].startswith(RETURN_URL + "?")
    assert ali.deliveries[-1].acknowledged  # 200 and exactly "success"
    paid_once(order)
    assert ali.deliver(
        ali.notification(f"{order.number}-A1", notify_id=ali.deliveries[-1].form["notify_id"])
    ).acknowledged
    assert ProviderEvent.objects.count() == 1
    paid_once(order)


@pytest.mark.parametrize("tamper", ["amount", "forged", "app_id", "seller_id", "stale", "sign_type", "malformed"])
def test_tampered_forged_foreign_and_stale_notifications_are_refused_and_not_stored(ali, client, tamper):
    order = placed_order()
    form = paid_notification(ali, order)
    number = form["out_trade_no"]
    if tamper == "amount":
        form["total_amount"] = "0.01"
    elif tamper == "forged":  # signed with another key than Alipay's
        ali.alipay_key, real = new_key(), ali.alipay_key
        form = ali.notification(number)
        ali.alipay_key = real
    elif tamper == "app_id":  # genuinely signed by Alipay, for another app
        form = ali.notification(number, app_id="2021000000000001", auth_app_id="2021000000000001")
    elif tamper == "seller_id":
        form = ali.notification(number, seller_id="2088000000000001")
    elif tamper == "stale":
        form = ali.notification(number, notify_time=(now() - timedelta(hours=27)).strftime(TIME_FORMAT))
    elif tamper == "sign_type":
        form["sign_type"] = "RSA"
    else:
        form = ali.notification(number, notify_time="yesterday")

    response = post(client, form)

    assert response.status_code in (400, 401) and response.content == b"failure"
    assert ProviderEvent.objects.count() == 0
    process_pending_provider_events(older_than=0)
    unpaid(order)


def test_a_notification_from_a_day_ago_is_still_accepted(ali, client):
    """Alipay retries for about 25 hours: a day-old notify_time is within the window."""
    order = placed_order()
    paid_notification(ali, order)
    form = ali.notification(f"{order.number}-A1", notify_time=(now() - timedelta(hours=24)).strftime(TIME_FORMAT))

    assert post(client, form).content == b"success"
    process_pending_provider_events(older_than=0)
    paid_once(order)


def test_other_statuses_and_unknown_trades_are_stored_and_pay_nothing(ali, client):
    order = placed_order()
    checkout = start(order)
    open_cashier(checkout.url)
    waiting = ali.notification(checkout.payment.intent_id)  # WAIT_BUYER_PAY
    ali.pay(checkout.payment.intent_id)
    stranger = ali.notification(checkout.payment.intent_id) | {"out_trade_no": "DX-NOT-OURS-A1"}
    stranger["sign"] = ali.sign(content_to_sign(stranger, leave_out=("sign", "sign_type")))  # Alipay's own

    assert post(client, waiting).content == b"success"
    assert post(client, stranger).content == b"success"
    assert process_pending_provider_events(older_than=0) == 2

    assert sorted(ProviderEvent.objects.filter(processed_at__isnull=False).values_list("type", flat=True)) == [
        "TRADE_SUCCESS",
        "WAIT_BUYER_PAY",
    ]
    unpaid(order)
    assert order.payments.count() == 1


def test_a_payment_for_an_expired_order_flags_it_for_review(ali, client):
    order = placed_order()
    checkout = start(order)
    open_cashier(checkout.url)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_overdue_orders() == 1
    ali.pay(checkout.payment.intent_id)

    assert post(client, ali.notification(checkout.payment.intent_id)).content == b"success"
    assert process_pending_provider_events(older_than=0) == 1

    order.refresh_from_db()
    assert (order.status, order.needs_review) == (OrderStatus.EXPIRED, True)
    assert order.payments.get().status == Payment.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_notification_pay_the_order_once(ali):
    order = placed_order(quantity=3)
    form = paid_notification(ali, order)

    answers = run_together(lambda: post(Client(), form).content, n=10, timeout=60)

    assert answers == [b"success"] * 10
    assert ProviderEvent.objects.count() == 1
    paid_once(order)


# --- Reconciliation ---------------------------------------------------------------------------------


def test_a_lost_notification_is_found_by_reconciliation(ali):
    order = placed_order()
    paid_notification(ali, order)  # never reaches us

    assert reconcile_payments() == 1

    paid_once(order)
    assert ali.requests[-1].method == "alipay.trade.query"
    assert reconcile_payments() == 0  # nothing left open


def test_reconciliation_closes_the_open_attempt_of_an_expired_order(ali):
    order = placed_order()
    open_cashier(start(order).url)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_overdue_orders()

    reconcile_payments()

    assert ali.trade(f"{order.number}-A1").status == "TRADE_CLOSED"
    assert order.payments.get().status == Payment.Status.CANCELED


# --- The return page and the pay page ---------------------------------------------------------------


def test_the_return_page_never_pays_from_the_browsers_parameters(ali, client):
    """Even Alipay's genuinely signed return parameters, and a forged "TRADE_SUCCESS", change nothing: only a
    notification or our query pays."""
    order = placed_order()
    form = paid_notification(ali, order)  # paid at Alipay; the notification is lost
    signed = ali.return_params(form["out_trade_no"])
    forged = signed | {"trade_status": "TRADE_SUCCESS", "total_amount": "0.01", "sign": "Zm9yZ2Vk"}

    for params in (signed, forged):
        page = client.get(f"/orders/{order.token}/pay/return/?{urlencode(params)}")
        assert page.status_code == 200

    unpaid(order)
    assert ProviderEvent.objects.count() == 0


def test_the_pay_page_on_a_phone_shows_one_button_to_alipays_cashier(ali, client):
    order = placed_order()

    page = client.get(f"/orders/{order.token}/pay/", HTTP_USER_AGENT=IPHONE_SAFARI)

    checkout = page.context["checkout"]
    assert (page.context["chosen"].name, checkout.flow) == ("alipay", Flow.REDIRECT)
    assert f'href="{checkout.url.replace("&", "&amp;")}"' in page.content.decode()
    assert "支付宝" in page.content.decode()


def test_inside_wechat_the_pay_page_does_not_offer_alipay(ali, wechatpay_fake, settings, client):
    settings.WECHATPAY_NOTIFY_URL = "https://shop.example.cn/payments/wechat/notify/"
    order = placed_order()

    page = client.get(f"/orders/{order.token}/pay/?provider=alipay", HTTP_USER_AGENT=WECHAT_ANDROID)

    assert "alipay" not in [p.name for p in page.context["providers"]]
    assert page.context["chosen"].name == "wechat"  # ?provider=alipay is not among those offered
    assert not Payment.objects.filter(provider="alipay").exists()


@pytest.mark.parametrize("failure", ["down", "broken"])
def test_alipay_down_sends_the_shopper_back_with_a_message_and_makes_no_payment(ali, client, failure):
    order = placed_order()
    getattr(ali, failure)()

    page = client.get(f"/orders/{order.token}/pay/", HTTP_USER_AGENT=DESKTOP_CHROME, follow=True)

    assert page.redirect_chain[0][0] == f"/orders/{order.token}/"
    with translation.override("zh-hans"):
        message = translation.gettext("Payments are unavailable right now. Please try again in a few minutes.")
    assert [str(m) for m in page.context["messages"]] == [message]
    assert Payment.objects.count() == 0
