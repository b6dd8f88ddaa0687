"""The counter console on a 1024x768 tablet and a 390x844 phone, in Chinese, as the demo counter user (孙丽 at
德百超市's counter): an order is found by its pickup code, by the QR on the customer's order page and by the last
four digits of their phone; it is handed over in one step; a walk-in sale is recorded by scanning a SKU (typed into
the scan field, as a barcode scanner types it) with its payment method, and printed; the day-end summary matches
the aid ledger to the fen. Every console screen is checked for English, for controls under 44 px and for anything
wider than the screen.

About the QR: the test draws the order's QR with the project's own helper (``core.qr.qr_svg``, as the order page
does) and turns it into a PNG. The console reads a QR with the browser's BarcodeDetector, which Chromium ships
only on Android, macOS and ChromeOS: Debian's headless Chromium on Linux has none (``"BarcodeDetector" in
window`` is false, with or without experimental features). So where it is missing the console keeps its photo
and camera buttons hidden and the code is typed — what a handheld scanner does — and the PNG is fed to the photo
field through a stand-in BarcodeDetector that answers with the text the test encoded: that checks the console's
own script (photo → detector → search), not Chromium's decoding. Where Chromium has the real detector, the real
one reads the PNG.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from core.qr import qr_svg
from demo import data
from tests.e2e.actions import OVERFLOWING, SMALL_TARGETS, admin_login
from tests.e2e.chinese import assert_chinese
from tests.e2e.site import Site

COUNTER = data.COUNTERS[0]  # dz-decheng, where the demo counter user works
VIEWPORTS = {"tablet": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}
# The console's own elements and controls: Wagtail's menu and header are Wagtail's (its closed sidebar sub-menus
# wait off-screen at -200 px, which the whole-page check would count).
CONSOLE_SMALL_TARGETS = SMALL_TARGETS.replace(
    "document.querySelectorAll(controls)", "document.querySelector('.counter').querySelectorAll(controls)"
)
CONSOLE_OVERFLOWING = OVERFLOWING.replace('querySelectorAll("body *")', 'querySelectorAll(".counter *")')

# Two paid pickup orders at the demo counter, every part ready: one from two merchants (bought by a customer whose
# phone ends in the given digits), one from one merchant. Prints each order's number and code, and a SKU to sell.
SETUP = """
from catalog.models import Location, Stock
from orders.cart import add_to_cart
from orders.checkout import Contact, Delivery, cart_summary, new_checkout_token, place_order
from orders.fulfilment import mark_fulfilment_ready
from orders.models import Cart
from orders.payments import mark_paid

counter = Location.objects.get(code="{counter}")
stocks = list(Stock.objects.filter(location=counter, on_hand__gte=10, allocated=0,
                                   variant__product__is_published=True).select_related("variant__product")
              .order_by("variant__product__merchant_id", "pk"))
by_merchant = {{}}
for stock in stocks:
    by_merchant.setdefault(stock.variant.product.merchant_id, stock)
two, one = list(by_merchant.values())[:2], list(by_merchant.values())[2:3]
for index, (lines, phone) in enumerate(((two, "{phone}"), (one, "13900000000"))):
    cart = Cart.objects.create()
    for stock in lines:
        add_to_cart(cart, stock.variant_id, 1)
    order = place_order(cart=cart, contact=Contact(name="赵敏", phone=phone, email=""),
                        delivery=Delivery(method="pickup", pickup_location=counter.pk),
                        checkout_token=new_checkout_token(), expected_fingerprint=cart_summary(cart).fingerprint)
    order = mark_paid(order)
    for part in order.fulfilments.all():
        mark_fulfilment_ready(part, actor=None)
    pickup = order.pickups.get()
    print("ORDER", order.number, pickup.code, order.fulfilments.count())
