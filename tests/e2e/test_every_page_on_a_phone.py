"""Every public page on a phone, in both languages: at 360, 390 and 414 px nothing sticks out of the screen and
no element is wider than it, every control a thumb taps is at least 44 px tall, and axe finds no serious or
critical problem. The shopping pages (cart, checkout, pay, order, the signed-in shopper's orders) are reached as
a shopper reaches them. A screenshot of each page at 390 px lands in the artifacts (``E2E_ARTIFACTS``/phone/),
which CI keeps.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.actions import OVERFLOWING, SMALL_TARGETS, place_pickup_order, serious_violations
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.site import Site

WIDTHS = (360, 390, 414)
SCREENSHOT_WIDTH = 390
LANGUAGES = {"zh": "", "en": "/en"}
PRODUCT = "/products/guicuo-navel-orange-gift-5kg/"
PAGES = {
    "home": "/",
    "products": "/products/",
    "filtered": "/products/?category=citrus&sort=price_asc&in_stock=1",
    "search": "/products/?q=橙子",
    "search-pinyin": "/products/?q=qicheng",
    "search-nothing": "/products/?q=潜水艇",
    "product": PRODUCT,
    "stories": "/stories/",
    "story": "/stories/guicuo-navel-orange-cooperative/",
    "producer": "/merchants/guicuo-navel-orange-cooperative/",
    "counters": "/counters/",
    "campaign": "/dezhou-flavour-zone/",
    "impact": "/impact/",
    "certified": "/certified/",
    "trace": "/trace/QC5K26XB/",  # the demo's batch (demo/data.py: BATCH)
    "packs": "/packs/",
    "pack": "/packs/xiushan-nianhuo-libao/",  # the demo's gift pack (demo/data.py: PACK)
    "presale": "/products/camellia-oil-gift-box/",  # with the demo's pre-sale (demo/data.py: PRESALE)
    "vouchers": "/vouchers/",  # the demo's voucher batch (demo/data.py: VOUCHER_BATCH), to a guest
    "about": "/about/",
    "contact": "/contact/",
    "login": "/account/login/",
    "register": "/account/register/",
    "phone-sign-in": "/account/phone/",
    "password-reset": "/account/password-reset/",
    "not-found": "/404/",  # the shoppers' 404 page (the site under test runs with DEBUG on: config/urls.py)
}
SHOPPER = ("phone-shopper", "a-long-demo-passphrase-2026")
CREATE_SHOPPER = f"""
from django.contrib.auth import get_user_model
get_user_model().objects.filter(username="{SHOPPER[0]}").exists() or get_user_model().objects.create_user(
    "{SHOPPER[0]}", password="{SHOPPER[1]}", first_name="小红")
"""


def fits_every_phone(page: Page, language: str, name: str) -> None:
    """The page as it is now, at each phone width: nothing outside the screen; a screenshot at 390 px."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        found = page.evaluate(OVERFLOWING)
        assert found["scroll"] <= found["width"] and found["out"] == [], (width, found)
        if width == SCREENSHOT_WIDTH:
            assert page.evaluate(SMALL_TARGETS) == []  # 44 px touch targets
            folder = ARTIFACTS / "phone"
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"{language}-{name}.png"), full_page=True)
    assert serious_violations(page) == []


@pytest.fixture(scope="module")
def shopper(site: Site) -> tuple[str, str]:
    site.manage("shell", "-c", CREATE_SHOPPER)
    return SHOPPER


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_public_page_fits_a_phone(page, language, name):
    page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": 844})
    response = page.goto(LANGUAGES[language] + PAGES[name])
    assert response is not None and response.status == (404 if name == "not-found" else 200)
    expect(page.locator("nav.tab-bar")).to_be_visible()  # 首页 / 分类 / 购物车 / 我的 on every page
    fits_every_phone(page, language, name)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/", "/products/"])
def test_products_start_on_the_first_screen(page, language, path):
    """On a 390 x 844 phone the home page and the product list show a product above the tab bar before the
    first scroll."""
    page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": 844})
    page.goto(LANGUAGES[language] + path)
    top = page.locator(".product-card").first.bounding_box()["y"]
    assert top < page.locator("nav.tab-bar").bounding_box()["y"], top


@pytest.mark.parametrize("language", LANGUAGES)
def test_shopping_pages_fit_a_phone(page, shopper, language):
    prefix = LANGUAGES[language]
    page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": 844})
    page.goto(prefix + "/account/login/")
    page.locator(".sign-in-option--password summary").click()  # the phone's SMS code comes first
    page.fill("#id_username", shopper[0])
    page.fill("#id_password", shopper[1])
    page.locator("form:has(#id_username) [type=submit]").click()
    page.wait_for_url(re.compile(r"/account/orders/$"))
    fits_every_phone(page, language, "my-orders-empty")

    for slug in ("guicuo-navel-orange-gift-5kg", "tujia-brocade-scarf"):
        page.goto(f"{prefix}/products/{slug}/")
        page.locator("form[action$='/cart/add/'] [type=submit]").first.click()
    page.goto(prefix + "/cart/")
    expect(page.locator(".cart-line")).to_have_count(2)
    fits_every_phone(page, language, "cart")

    page.goto(prefix + "/checkout/")
    fits_every_phone(page, language, "checkout")
    number = place_pickup_order(page, "王小红", "13912345678")
    fits_every_phone(page, language, "pay")

    order_url = page.url.removesuffix("pay/")
    page.goto(order_url)
    fits_every_phone(page, language, "order-awaiting-payment")
    page.goto(order_url + "pay/")
    page.locator("form[action$='/pay/demo/'] [type=submit]").click()
    page.goto(order_url)
    expect(page.locator(".pickup__code")).to_have_count(1)
    fits_every_phone(page, language, "order-paid")

    page.goto(prefix + "/account/orders/")
    expect(page.locator("main")).to_contain_text(number)
    fits_every_phone(page, language, "my-orders")
