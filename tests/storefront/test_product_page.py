"""The product page built for a phone (issue 15, part 5): picture thumbnails, one variant picker with the buy
buttons, the counters with their stock of each variant (folded after the first few, after the description),
the aid certificate, the operators' delivery promise, "buy now" to checkout with the chosen counter, the
added-to-cart message, and the counter stock kept current in the caches."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Location, Variant
from catalog.services import adjust_stock
from orders.counter.services import record_counter_sale
from storefront.cart_views import item_name
from storefront.models import StorefrontSettings
from tests import factories
from tests.fixtures.catalog import add_images, set_stock
from tests.storefront.shop import stocked_variant


def detail_url(product, language: str = "en") -> str:
    return f"{'/en' if language == 'en' else ''}/products/{product.slug}/"


def page_of(product, language: str = "en", client: Client | None = None) -> str:
    response = (client or Client()).get(detail_url(product, language))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def oil(db):
    merchant = factories.make_merchant("秀山油茶加工中心")
    product = factories.make_product(merchant, name="秀山野生山茶油", variants=0, description="<p>古法压榨。</p>")
    Variant.objects.create(product=product, sku="OIL-500", name="500ml", price=6800, sort_order=0)
    Variant.objects.create(product=product, sku="OIL-1L", name="1L", price=12800, sort_order=1)
    Variant.objects.create(product=product, sku="OIL-5L", name="5L 桶装", price=49800, sort_order=2)
    return product


def variant(product, sku: str) -> Variant:
    return product.variants.get(sku=sku)


def make_counter(name: str, **extra) -> Location:
    return factories.make_location(name=name, host="德百超市", opening_hours="08:30–21:00", **extra)


def counters_shown(html: str) -> dict[str, dict[str, tuple[str, str]]]:
    """Counter name → {variant id: (status, words shown)} as the page lists them."""
    shown = {}
    for item in re.findall(r'<li class="counter" data-counter>(.*?)</li>', html, re.S):
        name = re.search(r'<span class="counter__name">([^<·]+)', item).group(1).strip()
        levels = re.findall(
            r'data-variant="(\d+)" data-stock="(\w+)">(?:<span class="counter__variant">[^<]*</span> )?([^<]+)<', item
        )
        shown[name] = {pk: (status, words.strip()) for pk, status, words in levels}
    return shown


# --- Pictures -------------------------------------------------------------------------------------------------


def test_thumbnails_are_small_pictures_linking_to_their_slide(client, oil):
    add_images(oil, 3)
    html = page_of(oil)

    thumbs = re.findall(
        r'<a class="gallery__thumb" href="#picture-(\d)"[^>]*>\s*(<img [^>]*>)<span class="visually-hidden">([^<]+)<',
        html,
    )
    assert [(number, label) for number, _img, label in thumbs] == [
        ("1", "Picture 1"),
        ("2", "Picture 2"),
        ("3", "Picture 3"),
    ]
    for _number, img, _label in thumbs:
        assert re.search(r'src="[^"]+fill-160x160\.format-webp\.webp"', img)
        assert 'alt=""' in img  # the link names the picture
        assert re.search(r'width="\d+"', img) and re.search(r'height="\d+"', img)  # room kept: no layout shift
    slides = re.findall(r'<li id="picture-(\d)" class="gallery__slide">\s*<img [^>]*alt="([^"]+)"', html)
    assert slides == [("1", "秀山野生山茶油 图1"), ("2", "秀山野生山茶油 图2"), ("3", "秀山野生山茶油 图3")]
    assert 'aria-current="true"' in html.split('href="#picture-1"')[1].split(">")[0]


def test_a_single_picture_has_no_thumbnails(client, oil):
    add_images(oil, 1)
    assert "gallery__thumb" not in page_of(oil)


# --- One variant picker and the buy buttons ------------------------------------------------------------------------


def test_one_variant_picker_of_chips_with_name_and_price_and_the_chosen_ones_beside_the_buttons(
    client, oil, warehouse, settings
):
    settings.CATALOG_LOW_STOCK_LEVEL = 5
    set_stock(variant(oil, "OIL-500"), warehouse, 0)
    set_stock(variant(oil, "OIL-1L"), warehouse, 4)
    set_stock(variant(oil, "OIL-5L"), warehouse, 40)
    html = page_of(oil)

    form = re.search(r'<form id="add-to-cart".*?</form>', html, re.S).group(0)
    chips = re.findall(r'name="variant" value="(\d+)"', html)
    assert chips == [str(variant(oil, sku).pk) for sku in ("OIL-500", "OIL-1L", "OIL-5L")]
    assert form.count('type="radio" class="chip__input" name="variant"') == 3
    assert "<select" not in form and 'class="variants"' not in html  # no dropdown, no table repeating it
    assert re.search(r'class="chip__name">1L</span>\s*<span class="chip__price"><span class="price">¥128\.00', form)
    # The first variant on sale starts chosen; its price and stock sit beside the two buttons.
    assert re.search(rf'value="{variant(oil, "OIL-1L").pk}"[^>]* checked', form)
    bar = re.search(r'<div class="buy-bar">.*?</div>\s*</div>', form, re.S).group(0)
    assert re.search(r"data-buy-price>¥128\.00<", bar) and re.search(r"data-buy-stock>Only 4 left<", bar)
    assert re.findall(r'<button type="submit"[^>]*>([^<]+)</button>', bar) == ["Add to cart", "Buy now"]


def test_a_sold_out_product_lists_its_options_and_offers_nothing_to_buy(client, oil, warehouse):
    html = page_of(oil)
    assert "¥68.00" in html and "¥498.00" in html
    assert 'action="/en/cart/add/"' not in html and "Buy now" not in html
    assert len(re.findall(r'name="variant" value="\d+" id="variant-\d+" disabled', html)) == 3


# --- Counters and their stock -------------------------------------------------------------------------------------


def test_counters_show_their_stock_of_each_variant_in_shoppers_words(client, oil, warehouse, settings):
    settings.CATALOG_LOW_STOCK_LEVEL = 5
    a, b = make_counter("德百专柜"), make_counter("银座专柜")
    empty = make_counter("华联专柜")
    small, large, big = variant(oil, "OIL-500"), variant(oil, "OIL-1L"), variant(oil, "OIL-5L")
    set_stock(small, a, 20)
    set_stock(large, a, 2)
    set_stock(large, b, 9, allocated=4)  # held for orders: not for sale here
    set_stock(small, empty, 3, allocated=3)
    set_stock(big, warehouse, 50)

    html = page_of(oil)

    none = ("sold_out", "Out of stock here")
    assert counters_shown(html) == {
        "德百专柜": {
            str(small.pk): ("in_stock", "In stock"),
            str(large.pk): ("low", "Only 2 left"),
            str(big.pk): none,
        },
        "银座专柜": {str(small.pk): none, str(large.pk): ("low", "Only 5 left"), str(big.pk): none},
    }
    # Each counter is a choice of the add-to-cart form (for "buy now"), with its address and hours.
    assert re.search(rf'name="counter" value="{a.pk}" id="counter-{a.pk}" form="add-to-cart"', html)
    assert "08:30–21:00" in html and a.address in html

    chinese = page_of(oil, "zh-hans")
    assert "有货" in chinese and "仅剩 2 件" in chinese


def test_the_description_comes_before_the_counters_and_counters_past_three_are_folded(client, oil, warehouse):
    counters = [make_counter(f"{i}号专柜") for i in range(1, 6)]
    for counter in counters:
        set_stock(variant(oil, "OIL-1L"), counter, 10)
    html = page_of(oil)

    assert html.index("古法压榨") < html.index('id="pickup-heading"')
    shown, folded = html.split('<details class="counters-more">')
    assert list(counters_shown(shown)) == ["1号专柜", "2号专柜", "3号专柜"]
    assert list(counters_shown(folded)) == ["4号专柜", "5号专柜"]
    assert re.search(r'<summary class="counters-more__toggle[^"]*">2 more counters</summary>', folded)


def test_few_counters_are_not_folded(client, oil):
    set_stock(variant(oil, "OIL-1L"), make_counter("德百专柜"), 10)
    html = page_of(oil)
    assert list(counters_shown(html)) == ["德百专柜"] and "counters-more" not in html


# --- Aid certificate and delivery promise --------------------------------------------------------------------------


def certify(holder, *, days: int, number: str = "XS-2025-001", issuer: str = "秀山县乡村振兴局") -> None:
    factories.make_certificate(holder, timezone.localdate() + timedelta(days=days), number=number, issuer=issuer)


def certificate_shown(html: str) -> str | None:
    found = re.search(r'<li class="aid-certificate">(.*?)</li>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else None


def test_the_products_valid_certificate_is_shown_with_number_and_issuer(client, oil):
    certify(oil, days=0)  # valid through today
    assert (
        certificate_shown(page_of(oil))
        == "Consumption-aid certified Certificate no. XS-2025-001 · Issued by 秀山县乡村振兴局"
        " See it in the public register"
    )


def test_the_merchants_certificate_when_the_products_own_has_expired(client, oil):
    certify(oil, days=-1, number="XS-OLD")
    certify(oil.merchant, days=200, number="XS-M-7", issuer="")
    assert (
        certificate_shown(page_of(oil))
        == "Consumption-aid certified Certificate no. XS-M-7 See it in the public register"
    )


def test_nothing_is_shown_for_expired_certificates(client, oil):
    certify(oil, days=-1)
    certify(oil.merchant, days=-30)
    html = page_of(oil)
    assert certificate_shown(html) is None and "XS-2025-001" not in html and "Consumption-aid" not in html


def test_the_delivery_promise_comes_from_the_operators_settings_in_each_language(client, oil, warehouse):
    set_stock(variant(oil, "OIL-1L"), warehouse, 10)
    assert '<p class="delivery-promise">下单后 48 小时内发货</p>' in page_of(oil, "zh-hans")
    assert '<p class="delivery-promise">Ships within 48 hours of your order</p>' in page_of(oil)

    shop = StorefrontSettings.load()
    shop.delivery_promise = "今天下单，明天发货"
    shop.delivery_promise_en = ""
    shop.save()
    assert '<p class="delivery-promise">今天下单，明天发货</p>' in page_of(oil, "zh-hans")
    assert '<p class="delivery-promise">今天下单，明天发货</p>' in page_of(oil)  # no English text: the Chinese one

    shop.delivery_promise = ""
    shop.save()
    assert "delivery-promise" not in page_of(oil, "zh-hans")


# --- Adding to the cart, buying now ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("product", "variant_name", "expected"),
    [
        ("贵措脐橙礼盒 5kg", "5kg 礼盒", "贵措脐橙礼盒 5kg 礼盒"),
        ("贵措脐橙礼盒 5kg", "5kg 礼盒×2", "贵措脐橙礼盒 5kg 礼盒×2"),
        ("贵措脐橙尝鲜装 2.5kg", "5kg", "贵措脐橙尝鲜装 2.5kg 5kg"),  # a word, not a piece of one
        ("秀山野生山茶油", "500ml", "秀山野生山茶油 500ml"),
        ("Camellia Oil 1L", "1l", "Camellia Oil 1L"),
    ],
)
def test_item_name_says_each_word_once(product, variant_name, expected):
    assert item_name(product, variant_name) == expected


def test_the_added_to_cart_message_names_product_and_variant_once(client, warehouse):
    gift = stocked_variant((warehouse, 10), name="贵措脐橙礼盒 5kg", price=8800)
    gift.name = "5kg 礼盒"
    gift.save()
    next_page = detail_url(gift.product)
    response = client.post("/en/cart/add/", {"variant": gift.pk, "quantity": 1, "next": next_page}, follow=True)
    assert response.redirect_chain == [(next_page, 302)]
    shown = re.findall(r'<li class="message message--success">([^<]+)</li>', response.content.decode())
    assert shown == ["Added 贵措脐橙礼盒 5kg 礼盒 to your cart."]


@pytest.fixture
def two_counters(oil, warehouse):
    a, b = make_counter("德百专柜"), make_counter("银座专柜")
    set_stock(variant(oil, "OIL-1L"), a, 5)
    set_stock(variant(oil, "OIL-500"), b, 5)
    set_stock(variant(oil, "OIL-1L"), warehouse, 50)
    return a, b


def test_buy_now_adds_and_goes_to_checkout_with_the_chosen_counter_chosen(client, oil, two_counters):
    a, _b = two_counters
    large = variant(oil, "OIL-1L")
    response = client.post(
        "/en/cart/add/", {"variant": large.pk, "quantity": 2, "next": detail_url(oil), "buy_now": "1", "counter": a.pk}
    )
    assert response.status_code == 302 and response["Location"] == f"/en/checkout/?counter={a.pk}"

    checkout = client.get(response["Location"])
    html = checkout.content.decode()
    assert [(item.variant.pk, item.quantity) for item in checkout.context["summary"].items] == [(large.pk, 2)]
    assert re.search(r'name="method" value="pickup" id="method-pickup" checked', html)
    assert re.search(rf'name="pickup_location" value="{a.pk}" id="counter-{a.pk}" checked', html)


def test_a_counter_that_cannot_serve_the_cart_is_not_chosen_at_checkout(client, oil, two_counters):
    _a, b = two_counters  # b holds no 1L
    response = client.post("/en/cart/add/", {"variant": variant(oil, "OIL-1L").pk, "buy_now": "1", "counter": b.pk})
    html = client.get(response["Location"]).content.decode()
    assert not re.search(r'name="pickup_location" [^>]*checked', html)
    assert re.search(r'name="method" value="delivery" id="method-delivery" checked', html)


def test_buy_now_without_a_counter_or_with_garbage_goes_to_plain_checkout(client, oil, two_counters):
    large = variant(oil, "OIL-1L").pk
    assert client.post("/en/cart/add/", {"variant": large, "buy_now": "1"})["Location"] == "/en/checkout/"
    for garbage in ("abc", "-1", "1 OR 1=1", "٣"):
        response = client.post("/en/cart/add/", {"variant": large, "buy_now": "1", "counter": garbage})
        assert response["Location"] == "/en/checkout/"


def test_buy_now_of_a_sold_out_variant_stays_on_the_product_page(client, oil, two_counters):
    small = variant(oil, "OIL-5L")  # no stock anywhere
    response = client.post("/en/cart/add/", {"variant": small.pk, "buy_now": "1", "next": detail_url(oil)})
    assert response["Location"] == detail_url(oil)


# --- Caches: a counter's stock shown changes when that counter's availability does ---------------------------------


@pytest.fixture
def caches_on(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 3600
    settings.CATALOG_LOW_STOCK_LEVEL = 5


def test_a_sale_at_a_counter_updates_that_counters_stock_on_the_cached_page(
    oil, warehouse, caches_on, django_capture_on_commit_callbacks
):
    large = variant(oil, "OIL-1L")
    with django_capture_on_commit_callbacks(execute=True):
        a, b = make_counter("德百专柜"), make_counter("银座专柜")
        set_stock(large, warehouse, 50)  # the product stays "In stock" whatever the counters sell
        set_stock(large, a, 7)
        set_stock(large, b, 20)
        other = stocked_variant((warehouse, 30), name="土家织锦围巾").product
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant=large, location=warehouse, quantity=-1, actor=None, reason="售出")  # shown state known
    page = page_of(oil)
    assert counters_shown(page)["德百专柜"][str(large.pk)] == ("in_stock", "In stock")
    page_of(other)
    assert Client().get(detail_url(oil))["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        record_counter_sale(a, [(large.pk, 3)], actor=None)  # 7 → 4 at 德百专柜: "Only 4 left" there

    response = Client().get(detail_url(oil))
    assert response["X-Page-Cache"] == "miss"
    shown = counters_shown(response.content.decode())
    assert shown["德百专柜"][str(large.pk)] == ("low", "Only 4 left")
    assert shown["银座专柜"][str(large.pk)] == ("in_stock", "In stock")
    assert "In stock" in re.search(r'<p class="availability[^>]*>([^<]+)<', response.content.decode()).group(1)
    assert Client().get(detail_url(other))["X-Page-Cache"] == "hit"  # another product's page is left alone

    with django_capture_on_commit_callbacks(execute=True):
        record_counter_sale(b, [(large.pk, 1)], actor=None)  # 20 → 19: nothing shown changes
    assert Client().get(detail_url(oil))["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        record_counter_sale(a, [(large.pk, 4)], actor=None)  # the counter's last units
    shown = counters_shown(page_of(oil))
    assert "德百专柜" not in shown and shown["银座专柜"][str(large.pk)] == ("in_stock", "In stock")


def test_a_change_to_a_counter_or_the_promise_shows_on_the_cached_page(
    oil, warehouse, caches_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        counter = make_counter("德百专柜")
        set_stock(variant(oil, "OIL-1L"), counter, 10)
    assert "08:30–21:00" in page_of(oil)
    with django_capture_on_commit_callbacks(execute=True):
        counter.opening_hours = "09:00–20:00"
        counter.save()
    assert "09:00–20:00" in page_of(oil)

    with django_capture_on_commit_callbacks(execute=True):
        shop = StorefrontSettings.load()
        shop.delivery_promise_en = "Ships the next day"
        shop.save()
    assert '<p class="delivery-promise">Ships the next day</p>' in page_of(oil)


def test_operators_edit_the_delivery_promise_and_merchants_cannot(client, oil, warehouse, operator):
    set_stock(variant(oil, "OIL-1L"), warehouse, 10)
    shop = StorefrontSettings.load()
    address = reverse("wagtailsettings:edit", args=["storefront", "storefrontsettings", shop.pk])
    merchant = factories.make_merchant_user(oil.merchant)

    client.force_login(merchant)
    refused = client.post(address, {"delivery_promise": "马上发货", "delivery_promise_en": ""})
    assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")

    client.force_login(operator)
    assert client.get(address).status_code == 200
    saved = client.post(
        address, {"delivery_promise": "下单后 24 小时内发货", "delivery_promise_en": "Ships within a day"}
    )
    assert saved.status_code == 302
    client.logout()
    assert '<p class="delivery-promise">下单后 24 小时内发货</p>' in page_of(oil, "zh-hans")
    assert '<p class="delivery-promise">Ships within a day</p>' in page_of(oil)