sale = stocks[-1]
print("SKU", sale.variant.sku, sale.variant.price)
"""
LEDGER = """
from django.db.models import Sum
from django.utils import timezone
from orders.models import AidLedgerEntry
entries = AidLedgerEntry.objects.filter(kind="counter_sale", counter__code="{counter}",
                                        created_at__date=timezone.localdate())
print("LEDGER", entries.aggregate(t=Sum("amount"))["t"] or 0,
      entries.filter(payment_method="cash").aggregate(t=Sum("amount"))["t"] or 0)
"""
# A stand-in for the BarcodeDetector Chromium on Linux lacks: it "reads" whatever picture with the text given.
STAND_IN_DETECTOR = """
window.BarcodeDetector = class {
  constructor() {}
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect(image) { return image ? [{rawValue: %s, format: "qr_code"}] : []; }
};
"""


def yuan(amount: int) -> str:
    """Fen as the console shows them: ``"¥1,234.50"``."""
    return f"¥{amount // 100:,}.{amount % 100:02d}"


def fen(text: str) -> int:
    """``"¥1,234.50"`` as fen."""
    yuan, _, cents = re.sub(r"[¥,\s]", "", text).partition(".")
    return int(yuan) * 100 + int(cents or 0)


@pytest.fixture(scope="module")
def orders(site: Site) -> dict:
    out = site.manage("shell", "-c", SETUP.format(counter=COUNTER.code, phone="13800004417"))
    found = [line.split() for line in out.splitlines()]
    placed = [{"number": row[1], "code": row[2], "parts": int(row[3])} for row in found if row[:1] == ["ORDER"]]
    (sku,) = [row[1] for row in found if row[:1] == ["SKU"]]
    return {"two": placed[0], "one": placed[1], "sku": sku, "phone4": "4417"}


def qr_png(page: Page, text: str) -> bytes:
    """The order page's QR for ``text`` (``core.qr.qr_svg``), drawn by the browser and taken as a PNG."""
    page.set_content(
        f"<body style='margin:0;background:#fff'><div id=qr style='width:240px'>{qr_svg(text, label='QR')}</div>"
    )
    return page.locator("#qr").screenshot(type="png")


def screen_fits(page: Page) -> None:
    """In Chinese, nothing wider than the screen, every console control 44 px or more."""
    assert_chinese(page)
    found = page.evaluate(CONSOLE_OVERFLOWING)
    assert found["scroll"] <= found["width"] and found["out"] == [], found  # the page itself never scrolls sideways
    assert page.evaluate(CONSOLE_SMALL_TARGETS) == []


