"""Paying in one step on a phone (390 x 844): placing the order lands on the pay page, whose pay button shows without
scrolling, under a countdown of the stock hold that goes down each second; paying shows the order paid. When the hold
runs out with the page open, the button is disabled and the page says the items went back on sale.

The e2e site runs keyless with DEBUG on (tests/e2e/site.py), so the pay page offers the demo payment.
"""

import re

import psycopg
from playwright.sync_api import Page, expect

from demo import data
from tests.e2e.actions import PAY_PAGE, no_overflow, place_pickup_order, serious_violations
from tests.e2e.conftest import ARTIFACTS

COUNTER = data.COUNTERS[0]
OIL = "xiushan-wild-camellia-oil"  # stocked at that counter
PHONE = {"width": 390, "height": 844}


def place_order(page: Page) -> None:
    """A bottle of tea oil, for pickup at the demo counter, placed from the checkout page."""
    page.goto(f"/products/{OIL}/")
    page.locator("form[action$='/cart/add/'] [type=submit]").first.click()
    expect(page.locator(".messages")).to_be_visible()
    page.goto("/checkout/")
    place_pickup_order(page, "李明", "13912345670", COUNTER.name, email="liming@example.com")


def seconds_left(page: Page) -> int:
    text = page.locator(".hold__left").inner_text()
    minutes, seconds = re.search(r"(\d\d):(\d\d)", text).groups()
    return int(minutes) * 60 + int(seconds)


def test_placing_an_order_on_a_phone_goes_straight_to_paying_with_a_countdown(page: Page):
    page.set_viewport_size(PHONE)
    place_order(page)

    number = re.search(r"DX\d{8}-\d+", page.locator("h1").inner_text()).group(0)
    button = page.get_by_role("button", name="支付（演示，非真实付款）")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], box  # no scrolling to reach it
    assert box["height"] >= 44

    timer = page.get_by_role("timer")
    expect(timer).to_be_visible()
    expect(timer).to_have_text(re.compile(r"\d\d:\d\d"))
    first = seconds_left(page)
    assert 25 * 60 < first <= 30 * 60
    page.wait_for_timeout(2200)
    assert seconds_left(page) < first  # counting down
    expect(page.locator(".hold__deadline")).to_be_visible()  # the deadline in words, without the script too
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pay-page-390x844.png"))  # what the phone shows first

    details = page.locator("details.pay__items")
    expect(details).to_be_visible()
    details.locator("summary").click()
    expect(details).to_contain_text("山茶油")
    expect(page.locator(".pay__method")).to_contain_text(COUNTER.name)
    no_overflow(page)
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 360, "height": 740})
    no_overflow(page)
    page.set_viewport_size(PHONE)

    # Leaving the pay page: the order page offers paying while the hold lasts, with the same countdown.
    page.get_by_role("link", name="返回订单").click()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"\d\d:\d\d"))
    assert seconds_left(page) < first
    pay_now = page.locator(".pay-now a[href$='/pay/']")
    expect(pay_now).to_be_visible()
    assert pay_now.bounding_box()["height"] >= 44
    no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "order-page-awaiting-payment-390x844.png"))
    pay_now.click()
    page.wait_for_url(PAY_PAGE)

    button.click()
    expect(page.locator(".order__status .status")).to_have_class(re.compile(r"status--paid"))
    expect(page.locator(".order__header")).to_contain_text(number)
    expect(page.get_by_role("timer")).to_have_count(0)


def test_the_hold_running_out_on_the_open_pay_page_disables_paying(page: Page, site):
    page.set_viewport_size(PHONE)
    place_order(page)
    token = re.search(r"/orders/([^/]+)/pay/", page.url).group(1)
    with psycopg.connect(site.env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)) as conn:
        conn.execute("UPDATE orders_order SET expires_at = now() + interval '3 seconds' WHERE token = %s", (token,))
    page.reload()
    button = page.get_by_role("button", name="支付（演示，非真实付款）")
    expect(button).to_be_enabled()
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"00:0[0-3]"))

    expect(button).to_be_disabled(timeout=8000)
    ended = page.locator("[data-hold-ended]")
    expect(ended).to_be_visible()
    expect(ended).to_contain_text("商品保留时间已结束。")
    expect(ended.locator(f"a[href$='/products/{OIL}/']")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="商品保留时间已结束。")).to_have_count(1)
    no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "pay-page-hold-ended-390x844.png"))

    page.goto(f"/orders/{token}/")  # the order page: the message, no way to pay
    expect(page.locator("[data-hold-ended]")).to_be_visible()
    expect(page.locator(f"a[href$='/orders/{token}/pay/']")).to_have_count(0)
