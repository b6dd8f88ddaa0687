"""WeChat Pay JSAPI inside WeChat, end to end over HTTP against the local fakes (WeChat's web OAuth and WeChat Pay,
the real ``wechatpayv3`` SDK): the openid from OAuth (state bound to the session), the JSAPI transaction and its
signed bridge parameters, the QR code whenever JSAPI cannot be used, and payment only from the notification."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from orders.models import OrderStatus, Payment, ProviderEvent
from orders.payments import wechat_oauth
from orders.payments.providers import Flow
from orders.tasks import process_provider_event
from tests.fixtures.wechatpay import verify
from tests.payments.helpers import placed_order
from tests.payments.test_providers import WECHAT_ANDROID
from tests.payments.test_wechat_provider import UNREACHABLE_NOTIFY_URL, paid_notification, paid_once, post

pytestmark = pytest.mark.django_db

CALLBACK_PATH = "/payments/wechat/oauth/"


@pytest.fixture
def wechat(wechatpay_fake, settings):
    settings.WECHATPAY_NOTIFY_URL = UNREACHABLE_NOTIFY_URL
    return wechatpay_fake


@pytest.fixture
def oauth(wechat, wechat_oauth_fake):
    """WeChat Pay and the official account's OAuth both configured (the OAuth AppID defaults to WeChat Pay's)."""
    return wechat_oauth_fake


def pay_page(client, order, query: str = "", **extra):
    return client.get(f"/orders/{order.token}/pay/{query}", HTTP_USER_AGENT=WECHAT_ANDROID, **extra)


def through_wechat(client, authorize_url: str):
    """The shopper's WeChat opens the authorize page (the fake, over HTTP), which sends it back to our callback."""
    back = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    assert callback.path == CALLBACK_PATH
    return client.get(f"{callback.path}?{callback.query}", HTTP_USER_AGENT=WECHAT_ANDROID)


def signed_in(client, order):
    """The pay page, WeChat's OAuth and back: the pay page the shopper then sees."""
    authorize = pay_page(client, order)
    returned = through_wechat(client, authorize["Location"])
    assert returned.status_code == 302 and returned["Location"] == f"/orders/{order.token}/pay/"
    return pay_page(client, order)


def test_without_oauth_settings_wechat_shows_the_qr_code_as_before(wechat, client):
    order = placed_order()

    page = pay_page(client, order)

    assert page.status_code == 200
    assert page.context["checkout"].flow == Flow.QR
    assert not any(r.path.endswith("/jsapi") for r in wechat.requests)


