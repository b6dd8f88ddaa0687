"""English shoppers see products, categories and merchants named in English where a translation is given,
find them by English words, and are told, discreetly, when a name is still only in Chinese."""

import re

import pytest

from catalog.models import Category, SearchSynonym
from tests import factories
from tests.fixtures.http import card_names, messages_of
from tests.storefront.shop import stocked_variant

UNTRANSLATED = 'lang="zh-Hans" title="Not translated into English yet"'
PRODUCT_NOTE = "Not translated into English yet: shown in Chinese."
MERCHANT_NOTE = PRODUCT_NOTE


@pytest.fixture
def shop(db, warehouse):
    guicuo = factories.make_merchant(
        "洪安镇贵措社区脐橙专业合作社",
        name_en="Guicuo Community Navel Orange Cooperative",
        summary="以“合作社+党员+农户”模式种植脐橙3500亩。",
        summary_en="3,500 mu of navel oranges, grown as “cooperative + party members + farming households”.",
    )
    citrus = factories.make_category("柑橘水果")
    Category.objects.filter(pk=citrus.pk).update(name_en="Citrus fruit")
    gift = stocked_variant(
        (warehouse, 20),
        merchant=guicuo,
        category=Category.objects.get(pk=citrus.pk),
        name="贵措脐橙礼盒 5kg",
        name_en="Guicuo navel oranges, 5 kg gift box",
        summary="果大皮薄、酸甜多汁。",
        summary_en="Large, thin-skinned, sweet and juicy.",
    ).product
    honey = stocked_variant((warehouse, 20), name="秀山土蜂蜜", summary="一年一取的成熟蜜。").product
    return {"gift": gift, "honey": honey, "guicuo": guicuo}


def h1(page: str) -> str:
    return re.search(r"<h1[^>]*>.*?</h1>", page, re.S).group(0)


# -- Search ------------------------------------------------------------------------------------------------


def test_english_search_finds_the_navel_oranges_and_chinese_search_still_does(client, shop):
    SearchSynonym.objects.create(word="橙子", synonyms="脐橙")

    assert card_names(client.get("/en/products/", {"q": "orange"})) == ["Guicuo navel oranges, 5 kg gift box"]
    assert card_names(client.get("/en/products/", {"q": "citrus"})) == ["Guicuo navel oranges, 5 kg gift box"]
    assert card_names(client.get("/products/", {"q": "橙子"})) == ["贵措脐橙礼盒 5kg"]
    assert card_names(client.get("/en/products/", {"q": "橙子"})) == ["Guicuo navel oranges, 5 kg gift box"]


def test_suggestions_name_products_in_the_readers_language(client, shop):
    english = client.get("/en/search/suggest/", {"q": "oran"}).json()
    chinese = client.get("/search/suggest/", {"q": "oran"}).json()

    assert english["products"] == [
        {"name": "Guicuo navel oranges, 5 kg gift box", "url": f"/en/products/{shop['gift'].slug}/", "via": ""}
    ]
    assert [item["name"] for item in chinese["products"]] == ["贵措脐橙礼盒 5kg"]
    assert [item["name"] for item in client.get("/en/search/suggest/", {"q": "蜂蜜"}).json()["products"]] == [
        "秀山土蜂蜜"  # not translated: the Chinese name
    ]


# -- Product page and cards --------------------------------------------------------------------------------


def test_the_product_page_at_en_shows_the_english_name_summary_category_and_merchant(client, shop):
    page = client.get(f"/en/products/{shop['gift'].slug}/").content.decode()

    assert h1(page) == '<h1 class="product__name">Guicuo navel oranges, 5 kg gift box</h1>'
    assert "<title>Guicuo navel oranges, 5 kg gift box – Dexiu Market</title>" in page
    assert '<p class="product__summary">Large, thin-skinned, sweet and juicy.</p>' in page
    assert ">Citrus fruit</a></li>" in page  # the breadcrumb
    assert ">Guicuo Community Navel Orange Cooperative</a>" in page
    assert '"name": "Guicuo navel oranges, 5 kg gift box"' in page  # JSON-LD
    assert PRODUCT_NOTE not in page and UNTRANSLATED not in page.split("related-heading")[0]


def test_the_chinese_product_page_is_unchanged(client, shop):
    page = client.get(f"/products/{shop['gift'].slug}/").content.decode()

    assert h1(page) == '<h1 class="product__name">贵措脐橙礼盒 5kg</h1>'
    assert '<p class="product__summary">果大皮薄、酸甜多汁。</p>' in page
    assert "zh-Hans" not in page and "Guicuo navel oranges" not in page


def test_a_product_without_an_english_name_shows_the_chinese_marked_as_such(client, shop):
    page = client.get(f"/en/products/{shop['honey'].slug}/").content.decode()

    assert h1(page) == f'<h1 class="product__name" {UNTRANSLATED}>秀山土蜂蜜</h1>'
    assert f'<p class="product__summary" {UNTRANSLATED}>一年一取的成熟蜜。</p>' in page
    assert page.count(PRODUCT_NOTE) == 1
    assert PRODUCT_NOTE not in client.get(f"/products/{shop['honey'].slug}/").content.decode()


def test_cards_on_the_english_list_use_english_names_and_mark_the_chinese_ones(client, shop):
    page = client.get("/en/products/").content.decode()

    assert '<h3 class="product-card__name">Guicuo navel oranges, 5 kg gift box</h3>' in page
    assert f'<h3 class="product-card__name" {UNTRANSLATED}>秀山土蜂蜜</h3>' in page
    assert "<span>Guicuo Community Navel Orange Cooperative</span> ·" in page


def test_adding_to_the_cart_names_the_product_in_english(client, shop):
    variant = shop["gift"].variants.get()

    response = client.post("/en/cart/add/", {"variant": variant.pk, "quantity": "1"}, follow=True)

    assert messages_of(response) == [f"Added Guicuo navel oranges, 5 kg gift box {variant.name} to your cart."]


# -- Merchant page -----------------------------------------------------------------------------------------


def test_the_merchant_page_in_english_and_a_merchant_not_translated_yet(client, shop):
    translated = client.get(f"/en/merchants/{shop['guicuo'].slug}/").content.decode()
    untranslated = client.get(f"/en/merchants/{shop['honey'].merchant.slug}/").content.decode()

    assert h1(translated) == "<h1>Guicuo Community Navel Orange Cooperative</h1>"
    assert "3,500 mu of navel oranges" in translated and MERCHANT_NOTE not in translated
    assert h1(untranslated) == f"<h1 {UNTRANSLATED}>{shop['honey'].merchant.name}</h1>"
    assert untranslated.count(MERCHANT_NOTE) == 1
