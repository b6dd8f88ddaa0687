"""A consumer on a 390x844 phone finds products by the everyday word (橙子) and by pinyin, buys from two
merchants for pickup at a counter, pays, and collects.

The consumer's status page shows one pickup code and one QR code for the counter, from payment on, and the
progress. Counter staff (the demo user of 德百超市's counter) see the order as one row, mark both parts ready and
hand the whole order over in one step with the code typed into the console's code field; the order ends
completed. Exactly one "ready for pickup" text message is sent, once the last part is ready.
"""

import re

from playwright.sync_api import Page, expect

from demo import data
from tests.e2e.actions import admin_login, place_pickup_order, serious_violations
from tests.e2e.site import Site

COUNTER = data.COUNTERS[0]  # dz-decheng, where the demo counter user works
SCARF = "tujia-brocade-scarf"  # in the brocade story, stocked at that counter
OIL = "xiushan-wild-camellia-oil"
MERCHANTS = {m.slug: m.name for m in data.MERCHANTS}
PRODUCTS = {p.slug: p for p in data.PRODUCTS}
PHONE = {"width": 390, "height": 844}
READY_SMS = """
from worker.models import Notification
for sms in Notification.objects.filter(channel="sms", template="pickup_ready", payload__order_number="{number}"):
    print("SMS", sms.recipient, sms.payload["pickup_code"])
"""
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


def ready_messages(site: Site, number: str) -> list[str]:
    """The "ready for pickup" text messages the outbox holds for the order (the site's own database)."""
    out = site.manage("shell", "-c", READY_SMS.format(number=number))
    return [line.removeprefix("SMS ") for line in out.splitlines() if line.startswith("SMS ")]


def search(consumer: Page, words: str) -> None:
    """Type ``words`` into the header's one search field and search, as a shopper does on a phone."""
    consumer.fill("#site-search-q", words)
    consumer.press("#site-search-q", "Enter")
    consumer.wait_for_url(re.compile(r"/products/\?q="))


def test_consumer_buys_for_pickup_and_the_counter_hands_over(open_page, site):
    consumer = open_page()
    consumer.set_viewport_size(PHONE)  # the whole journey on a 390x844 phone
    consumer.goto("/")
    search(consumer, "橙子")  # the everyday word: the catalogue says 脐橙 and 柑橘
    expect(consumer.locator(".listing__count")).to_contain_text("橙子")
    expect(consumer.locator(".product-card__name", has_text="脐橙").first).to_be_visible()
    search(consumer, "zhijin")  # 织锦 in pinyin
    consumer.locator(f".product-card a[href$='/products/{SCARF}/']").first.click()
    expect(consumer.locator("h1")).to_contain_text("织锦")
    consumer.locator("form[action$='/cart/add/'] [type=submit]").first.click()
    expect(consumer.locator(".messages")).to_contain_text(PRODUCTS[SCARF].name)

    consumer.goto(f"/products/{OIL}/")
    consumer.locator("form[action$='/cart/add/'] [type=submit]").first.click()
    expect(consumer.locator(".messages")).to_contain_text(PRODUCTS[OIL].name)

    consumer.goto("/checkout/")
    number = place_pickup_order(consumer, "王小红", "13912345678", COUNTER.name, email="wangxh@example.com")
    status_url = consumer.url.removesuffix("pay/")

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
    assert ready_messages(site, number) == []  # and nobody is told to come yet

    staff.locator("tr", has_text=number).get_by_role("button", name="标记为待自提").click()
    expect(staff.locator(".messages")).to_be_visible()
    consumer.reload()
    assert pickup_code(consumer) == code
    assert current_step(consumer) == 3
    assert ready_messages(site, number) == [f"13912345678 {code}"]  # one text, once the last part is ready
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
    assert len(ready_messages(site, number)) == 1
