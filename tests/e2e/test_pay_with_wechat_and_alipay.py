"""Paying with WeChat Pay and Alipay, in Chromium, against the providers' local fakes: on a desk (WeChat Pay's
QR code, Alipay's page pay), on a phone browser (WeChat Pay's H5 page, Alipay's WAP page) and inside WeChat
(its OAuth for the shopper's openid, then JSAPI: WeChat's payment sheet). Each order
becomes paid once, and only when the provider's signed notification has reached the server: coming back to
the shop, or saying "I have paid", before that only shows "processing".

This module starts a site of its own (its own database, the demo data) whose settings point at the fakes
(tests/fixtures/wechatpay.py, tests/fixtures/alipay.py: HTTP servers in this process, on loopback, signing as
the providers do), so the shop's real SDK calls and the notifications run end to end. With WeChat Pay and
Alipay configured, the demo payment is not offered. Inside WeChat, the page is opened with WeChat's user agent
and ``WeixinJSBridge`` (which only WeChat's own browser has) is a stand-in that hands the signed parameters to
the test, which checks them as WeChat does (``pay_sign_ok``) before paying.
"""

import os
import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.actions import no_overflow
from tests.e2e.site import Site, recreate_database
from tests.e2e.test_pay_in_one_step import place_order
from tests.fixtures.alipay import FakeAlipay
from tests.fixtures.wechat_oauth import FakeWeChatOAuth
from tests.fixtures.wechatpay import FakeWeChatPay

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
IN_WECHAT = IPHONE.replace(" Safari/604.1", " MicroMessenger/8.0.50(0x1800323a) NetType/WIFI Language/zh_CN")
# WeChat's bridge, standing in: the sheet "opens" by keeping the parameters and the callback for the test.
BRIDGE = """
window.WeixinJSBridge = {
  invoke(name, params, callback) { window.__sheet = {name, params}; window.__sheetDone = callback; },
};
"""


@pytest.fixture(scope="module")
def wechat() -> Iterator[FakeWeChatPay]:
    fake = FakeWeChatPay()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def alipay() -> Iterator[FakeAlipay]:
    fake = FakeAlipay()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def oauth() -> Iterator[FakeWeChatOAuth]:
    fake = FakeWeChatOAuth()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def paying_site(tmp_path_factory, wechat, alipay, oauth) -> Iterator[Site]:
    database_url = recreate_database(os.environ["DATABASE_URL"], "_e2e_pay")
    env = {**wechat.settings(), **alipay.settings(), **oauth.settings()}
    site = Site(database_url, tmp_path_factory.mktemp("e2e-pay-site"), env=env)
    site.env["WECHATPAY_NOTIFY_URL"] = f"{site.base}/payments/wechat/notify/"
    site.env["ALIPAY_NOTIFY_URL"] = f"{site.base}/payments/alipay/notify/"
    site.start()
    yield site
    site.stop()


