import re
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Certificate, Variant
from catalog.regions import XiushanTownship
from tests import factories
from tests.fixtures.catalog import set_stock
from tests.fixtures.http import card_names

LIST = "/en/products/"


names = card_names


@pytest.fixture
def catalogue(db, warehouse):
    """Four public products with different merchants, places, marks, prices and stock."""
    now = timezone.now()
    oranges = factories.make_category("水果")
    oils = factories.make_category("粮油")
    crafts = factories.make_category("手工艺")
    guicuo = factories.make_merchant("贵措脐橙合作社", township=XiushanTownship.HONGAN)
    oil_mill = factories.make_merchant("秀山油茶加工中心", township=XiushanTownship.QINGXICHANG)
    workshop = factories.make_merchant("隘口土家织锦工坊", township=XiushanTownship.AIKOU)
    products = {
        "orange": factories.make_product(
            guicuo, category=oranges, name="贵措脐橙礼盒 5kg", price=6800, created_at=now - timedelta(days=4)
        ),
        "oil": factories.make_product(
            oil_mill,
            category=oils,
            name="秀山野生山茶油",
            price=12800,
            created_at=now - timedelta(days=3),
        ),
        "scarf": factories.make_product(
            workshop, category=crafts, name="土家织锦围巾", price=26800, created_at=now - timedelta(days=2)
        ),
        "green_oil": factories.make_product(
            oil_mill, category=oils, name="秀山菜籽油", price=4500, created_at=now - timedelta(days=1)
        ),
    }
    next_year = timezone.localdate() + timedelta(days=365)
    factories.make_certificate(guicuo, next_year, kind=Certificate.Kind.GEOGRAPHICAL_INDICATION)
    factories.make_certificate(products["oil"], next_year, kind=Certificate.Kind.ORGANIC)
    factories.make_certificate(products["green_oil"], next_year, kind=Certificate.Kind.GREEN_FOOD)
    set_stock(products["orange"].variants.get(), warehouse, 30)
    set_stock(products["oil"].variants.get(), warehouse, 2)
    set_stock(products["scarf"].variants.get(), warehouse, 5, allocated=5)
    return products


def test_lists_published_products_of_active_merchants_only(client, catalogue):
    factories.make_product(name="未上架的蜂蜜", published=False)
    factories.make_product(factories.make_merchant(is_active=False), name="停用商户的腊肉")

    response = client.get(LIST)

    assert response.status_code == 200
    assert set(names(response)) == {"贵措脐橙礼盒 5kg", "秀山野生山茶油", "土家织锦围巾", "秀山菜籽油"}
    html = response.content.decode()
    assert "未上架的蜂蜜" not in html
    assert "停用商户的腊肉" not in html


def test_newest_products_come_first_by_default(client, catalogue):
    assert names(client.get(LIST)) == ["秀山菜籽油", "土家织锦围巾", "秀山野生山茶油", "贵措脐橙礼盒 5kg"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "__oils__"}, {"秀山野生山茶油", "秀山菜籽油"}),
        ({"merchant": "__oil_mill__"}, {"秀山野生山茶油", "秀山菜籽油"}),
        ({"township": "aikou"}, {"土家织锦围巾"}),
        ({"mark": "organic"}, {"秀山野生山茶油"}),
        ({"mark": "green"}, {"秀山菜籽油"}),
        ({"mark": "gi"}, {"贵措脐橙礼盒 5kg"}),  # the merchant holds the mark
        ({"in_stock": "1"}, {"贵措脐橙礼盒 5kg", "秀山野生山茶油"}),  # the scarf's stock is all allocated
        ({"category": "__oils__", "in_stock": "1"}, {"秀山野生山茶油"}),
        ({"merchant": "__oil_mill__", "mark": "green"}, {"秀山菜籽油"}),
        ({"township": "hongan", "category": "__oils__"}, set()),
    ],
)
def test_filters_narrow_the_list(client, catalogue, query, expected):
    slugs = {
        "__oils__": catalogue["oil"].category.slug,
        "__oil_mill__": catalogue["oil"].merchant.slug,
    }
    params = {key: slugs.get(value, value) for key, value in query.items()}

    response = client.get(LIST, params)

    assert response.status_code == 200
    assert set(names(response)) == expected
    assert not list(response.context["messages"])


def test_filters_are_kept_in_the_form(client, catalogue):
    oils = catalogue["oil"].category
    html = client.get(LIST, {"category": oils.slug, "in_stock": "1", "sort": "price_desc"}).content.decode()
    assert f'<option value="{oils.slug}" selected>' in html
    assert '<option value="price_desc" selected>' in html
    assert re.search(r'<input type="checkbox" name="in_stock"[^>]*checked', html)


def test_the_form_shows_each_pages_own_filters_and_new_options_at_once(
    client, catalogue, django_capture_on_commit_callbacks
):
    """The form's fields are kept rendered per language and filters (``storefront.views.filter_fields``)."""
    oils, crafts = catalogue["oil"].category, catalogue["scarf"].category
    client.get(LIST, {"category": oils.slug})
    html = client.get(LIST, {"category": crafts.slug, "q": "织锦"}).content.decode()
    assert f'<option value="{crafts.slug}" selected>' in html and f'<option value="{oils.slug}">' in html
    assert '<input type="hidden" name="q" value="织锦" id="id_q">' in html
    plain = client.get(LIST).content.decode()
    assert not re.search(
        r'<option value="[^"]+" selected>', plain.split('class="filters__form"')[1].split('name="sort"')[0]
    )
    assert '<input type="hidden" name="q" id="id_q">' in plain

    with django_capture_on_commit_callbacks(execute=True):
        factories.make_product(category=factories.make_category("蔬菜"))
    assert ">蔬菜</option>" in client.get(LIST, {"category": crafts.slug}).content.decode()


