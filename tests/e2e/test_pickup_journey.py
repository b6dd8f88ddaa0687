"""A consumer finds a story, buys from two merchants for pickup at a counter, pays, and collects.

Counter staff (the demo user of 德百超市's counter) see the order, mark both parts ready and hand
them over against the pickup codes the consumer's status page shows; the order ends completed.
"""

import re

from playwright.sync_api import Page, expect

from demo import data
from tests.e2e.actions import admin_login

COUNTER = data.COUNTERS[0]  # dz-decheng, where the demo counter user works
SCARF = "tujia-brocade-scarf"  # in the brocade story, stocked at that counter
OIL = "xiushan-wild-camellia-oil"
MERCHANTS = {m.slug: m.name for m in data.MERCHANTS}
PRODUCTS = {p.slug: p for p in data.PRODUCTS}


def pickup_codes(consumer: Page) -> dict[str, str]:
    """Merchant name → the pickup code the status page shows for that merchant's part."""
    codes = {}
    for text in consumer.locator(".fulfilment").all_inner_texts():
        name, _, rest = text.partition(":")
        codes[name.strip()] = re.search(r"\b(\d{6})\b", rest).group(1)
    return codes


def test_consumer_buys_for_pickup_and_the_counter_hands_over(open_page):
    consumer = open_page()
    consumer.goto("/search/?q=" + "织锦")
    consumer.locator("a[href*='aikou-tujia-brocade-weavers']").first.click()
    expect(consumer.locator("h1")).to_contain_text("织")
    scarf = consumer.locator(".buyable", has=consumer.locator(f"a[href$='/products/{SCARF}/']")).first
    scarf.get_by_role("button").click()
    expect(consumer.locator(".messages")).to_contain_text(PRODUCTS[SCARF].name)

    consumer.goto(f"/products/{OIL}/")
    consumer.locator("form[action$='/cart/add/'] [type=submit]").first.click()
    expect(consumer.locator(".messages")).to_contain_text(PRODUCTS[OIL].name)

    consumer.goto("/checkout/")
    consumer.fill("input[name=name]", "王小红")
    consumer.fill("input[name=phone]", "13912345678")
    consumer.fill("input[name=email]", "wangxh@example.com")
    consumer.check("input[name=method][value=pickup]")
    consumer.locator(".counter-choices li", has_text=COUNTER.name).locator("input").check()
    consumer.locator("form [type=submit]", has_text="提交订单").click()
    consumer.wait_for_url(re.compile(r"/orders/[^/]+/$"))
    status_url = consumer.url
    number = re.search(r"DX\d{8}-\d+", consumer.locator(".order__header").inner_text()).group(0)

    consumer.get_by_role("link", name="支付", exact=True).click()
    consumer.get_by_role("button", name="支付（演示，非真实付款）").click()
    consumer.goto(status_url)
    expect(consumer.locator(".order__status .status")).to_have_class(re.compile(r"status--paid"))

    staff = open_page()
    admin_login(staff, "counter")
    staff.goto("/admin/counter/")
    rows = staff.locator("tr", has_text=number)
    expect(rows).to_have_count(2)
    for _ in range(2):
        staff.locator("tr", has_text=number).first.get_by_role("button", name="标记为待自提").click()
        expect(staff.locator(".messages")).to_be_visible()

    consumer.goto(status_url)
    codes = pickup_codes(consumer)
    assert set(codes) == {MERCHANTS[PRODUCTS[SCARF].merchant], MERCHANTS[PRODUCTS[OIL].merchant]}

    staff.goto("/admin/counter/")
    wrong = "000000" if "000000" not in codes.values() else "111111"
    row = staff.locator("tr", has_text=number).first
    row.locator("input[name=code]").fill(wrong)
    row.get_by_role("button", name="交付").click()
    expect(staff.locator("main")).to_contain_text("取货码错误")
    for merchant, code in codes.items():
        staff.goto("/admin/counter/")
        row = staff.locator("tr", has_text=number).filter(has_text=merchant)
        row.locator("input[name=code]").fill(code)
        row.get_by_role("button", name="交付").click()
        expect(staff.locator(".messages")).to_be_visible()

    consumer.goto(status_url)
    expect(consumer.locator(".order__status .status")).to_have_class(re.compile(r"status--completed"))
