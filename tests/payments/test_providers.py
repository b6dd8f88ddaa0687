"""The providers behind one interface: which are offered (their settings complete), in which order for the
shopper's device, and the pay page opening the best one or the one chosen."""

import pytest

from orders.payments.providers import Device, Flow, device_of, get_provider, providers_for
from tests.payments.helpers import placed_order

pytestmark = pytest.mark.django_db

WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0 "
    "Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20240301 MicroMessenger/8.0.48.2580(0x28003036) NetType/WIFI"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
HUAWEI_BROWSER = (
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/99.0 HuaweiBrowser/14.0 Mobile Safari/537.36"
)
DESKTOP_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (WECHAT_ANDROID, Device.WECHAT),
        (IPHONE_SAFARI, Device.PHONE),
        (HUAWEI_BROWSER, Device.PHONE),
        (DESKTOP_CHROME, Device.DESKTOP),
        ("", Device.DESKTOP),
    ],
)
def test_the_device_is_read_from_the_user_agent(agent, device):
    assert device_of(agent) == device


def test_without_keys_and_with_debug_only_the_demo_is_offered(demo):
    assert [p.name for p in providers_for(Device.PHONE)] == ["demo"]
    assert get_provider("stripe") is None


def test_with_stripe_keys_stripe_is_offered_and_the_demo_is_not(settings):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert [p.name for p in providers_for(Device.DESKTOP)] == ["stripe"]
    assert get_provider("demo") is None


def test_nothing_is_offered_without_keys_in_production(no_provider):
    assert providers_for(Device.DESKTOP) == []


def test_the_pay_page_opens_the_only_provider_and_lists_no_choice(client, demo):
    order = placed_order()
    page = client.get(f"/orders/{order.token}/pay/", HTTP_USER_AGENT=IPHONE_SAFARI)
    assert page.status_code == 200
    assert page.context["checkout"].flow == Flow.BUTTON
    assert b"pay__providers" not in page.content  # one way to pay: no list to choose from


def test_the_pay_page_ignores_a_provider_that_is_not_offered(client, demo):
    order = placed_order()
    page = client.get(f"/orders/{order.token}/pay/?provider=stripe")
    assert page.context["chosen"].name == "demo"  # a made-up or disabled choice falls back to the best one
