"""Every public page on a phone, in both languages: at 360, 390 and 414 px nothing sticks out of the screen and
no element is wider than it, every control a thumb taps is at least 44 px tall, and axe finds no serious or
critical problem. The shopping pages (cart, checkout, pay, order, the signed-in shopper's orders, the flash
sale's sold-out answer) are reached as a shopper reaches them. A screenshot of each page at 390 px lands in the
artifacts (``E2E_ARTIFACTS``/phone/), which CI keeps.
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
# One unit of a product of its own per language, for the sold-out answer (the demo's stock stays as it is); its
# name matches no search of the other tests, and it is unpublished afterwards.
LAST_UNIT = """
from catalog.models import Category, Location, Merchant, Product, Variant
from catalog.services import receive_stock
product, _ = Product.objects.update_or_create(slug="{slug}", defaults=dict(
    merchant=Merchant.objects.order_by("pk").first(), category=Category.objects.order_by("pk").first(),
    name="手机测试 · 最后一件", is_published=True))
variant, _ = Variant.objects.get_or_create(product=product, sku="{slug}", defaults=dict(name="5kg", price=5900))
receive_stock(variant=variant, location=Location.objects.get(kind="warehouse"), quantity=1, actor=None,
    reason="phone test")
"""
UNPUBLISH = """
from catalog.models import Product
product = Product.objects.get(slug="{slug}")
product.is_published = False
product.save()
"""
SELL_LAST_UNIT = """
from catalog.models import Location, Variant
from catalog.services import adjust_stock
adjust_stock(variant=Variant.objects.get(sku="{slug}"), location=Location.objects.get(kind="warehouse"),
    quantity=-1, actor=None, reason="sold at the counter meanwhile")
"""
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


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sold_out_answer_fits_a_phone(page, site, language):
    """A flash sale's late buyer: the last unit went while the checkout form was open; placing the order gets
    the short sold-out page (409), and it fits the phone like every other page."""
    slug = f"phone-last-unit-{language}"
    site.manage("shell", "-c", LAST_UNIT.format(slug=slug))
    try:
        buy_the_unit_sold_meanwhile(page, site, LANGUAGES[language], slug)
    finally:
        site.manage("shell", "-c", UNPUBLISH.format(slug=slug))
    expect(page.locator("h1")).to_have_text("已售罄" if language == "zh" else "Sold out")
    expect(page.locator("a[href$='/cart/']").first).to_be_visible()
    fits_every_phone(page, language, "sold-out")


def buy_the_unit_sold_meanwhile(page: Page, site: Site, prefix: str, slug: str) -> None:
    page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": 844})
    page.goto(f"{prefix}/products/{slug}/")
    page.locator("form[action$='/cart/add/'] [type=submit]").first.click()
    page.goto(prefix + "/checkout/")
    page.fill("input[name=name]", "王小红")
    page.fill("input[name=phone]", "13912345678")
    page.check("input[name=method][value=delivery]")
    address = {"province": "山东省", "city": "德州市", "district": "德城区", "street": "东风中路 1 号"}
    for field, value in address.items():
        page.fill(f"input[name={field}]", value)
    site.manage("shell", "-c", SELL_LAST_UNIT.format(slug=slug))
    with page.expect_response(lambda response: response.request.method == "POST") as placed:
        page.locator("form.checkout-form button.button--large").click()
    assert placed.value.status == 409
