"""A consumer finds a story, buys from two merchants for pickup at a counter, pays, and collects.

The consumer's status page (on a 390 px phone) shows one pickup code and one QR code for the counter, from payment
on, and the progress. Counter staff (the demo user of 德百超市's counter) see the order as one row, mark both parts
ready and hand the whole order over in one step with the code typed into the console's code field; the order ends
completed.
"""

import re

from playwright.sync_api import Page, expect

from demo import data
from tests.e2e.actions import admin_login, serious_violations

COUNTER = data.COUNTERS[0]  # dz-decheng, where the demo counter user works
SCARF = "tujia-brocade-scarf"  # in the brocade story, stocked at that counter
OIL = "xiushan-wild-camellia-oil"
MERCHANTS = {m.slug: m.name for m in data.MERCHANTS}
PRODUCTS = {p.slug: p for p in data.PRODUCTS}
PHONE = {"width": 390, "height": 844}
# Elements of the pickup card sticking out of the viewport on either side (the header and the rest of the page are
# held to the viewport by the phone-layout tests).
OUTSIDE = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll(".pickup, .pickup *")]
    .filter((element) => {
      const box = element.getBoundingClientRect();
      return box.width && (box.right > width + 0.5 || box.left < -0.5);
    })
    .map((element) => `${element.tagName.toLowerCase()}.${element.getAttribute("class")}`)
    .slice(0, 5);
}"""


def pickup_code(consumer: Page) -> str:
    """The one pickup code the status page shows, with its QR code beside it, all of it inside the phone's width."""
    expect(consumer.locator(".pickup")).to_have_count(1)
    expect(consumer.locator(".pickup svg.qr")).to_have_count(1)
    assert consumer.evaluate(OUTSIDE) == []
    code = consumer.locator(".pickup__code").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code), code
    return code


def current_step(consumer: Page) -> int:
    """Which step of 已付款 → 备货中 → 可取货 → 已取货 is the current one (1 to 4), 0 when all are done."""
    steps = consumer.locator(".pickup .stepper__step")
    expect(steps).to_have_count(4)
    states = [steps.nth(i).get_attribute("aria-current") for i in range(4)]
    return states.index("step") + 1 if "step" in states else 0


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
    consumer.set_viewport_size(PHONE)
    consumer.goto(status_url)
    expect(consumer.locator(".order__status .status")).to_have_class(re.compile(r"status--paid"))
    code = pickup_code(consumer)  # from payment on, not only once ready
    assert current_step(consumer) == 2

    staff = open_page()
    admin_login(staff, "counter")
    staff.goto("/admin/counter/")
    row = staff.locator("tr", has_text=number)
    expect(row).to_have_count(1)  # one order at this counter: one row, a part per merchant in it
    expect(row.get_by_role("button", name="标记为待自提")).to_have_count(2)
    row.get_by_role("button", name="标记为待自提").first.click()
    expect(staff.locator(".messages")).to_be_visible()

    consumer.reload()
    assert pickup_code(consumer) == code
    assert current_step(consumer) == 2  # the scarf is not ready yet: still being prepared

    staff.locator("tr", has_text=number).get_by_role("button", name="标记为待自提").click()
    expect(staff.locator(".messages")).to_be_visible()
    consumer.reload()
    assert pickup_code(consumer) == code
    assert current_step(consumer) == 3
    assert serious_violations(consumer) == []
    for width in (360, 414):  # the narrowest and widest phones, in both languages
        consumer.set_viewport_size({"width": width, "height": 800})
        for url in (status_url, status_url.replace("/orders/", "/en/orders/")):
            consumer.goto(url)
            assert pickup_code(consumer) == code
    consumer.set_viewport_size(PHONE)
    consumer.goto(status_url)

    staff.goto("/admin/counter/")
    wrong = "000000" if code != "000000" else "111111"
    row = staff.locator("tr", has_text=number)
    row.locator("input[name=code]").fill(wrong)
    row.get_by_role("button", name="交付").click()
    expect(staff.locator("main")).to_contain_text("取货码错误")

    staff.goto("/admin/counter/")
    staff.locator("#scan-code").fill(code)  # typed, or scanned from the QR code into the field
    staff.locator("#scan-code").press("Enter")
    expect(staff.locator(".messages")).to_contain_text(number)
    expect(staff.locator("tr", has_text=number)).to_have_count(1)  # now under "recently handed over"

    consumer.reload()
    expect(consumer.locator(".order__status .status")).to_have_class(re.compile(r"status--completed"))
    assert current_step(consumer) == 0
    expect(consumer.locator(".pickup__code")).to_have_count(0)