def search(page: Page, query: str) -> None:
    page.fill("#counter-search", query)
    page.press("#counter-search", "Enter")
    page.wait_for_load_state()
    expect(page.locator("#counter-results")).to_be_visible()


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_counter_console_finds_hands_over_sells_and_closes_the_day(open_page, site, orders, size):
    staff = open_page()
    staff.set_viewport_size(VIEWPORTS[size])
    admin_login(staff, "counter")
    staff.goto("/admin/counter/")
    expect(staff.locator("#counter-search")).to_be_visible()
    screen_fits(staff)

    two, one = orders["two"], orders["one"]
    # By code: one row for the order, both merchants' parts in it, and one button.
    search(staff, two["code"] if size == "tablet" else one["code"])
    target = two if size == "tablet" else one
    results = staff.locator("#counter-results")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results.locator("tbody tr")).to_contain_text(target["number"])
    expect(results.locator(".counter-part")).to_have_count(target["parts"])
    expect(results.get_by_role("button", name="全部交付")).to_have_count(1)
    screen_fits(staff)

    # By the QR of the order page.
    png = qr_png(open_page(), target["code"])
    has_detector = staff.evaluate("'BarcodeDetector' in window")
    if has_detector:
        staff.locator("[data-scan-photo]").set_input_files({"name": "qr.png", "mimeType": "image/png", "buffer": png})
    else:
        expect(staff.locator("[data-counter-scan]")).to_be_hidden()  # nothing offered that cannot work
        search(staff, target["code"])  # what a handheld scanner types from the QR: the code it holds
        photo = open_page()
        photo.add_init_script(STAND_IN_DETECTOR % repr(target["code"]))
        admin_login(photo, "counter")
        photo.goto("/admin/counter/")
        expect(photo.locator("[data-counter-scan]")).to_be_visible()
        photo.locator("[data-scan-photo]").set_input_files({"name": "qr.png", "mimeType": "image/png", "buffer": png})
        expect(photo.locator("#counter-results tbody tr")).to_contain_text(target["number"])
        expect(photo.locator("#counter-search")).to_have_value(target["code"])
    expect(staff.locator("#counter-results tbody tr")).to_contain_text(target["number"])

    # By the last four digits of the phone (the two-merchant order's customer).
    search(staff, orders["phone4"])
    expect(staff.locator("#counter-results tbody tr")).to_have_count(1)
    expect(staff.locator("#counter-results tbody tr")).to_contain_text(two["number"])
    screen_fits(staff)

    # Hand over in one step, from the search by code.
    search(staff, target["code"])
    staff.locator("#counter-results").get_by_role("button", name="全部交付").click()
    expect(staff.locator(".messages")).to_contain_text(target["number"])
    done = staff.locator("section[aria-labelledby=counter-done-heading] tr", has_text=target["number"])
    expect(done).to_have_count(1)
    staff.reload()
    expect(staff.locator("#counter-search")).to_be_visible()
    expect(staff.locator(".messages")).not_to_contain_text(target["number"])  # said once
    screen_fits(staff)

    # A walk-in sale: the SKU scanned (typed) into the scan field, one more with the stepper, paid by a method.
    staff.locator(".counter-nav").get_by_role("link", name="登记专柜销售").click()
    expect(staff.locator("#sale-scan")).to_be_visible()
    screen_fits(staff)
    staff.fill("#sale-scan", orders["sku"])
    staff.press("#sale-scan", "Enter")
    line = staff.locator("[data-sale-lines] tr[data-sale-line]")
    expect(line).to_have_count(1)
    line.get_by_role("button", name="加一件").click()
    expect(line.locator("[data-line-quantity]")).to_have_value("2")
    price = int(line.get_attribute("data-price"))
    expect(staff.locator("[data-sale-total]").first).to_have_text(
        re.compile(re.escape(f"{price * 2 // 100:,}.{price * 2 % 100:02d}"))
    )
    method = "现金" if size == "tablet" else "支付宝"
    staff.locator(".sale-method", has_text=method).click()
    screen_fits(staff)
    staff.get_by_role("button", name="登记销售").click()
    expect(staff.locator(".counter-receipt")).to_contain_text(method)
    assert fen(staff.locator(".counter-receipt__total strong").inner_text()) == price * 2
    screen_fits(staff)
    staff.emulate_media(media="print")
    width = staff.locator(".counter-receipt").evaluate("(element) => element.getBoundingClientRect().width")
    assert abs(width - 58 / 25.4 * 96) < 2, width  # 58 mm thermal paper
    staff.emulate_media(media="screen")

    # The day-end summary matches the ledger to the fen.
    staff.get_by_role("link", name="日结汇总").first.click()
    expect(staff.locator("[data-summary=ledger-check]")).to_contain_text("一致")
    screen_fits(staff)
    ledger = site.manage("shell", "-c", LEDGER.format(counter=COUNTER.code))
    (total, cash) = next(line.split()[1:] for line in ledger.splitlines() if line.startswith("LEDGER"))
    assert fen(staff.locator("[data-summary=sales-total]").inner_text()) == int(total)
    assert fen(staff.locator("[data-summary=ledger-total]").inner_text()) == int(total)
    assert fen(staff.locator("[data-summary=cash]").inner_text()) == int(cash)
    assert int(staff.locator("[data-summary=handed-over]").inner_text()) >= 1
