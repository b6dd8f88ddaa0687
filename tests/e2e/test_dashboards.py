"""The merchant's and the counter's dashboards, in Chinese, with their to-dos; the stock list grouped by product
on a 1366x768 screen; a price typed in yuan reaching the shop.

A shopper buys the merchant's taster box for pickup at the demo counter and pays: the counter's dashboard lists
the order to prepare, and the merchant's shows the sale this month, next to its low stock from the demo data.
"""

import re

from playwright.sync_api import Page, expect

from demo import data
from tests.e2e.actions import admin_login, place_pickup_order
from tests.e2e.chinese import assert_chinese
from tests.e2e.conftest import ARTIFACTS

COUNTER = data.COUNTERS[0]  # dz-decheng, where the demo counter user works
TASTER = "guicuo-navel-orange-taster"  # the guicuo merchant's, stocked at that counter
FAMILY_BOX = "guicuo-navel-orange-family-10kg"  # one variant: its price is changed in yuan
PRODUCTS = {p.slug: p for p in data.PRODUCTS}
SCREEN = {"width": 1366, "height": 768}


def panel(page: Page, name: str):
    return page.locator(f"[data-dashboard-panel='{name}']")


def count_of(page: Page, name: str) -> int:
    return int(panel(page, name).get_attribute("data-count"))


def buy_for_pickup(shopper: Page) -> str:
    shopper.goto(f"/products/{TASTER}/")
    shopper.locator("form[action$='/cart/add/'] [type=submit]").first.click()
    expect(shopper.locator(".messages")).to_contain_text(PRODUCTS[TASTER].name)
    shopper.goto("/checkout/")
    number = place_pickup_order(shopper, "刘芳", "13811112222", COUNTER.name)
    status_url = shopper.url.removesuffix("pay/")
    shopper.get_by_role("button", name="支付（演示，非真实付款）").click()
    shopper.goto(status_url)
    expect(shopper.locator(".order__status .status")).to_have_class(re.compile(r"status--paid"))
    return number


def check_stock_list(page: Page) -> None:
    """Grouped by product (each product once), the 可售 heading fully on screen, all in Chinese."""
    page.goto("/admin/stock/?ordering=available")
    products = page.locator("details.dx-stock__product")
    expect(products.first).to_be_visible()
    ids = [products.nth(i).get_attribute("data-product") for i in range(products.count())]
    assert len(ids) == len(set(ids)), ids
    heading = page.locator("th[data-column='available']")
    expect(heading).to_contain_text("可售")
    box = heading.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= SCREEN["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], box
    products.first.locator("summary").click()  # a product opens on its variants and locations
    expect(products.first.locator("tbody tr").first).to_be_visible()
    assert_chinese(page)


def test_merchant_and_counter_dashboards_stock_list_and_a_price_in_yuan(open_page):
    shopper = open_page()
    number = buy_for_pickup(shopper)

    counter = open_page()
    counter.set_viewport_size(SCREEN)
    admin_login(counter, "counter")
    to_prepare = panel(counter, "pickups-to-prepare")
    expect(to_prepare).to_contain_text(number)
    assert count_of(counter, "pickups-to-prepare") >= 1
    expect(panel(counter, "waiting-pickups")).to_contain_text("没有")  # nothing waiting: it says so
    assert panel(counter, "parts-to-ship").count() == 0  # a merchant's panel, not the counter's
    assert_chinese(counter)
    counter.screenshot(path=str(ARTIFACTS / "dashboard-counter.png"), full_page=True)
    to_prepare.get_by_role("link", name=number).click()
    expect(counter.locator("tr", has_text=number)).to_have_count(1)  # where the work is done: the console
    check_stock_list(counter)

    merchant = open_page()
    merchant.set_viewport_size(SCREEN)
    admin_login(merchant, "guicuo")
    assert count_of(merchant, "low-stock") > 0  # the demo's low and sold-out counters
    expect(panel(merchant, "month-sales")).to_contain_text(PRODUCTS[TASTER].name)
    expect(panel(merchant, "parts-to-ship")).to_be_visible()
    assert panel(merchant, "pickups-to-prepare").count() == 0
    assert_chinese(merchant)
    merchant.screenshot(path=str(ARTIFACTS / "dashboard-merchant.png"), full_page=True)
    check_stock_list(merchant)
    merchant.screenshot(path=str(ARTIFACTS / "stock-list-merchant.png"))

    merchant.goto("/admin/snippets/catalog/product/?q=" + PRODUCTS[FAMILY_BOX].name)
    merchant.get_by_role("link", name=PRODUCTS[FAMILY_BOX].name).first.click()
    merchant.get_by_role("tab", name="规格").click()
    price = merchant.locator("#id_variants-0-price")
    expect(price).to_have_value(re.compile(r"^\d+\.\d\d$"))  # shown in yuan, as typed
    price.fill("59.00")
    merchant.get_by_role("button", name="保存").first.click()
    expect(merchant.locator(".messages")).to_be_visible()

    shopper.goto(f"/products/{FAMILY_BOX}/")
    expect(shopper.locator("main")).to_contain_text("¥59.00")
