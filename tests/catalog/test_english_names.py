"""English names of products, categories and merchants: shown in the reader's language, edited in the back
office, searched by English words, and given for the whole demo catalogue."""

import pytest
from django.utils import translation
from wagtail.test.utils.form_data import querydict_from_html

from catalog.models import Category, Merchant, Product
from catalog.search import search, singulars
from demo import data as demo
from tests import factories
from tests.catalog.admin_world import PRODUCT, url
from tests.fixtures.http import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    guicuo = factories.make_merchant(
        "洪安镇贵措社区脐橙专业合作社", name_en="Guicuo Community Navel Orange Cooperative", summary="种植脐橙3500亩"
    )
    citrus = factories.make_category("柑橘水果")
    Category.objects.filter(pk=citrus.pk).update(name_en="Citrus fruit")
    brocade = factories.make_category("土家织锦")
    Category.objects.filter(pk=brocade.pk).update(name_en="Tujia brocade")
    return {
        "gift": factories.make_product(
            guicuo,
            category=Category.objects.get(pk=citrus.pk),
            name="贵措脐橙礼盒 5kg",
            name_en="Guicuo navel oranges, 5 kg gift box",
            summary="果大皮薄、酸甜多汁。",
            summary_en="Large, thin-skinned, sweet and juicy.",
        ),
        "oil": factories.make_product(
            name="秀山野生山茶油", name_en="Xiushan wild camellia oil", summary_en="Cold-pressed tea oil."
        ),
        "scarf": factories.make_product(name="土家织锦围巾", category=Category.objects.get(pk=brocade.pk)),
        "honey": factories.make_product(name="秀山土蜂蜜"),
    }


def names(query: str) -> set[str]:
    return set(search(Product.objects.all(), query).values_list("name", flat=True))


# -- The name in the reader's language ---------------------------------------------------------------------


def test_display_names_are_english_on_the_english_site_and_chinese_on_the_chinese_one(catalogue):
    gift = Product.objects.select_related("merchant", "category").get(pk=catalogue["gift"].pk)

    with translation.override("en"):
        assert gift.display_name == "Guicuo navel oranges, 5 kg gift box"
        assert gift.display_summary == "Large, thin-skinned, sweet and juicy."
        assert gift.category.display_name == "Citrus fruit"
        assert gift.merchant.display_name == "Guicuo Community Navel Orange Cooperative"
        assert not gift.name_untranslated and not gift.summary_untranslated
    with translation.override("zh-hans"):
        assert gift.display_name == "贵措脐橙礼盒 5kg"
        assert gift.display_summary == "果大皮薄、酸甜多汁。"
        assert gift.category.display_name == "柑橘水果"
        assert gift.merchant.display_name == "洪安镇贵措社区脐橙专业合作社"


def test_a_missing_translation_shows_the_chinese_and_says_so_only_on_the_english_site(catalogue):
    honey, gift = catalogue["honey"], catalogue["gift"]

    with translation.override("en"):
        assert honey.display_name == "秀山土蜂蜜"
        assert honey.name_untranslated
        assert not honey.summary_untranslated  # it has no summary at all: nothing is missing
        assert gift.merchant.summary_untranslated  # a Chinese summary without its English
        assert honey.category.name_untranslated
    with translation.override("zh-hans"):
        assert not honey.name_untranslated and not gift.merchant.summary_untranslated


# -- English search ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("orange", {"贵措脐橙礼盒 5kg"}),  # the product's English name, in the singular
        ("Oranges", {"贵措脐橙礼盒 5kg"}),
        ("navel orange gift box", {"贵措脐橙礼盒 5kg"}),
        ("juicy", {"贵措脐橙礼盒 5kg"}),  # its English summary
        ("citrus", {"贵措脐橙礼盒 5kg"}),  # its category's English name
        ("cooperative", {"贵措脐橙礼盒 5kg"}),  # its merchant's
        ("tea oil", {"秀山野生山茶油"}),
        ("oil of camellia", {"秀山野生山茶油"}),  # "of" asks for nothing
        ("brocade", {"土家织锦围巾"}),  # the scarf has no English name: its category has
        ("脐橙", {"贵措脐橙礼盒 5kg"}),  # Chinese and pinyin as before
        ("qicheng", {"贵措脐橙礼盒 5kg"}),
    ],
)
def test_english_words_find_products_by_their_english_names(catalogue, query, expected):
    assert names(query) == expected


def test_an_english_name_given_later_or_on_the_category_is_searchable_at_once(catalogue):
    assert names("honey") == set()
    honey = catalogue["honey"]
    honey.name_en = "Xiushan wild mountain honey"
    honey.save()
    category = honey.category
    category.name_en = "Beekeeping"
    category.save()

    assert names("honey") == {"秀山土蜂蜜"}
    assert names("beekeeping") == {"秀山土蜂蜜"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("oranges", ["orange"]),
        ("tomatoes", ["tomato", "tomatoe"]),
        ("berries", ["berry", "berrie"]),
        ("boxes", ["box", "boxe"]),
        ("orange", []),
        ("glass", []),
        ("xsys", ["xsy"]),  # stored pinyin is matched as itself too
        ("gas", []),  # too short to take for a plural
        ("5kgs", []),
    ],
)
def test_singulars_let_plurals_meet(word, expected):
    assert singulars(word) == expected


# -- Back office -------------------------------------------------------------------------------------------


def test_the_product_form_saves_the_english_name_and_summary(client, world):
    login(client, world.alice)
    form = client.get(url(f"{PRODUCT}:edit", world.product_a.pk))
    page = form.content.decode()
    assert "Shown on the English site; leave blank to show the Chinese there." in page
    data = querydict_from_html(page, form_id="w-editor-form")
    data["name_en"] = "Hong'an camellia oil"
    data["summary_en"] = "Cold-pressed, first pressing."

    response = client.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 302
    world.product_a.refresh_from_db()
    product = world.product_a
    assert (product.name_en, product.summary_en) == ("Hong'an camellia oil", "Cold-pressed, first pressing.")
    assert names("camellia") == {world.product_a.name}


def test_the_merchant_and_category_forms_save_their_english_names(client, world):
    login(client, world.operator)
    form = client.get(url("merchant:edit", world.merchant_a.pk))
    data = querydict_from_html(form.content.decode(), form_id="w-editor-form")
    data.update({"name_en": "Hong'an Camellia Oil Cooperative", "summary_en": "Camellia groves above the Youshui."})

    assert client.post(url("merchant:edit", world.merchant_a.pk), data).status_code == 302
    created = client.post(
        url("category:add"),
        {"name": "土家织锦", "name_en": "Tujia brocade", "slug": "brocade", "description": "", "sort_order": "3"},
    )

    assert created.status_code == 302
    merchant = Merchant.objects.get(pk=world.merchant_a.pk)
    assert (merchant.name_en, merchant.summary_en) == (
        "Hong'an Camellia Oil Cooperative",
        "Camellia groves above the Youshui.",
    )
    assert Category.objects.get(slug="brocade").name_en == "Tujia brocade"
    assert world.product_a.name in names("cooperative")  # the merchant's English name is searched


# -- The demo catalogue ------------------------------------------------------------------------------------


def test_the_demo_gives_every_product_category_and_merchant_an_english_name_and_summary():
    assert all(category.name_en for category in demo.CATEGORIES)
    assert all(merchant.name_en and merchant.summary_en for merchant in demo.MERCHANTS)
    assert all(product.name_en and product.summary_en for product in demo.PRODUCTS)
    assert all(not any("\u4e00" <= c <= "\u9fff" for c in product.name_en) for product in demo.PRODUCTS)