def test_without_an_openid_the_pay_page_sends_the_shopper_to_wechats_authorize_page(oauth, client):
    order = placed_order()

    page = pay_page(client, order)

    assert page.status_code == 302
    location = urlsplit(page["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{oauth.url}/connect/oauth2/authorize"
    assert location.fragment == "wechat_redirect"
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert query["appid"] == oauth.appid and query["scope"] == "snsapi_base" and query["response_type"] == "code"
    assert query["redirect_uri"] == f"http://testserver{CALLBACK_PATH}"
    assert len(query["state"]) == 32 and client.session[wechat_oauth.PENDING]["state"] == query["state"]
    assert Payment.objects.count() == 0  # nothing started before the openid is known


def test_a_callback_with_another_state_is_refused_and_stores_nothing(oauth, client):
    order = placed_order()
    pay_page(client, order)
    code = oauth.issue_code()  # e.g. an attacker's own code, in a link made for the shopper

    for state in ("0" * 32, ""):
        refused = client.get(f"{CALLBACK_PATH}?code={code}&state={state}")
        assert refused.status_code == 400
    assert wechat_oauth.OPENID not in client.session
    assert oauth.exchanges == []  # the code was never exchanged
    assert client.session[wechat_oauth.PENDING]  # the shopper's own sign-in can still finish


def test_a_callback_in_another_session_or_replayed_is_refused(oauth, client):
    order = placed_order()
    back = requests.get(pay_page(client, order)["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(back.headers["Location"])

    assert Client().get(f"{callback.path}?{callback.query}").status_code == 400  # not the session that asked
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302
    assert client.get(f"{callback.path}?{callback.query}").status_code == 400  # replayed: the state was used
    assert len(oauth.exchanges) == 1


def test_a_good_code_puts_the_openid_in_the_session_and_the_pay_page_offers_jsapi(oauth, wechat, client):
    order = placed_order()

    page = signed_in(client, order)

    assert client.session[wechat_oauth.OPENID] == {"appid": oauth.appid, "openid": oauth.openid}
    assert oauth.exchanges[0]["secret"] == oauth.secret and oauth.exchanges[0]["grant_type"] == "authorization_code"
    assert page.status_code == 200
    checkout = page.context["checkout"]
    assert checkout.flow == Flow.JSAPI
    sent = wechat.requests[-1]
    assert sent.path == "/v3/pay/transactions/jsapi"
    assert sent.body["payer"] == {"openid": oauth.openid} and sent.body["appid"] == wechat.appid
    transaction = wechat.transactions[f"{order.number}-W1"]
    assert (transaction.kind, transaction.openid) == ("jsapi", oauth.openid)
    assert Payment.objects.get().method_type == "jsapi"

    html = page.content.decode()
    params = json.loads(
        html.split('<script id="wechat-jsapi-params" type="application/json">')[1].split("</script>")[0]
    )
    assert params == checkout.params
    assert params["package"] == f"prepay_id={transaction.prepay_id}" and params["signType"] == "RSA"
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    assert verify(wechat.merchant_key.public_key(), message, params["paySign"])
    assert wechat.pay_sign_ok(
        params["appId"], params["timeStamp"], params["nonceStr"], params["package"], params["paySign"]
    )
    assert 'id="wechat-jsapi-pay"' in html and "/static/storefront/js/wechat-pay.js" in html
    assert f'data-return-url="/orders/{order.token}/pay/return/"' in html
    assert "<script>" not in html  # CSP: no inline script

    again = pay_page(client, order)  # a second visit reuses the attempt, asking WeChat for nothing
    assert again.context["checkout"].params["package"] == params["package"]
    assert len(oauth.exchanges) == 1 and Payment.objects.count() == 1


def test_the_qr_link_of_the_jsapi_page_shows_the_qr_code(oauth, wechat, client):
    order = placed_order()
    signed_in(client, order)

    page = pay_page(client, order, "?provider=wechat&qr=1")

    assert page.context["checkout"].flow == Flow.QR
    assert 'class="pay__qr-code"' in page.content.decode()
    assert wechat.transactions[f"{order.number}-W1"].trade_state == "CLOSED"  # the JSAPI attempt, closed first


def test_wechat_refusing_the_code_falls_back_to_the_qr_code_with_a_message(oauth, wechat, client):
    order = placed_order()
    pay_page(client, order)
    state = client.session[wechat_oauth.PENDING]["state"]

    back = client.get(f"{CALLBACK_PATH}?code=not-a-code-it-issued&state={state}", follow=True)

    assert back.redirect_chain == [(f"/orders/{order.token}/pay/", 302)]
    assert back.status_code == 200 and back.context["checkout"].flow == Flow.QR
    assert "请使用二维码支付" in back.content.decode()
    assert wechat_oauth.OPENID not in client.session
    assert oauth.exchanges[-1]["code"] == "not-a-code-it-issued"


def test_wechats_oauth_down_falls_back_to_the_qr_code_with_a_message_and_no_error(oauth, wechat, client):
    order = placed_order()
    authorize = pay_page(client, order)
    back = requests.get(authorize["Location"], allow_redirects=False, timeout=5)
    oauth.down()

    page = client.get(back.headers["Location"].removeprefix("http://testserver"), follow=True)

    assert page.status_code == 200
    assert page.context["checkout"].flow == Flow.QR
    assert "请使用二维码支付" in page.content.decode()
    assert pay_page(client, order).status_code == 200  # not sent to WeChat again for a while
    assert not any(r.path.endswith("/jsapi") for r in wechat.requests)


def test_a_jsapi_order_is_paid_only_by_the_verified_notification(oauth, wechat, client):
    order = placed_order()
    signed_in(client, order)

    processing = client.get(f"/orders/{order.token}/pay/return/", HTTP_USER_AGENT=WECHAT_ANDROID)
    order.refresh_from_db()
    assert processing.status_code == 200 and order.status == OrderStatus.PENDING_PAYMENT

    headers, body = paid_notification(wechat, order)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT  # paid at WeChat, not known here yet
    assert post(client, headers, body).status_code == 204
    assert process_provider_event(ProviderEvent.objects.get().pk) is True
    paid_once(order)
    assert order.payments.get().method_type == "wechat_pay"