@pytest.fixture
def shopper(browser: Browser, paying_site: Site, request) -> Iterator[Page]:
    """A desk (1280 wide) or, parametrised ``phone``, an iPhone's Safari (390 by 844), or ``wechat``, WeChat's
    browser on that iPhone."""
    kind = getattr(request, "param", "")
    options = {}
    if kind in {"phone", "wechat"}:
        agent = IN_WECHAT if kind == "wechat" else IPHONE
        options = {"viewport": {"width": 390, "height": 844}, "user_agent": agent, "is_mobile": True}
    context = browser.new_context(base_url=paying_site.base, locale="zh-CN", **options)
    if kind == "wechat":
        context.add_init_script(BRIDGE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    yield page
    context.close()
    assert not violations, violations


def order_number(page: Page) -> str:
    return re.search(r"DX\d{8}-\d+", page.locator("h1").inner_text()).group(0)


def choose(page: Page, provider: str) -> None:
    page.locator(".pay__providers").get_by_role("link", name=provider).click()
    expect(page.locator(".pay__providers [aria-current]")).to_have_text(provider)


def expect_paid(page: Page) -> None:
    expect(page.locator(".order__status .status")).to_have_class(re.compile(r"status--paid"), timeout=20_000)


def expect_processing(page: Page) -> None:
    expect(page.get_by_role("status")).to_contain_text("正在处理您的付款")
    expect(page.locator(".order__status .status--paid")).to_have_count(0)


def attempts_of(store: dict, number: str) -> list[str]:
    return [key for key in store if key.startswith(f"{number}-")]


def test_on_a_desk_wechat_pay_by_qr_code_pays_once_after_the_notification(shopper: Page, wechat):
    place_order(shopper)
    number = order_number(shopper)
    choose(shopper, "微信支付")
    expect(shopper.locator(".pay__qr-code svg, .pay__qr-code img").first).to_be_visible()
    (out_trade_no,) = attempts_of(wechat.transactions, number)
    assert wechat.transactions[out_trade_no].total > 0

    shopper.get_by_role("link", name="我已付款").click()  # said before paying: nothing is paid
    expect_processing(shopper)

    assert wechat.pay(out_trade_no) in {
        200,
        204,
    }  # accepted (WeChat takes either); the phone scans and pays; WeChat Pay notifies the shop
    expect_paid(shopper)  # the processing page refreshes itself
    shopper.reload()
    expect_paid(shopper)
    assert attempts_of(wechat.transactions, number) == [out_trade_no]


def test_on_a_desk_alipay_page_pay_pays_once_after_the_notification(shopper: Page, alipay):
    place_order(shopper)
    number = order_number(shopper)
    choose(shopper, "支付宝")
    shopper.locator("a.pay__button").click()  # Alipay's own page (the fake's cashier)
    expect(shopper.locator("#amount")).to_be_visible()
    (out_trade_no,) = attempts_of(alipay.trades, number)
    trade = alipay.trades[out_trade_no]

    # Coming back with Alipay's signed return parameters before paying: processing, not paid.
    separator = "&" if "?" in trade.return_url else "?"
    shopper.goto(trade.return_url + separator + urlencode(alipay.return_params(out_trade_no)))
    expect_processing(shopper)

    shopper.go_back()
    shopper.get_by_role("button", name="确认付款").click()  # pays; Alipay notifies, then sends the browser back
    expect_paid(shopper)
    assert [d.acknowledged for d in alipay.deliveries if d.form.get("out_trade_no") == out_trade_no] == [True]


@pytest.mark.parametrize("shopper", ["phone"], indirect=True)
def test_on_a_phone_wechat_pay_h5_pays_once(shopper: Page, wechat):
    place_order(shopper)
    number = order_number(shopper)
    choose(shopper, "微信支付")
    no_overflow(shopper)
    button = shopper.locator("a.pay__button")
    expect(button).to_contain_text("微信支付")
    button.click()  # WeChat Pay's H5 page (the fake's)
    (out_trade_no,) = attempts_of(wechat.transactions, number)
    assert wechat.transactions[out_trade_no].kind == "h5"
    shopper.get_by_role("button", name="确认支付").click()
    expect_paid(shopper)
    assert attempts_of(wechat.transactions, number) == [out_trade_no]
    assert wechat.deliveries[-1].event_type == "TRANSACTION.SUCCESS" and wechat.deliveries[-1].status in {200, 204}


@pytest.mark.parametrize("shopper", ["phone"], indirect=True)
def test_on_a_phone_alipay_wap_pays_once(shopper: Page, alipay):
    place_order(shopper)
    number = order_number(shopper)
    choose(shopper, "支付宝")
    no_overflow(shopper)
    shopper.locator("a.pay__button").click()
    (out_trade_no,) = attempts_of(alipay.trades, number)
    assert alipay.trades[out_trade_no].method == "alipay.trade.wap.pay"
    shopper.get_by_role("button", name="确认付款").click()
    expect_paid(shopper)
    assert attempts_of(alipay.trades, number) == [out_trade_no]


@pytest.mark.parametrize("shopper", ["wechat"], indirect=True)
def test_inside_wechat_jsapi_pays_once_after_the_notification(shopper: Page, wechat, oauth):
    place_order(shopper)  # the pay page asks WeChat's OAuth for the shopper's openid, silently, and comes back
    number = order_number(shopper)
    assert oauth.exchanges, "the openid was not asked for"
    expect(shopper.locator(".pay__providers")).to_have_count(0)  # inside WeChat only WeChat Pay works
    no_overflow(shopper)
    (out_trade_no,) = attempts_of(wechat.transactions, number)
    transaction = wechat.transactions[out_trade_no]
    assert transaction.kind == "jsapi" and transaction.request["payer"]["openid"] == oauth.openid

    shopper.get_by_role("button", name="使用微信支付").click()
    shopper.wait_for_function("() => window.__sheet !== undefined")
    sheet = shopper.evaluate("() => window.__sheet")
    params = sheet["params"]
    assert sheet["name"] == "getBrandWCPayRequest"
    assert wechat.pay_sign_ok(
        params["appId"], params["timeStamp"], params["nonceStr"], params["package"], params["paySign"]
    )

    assert wechat.pay(out_trade_no) in {200, 204}  # paid in the sheet; WeChat Pay notifies the shop
    shopper.evaluate("() => window.__sheetDone({err_msg: 'get_brand_wcpay_request:ok'})")
    expect_paid(shopper)
    assert attempts_of(wechat.transactions, number) == [out_trade_no]