def test_every_filter_control_has_a_label(client, catalogue):
    html = client.get(LIST).content.decode()
    form = html[html.index('class="filters__form"') :]
    form = form[: form.index("</form>")]
    control_ids = re.findall(r'<(?:input(?![^>]*type="hidden")|select)[^>]*\bid="([^"]+)"', form)
    assert len(control_ids) == 6  # the words searched for ride along hidden: they are typed in the header
    for control_id in control_ids:
        assert f'<label for="{control_id}"' in form


def test_nonsense_filter_values_are_ignored_with_a_message(client, catalogue):
    response = client.get(
        LIST, {"category": "nope", "sort": "bogus", "page": "abc", "mark": "x", "in_stock": "maybe", "township": "mars"}
    )

    assert response.status_code == 200
    assert len(names(response)) == 4
    html = response.content.decode()
    assert "Ignored an unknown filter value." in html
    assert "Ignored an unknown page number." in html


@pytest.mark.parametrize(
    "params",
    [
        {"merchant": "不存在", "page": "9" * 5000, "q": "x" * 500},
        {"q": "\x00", "category": "\x00", "page": "\x00", "in_stock": "\x00"},
        {"page": "-3", "sort": "price_asc'; DROP TABLE catalog_product; --"},
    ],
)
def test_nonsense_never_errors(client, catalogue, params):
    response = client.get("/products/", params)
    assert response.status_code == 200
    assert len(names(response)) == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [("脐橙", "贵措脐橙礼盒 5kg"), ("茶油", "秀山野生山茶油"), ("织锦", "土家织锦围巾")],
)
def test_search_finds_chinese_words_inside_longer_names(client, catalogue, query, expected):
    response = client.get(LIST, {"q": query})
    assert names(response) == [expected]
    assert expected in response.content.decode()


def test_search_lists_the_best_match_first_and_combines_with_filters(client, catalogue):
    assert set(names(client.get(LIST, {"q": "秀山"}))) == {"秀山野生山茶油", "秀山菜籽油"}
    assert names(client.get(LIST, {"q": "秀山", "mark": "organic"})) == ["秀山野生山茶油"]
    assert names(client.get(LIST, {"q": "秀山", "sort": "price_asc"})) == ["秀山菜籽油", "秀山野生山茶油"]


def test_search_for_something_absent_shows_an_empty_state(client, catalogue):
    response = client.get(LIST, {"q": "榴莲"})
    assert response.status_code == 200
    assert response.context["cards"] == []  # the cards shown are the popular products (tests/storefront/test_search)
    assert "No products found for “榴莲”." in response.content.decode()


def test_sort_by_price_both_ways(client, catalogue):
    factories.make_product(name="无规格商品", variants=0)
    cheapest_first = names(client.get(LIST, {"sort": "price_asc"}))
    dearest_first = names(client.get(LIST, {"sort": "price_desc"}))
    assert cheapest_first == ["秀山菜籽油", "贵措脐橙礼盒 5kg", "秀山野生山茶油", "土家织锦围巾", "无规格商品"]
    assert dearest_first == ["土家织锦围巾", "秀山野生山茶油", "贵措脐橙礼盒 5kg", "秀山菜籽油", "无规格商品"]


def test_price_sort_uses_the_cheapest_active_variant(client, catalogue):
    scarf = catalogue["scarf"]
    Variant.objects.create(product=scarf, sku="SCARF-SMALL", name="小号", price=100, is_active=False)
    Variant.objects.create(product=scarf, sku="SCARF-MINI", name="迷你", price=3000)
    assert names(client.get(LIST, {"sort": "price_asc"}))[:2] == ["土家织锦围巾", "秀山菜籽油"]


def test_cards_show_price_merchant_and_availability(client, catalogue):
    html = client.get(LIST).content.decode()
    assert "¥68.00" in html
    assert "贵措脐橙合作社" in html
    assert "Only 2 left" in html  # the tea oil
    assert "Sold out" in html  # the scarf: everything is allocated
    assert "In stock" in html  # the oranges


def test_pagination_keeps_the_filters(client, catalogue, settings):
    settings.CATALOG_PAGE_SIZE = 2
    category = factories.make_category("蔬菜")
    for i in range(5):
        factories.make_product(category=category, name=f"有机蔬菜{i}", created_at=timezone.now() + timedelta(minutes=i))

    first = client.get(LIST, {"category": category.slug})
    assert names(first) == ["有机蔬菜4", "有机蔬菜3"]
    html = first.content.decode()
    assert f'href="?category={category.slug}&amp;page=2"' in html
    assert f'href="?category={category.slug}&amp;page=3"' in html

    assert names(client.get(LIST, {"category": category.slug, "page": "3"})) == ["有机蔬菜0"]
    # Past the end: the last page.
    assert names(client.get(LIST, {"category": category.slug, "page": "99"})) == ["有机蔬菜0"]


def test_only_get_and_head_are_allowed(client, catalogue):
    assert client.post(LIST).status_code == 405
    assert client.head(LIST).status_code == 200
