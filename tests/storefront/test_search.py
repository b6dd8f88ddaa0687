"""The one search a shopper uses: the header's field, the product list as its results (with the count and an
empty state that helps), suggestions as they type, synonyms the operators keep, pinyin."""

import html
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import SearchSynonym
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.catalog import build_catalogue
from tests.fixtures.http import CARD_NAME, card_names, login

LIST = "/en/products/"
SUGGEST = "/en/search/suggest/"
NAVEL_ORANGES = ["贵措脐橙礼盒 5kg", "贵措脐橙尝鲜装 2.5kg"]  # newest first
MAX_SEARCH_QUERIES = 13  # as the product list without a search (tests/storefront/test_query_counts.py)


@pytest.fixture
def shop(db):
    guicuo = factories.make_merchant("洪安镇贵措社区脐橙专业合作社")
    citrus = factories.make_category("柑橘水果")
    made = {
        "taster": factories.make_product(guicuo, category=citrus, name="贵措脐橙尝鲜装 2.5kg"),
        "oil": factories.make_product(name="秀山野生山茶油"),
        "honey": factories.make_product(name="秀山土蜂蜜", is_featured=True),
        "gift": factories.make_product(guicuo, category=citrus, name="贵措脐橙礼盒 5kg"),
    }
    return made


def result_names(response) -> list[str]:
    """The names of the products found (the cards of the results, not the popular products below)."""
    return card_names(response) if response.context["cards"] else []


def count_line(response) -> str:
    page = response.content.decode()
    return " ".join(re.search(r'class="listing__count"[^>]*>(.*?)</p>', page, re.S).group(1).split())


# -- One search box ---------------------------------------------------------------------------------------


def test_the_header_search_goes_to_the_product_list_and_is_the_only_search_box(client, shop):
    page = client.get(LIST, {"q": "脐橙"}).content.decode()
    header_form = re.search(r'<form class="site-search"[^>]*>', page).group(0)
    assert 'action="/en/products/"' in header_form
    assert 'data-suggest-url="/en/search/suggest/"' in header_form
    assert re.findall(r'<input[^>]*name="q"[^>]*>', page) == [
        re.search(r'<input type="search" id="site-search-q"[^>]*>', page).group(0),
        '<input type="hidden" name="q" value="脐橙" id="id_q">',  # the filters keep the search
    ]
    assert 'value="脐橙"' in re.search(r'<input type="search" id="site-search-q"[^>]*>', page).group(0)
    assert '<script src="/static/storefront/js/search.js" defer></script>' in page
    assert '<meta name="robots" content="noindex">' in page


def test_the_results_say_how_many_products_matched(client, shop):
    response = client.get(LIST, {"q": "脐橙"})
    assert sorted(result_names(response)) == sorted(NAVEL_ORANGES)
    assert count_line(response) == "Found 2 products for “脐橙”"
    assert count_line(client.get(LIST, {"q": "蜂蜜"})) == "Found 1 product for “蜂蜜”"
    assert count_line(client.get(LIST)) == "4 products"


@pytest.mark.parametrize("query", ["qicheng", "qi cheng", "qc", "QiCheng", "guicuo"])
def test_pinyin_and_initials_find_the_navel_oranges(client, shop, query):
    assert sorted(result_names(client.get(LIST, {"q": query}))) == sorted(NAVEL_ORANGES)


# -- Synonyms ---------------------------------------------------------------------------------------------


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 300


def test_the_everyday_word_finds_the_navel_oranges_while_the_operators_synonym_exists(
    client, shop, world, page_cache_on, django_capture_on_commit_callbacks
):
    shopper = Client()
    before = shopper.get(LIST, {"q": "橙子"})
    assert result_names(before) == [] and before["X-Page-Cache"] == "miss"
    assert shopper.get(LIST, {"q": "橙子"})["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        added = login(client, world.operator).post(url("searchsynonym:add"), {"word": "橙子", "synonyms": "脐橙 柑橘"})
    assert added.status_code == 302

    found = shopper.get(LIST, {"q": "橙子"})
    assert found["X-Page-Cache"] == "miss"  # the stored empty page was dropped
    navel_oranges = {*NAVEL_ORANGES, world.product_b.name}  # 贵措脐橙十斤装, of the back office's merchant B
    assert set(result_names(found)) == navel_oranges
    assert shopper.get(LIST, {"q": "橙子"})["X-Page-Cache"] == "hit"
    assert {item["name"] for item in shopper.get(SUGGEST, {"q": "橙子"}).json()["products"]} == navel_oranges

    synonym = SearchSynonym.objects.get(word="橙子")
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post(url("searchsynonym:delete", synonym.pk))
    assert removed.status_code == 302

    after = shopper.get(LIST, {"q": "橙子"})
    assert after["X-Page-Cache"] == "miss"
    assert result_names(after) == []
    assert shopper.get(SUGGEST, {"q": "橙子"}).json()["products"] == []


def test_other_pages_stay_cached_when_a_synonym_changes(
    shop, page_cache_on, django_capture_on_commit_callbacks, warehouse
):
    assert Client().get(LIST)["X-Page-Cache"] == "miss"
    assert Client().get(LIST, {"q": "蜂蜜"})["X-Page-Cache"] == "miss"
    with django_capture_on_commit_callbacks(execute=True):
        SearchSynonym.objects.create(word="橙子", synonyms="脐橙")
    assert Client().get(LIST)["X-Page-Cache"] == "hit"
    assert Client().get(LIST, {"q": "蜂蜜"})["X-Page-Cache"] == "miss"


# -- Suggestions ------------------------------------------------------------------------------------------


def test_suggestions_for_a_partial_word(client, shop):
    response = client.get(SUGGEST, {"q": "qich"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["query"] == "qich"
    assert data["products"] == [
        {"name": "贵措脐橙礼盒 5kg", "url": f"/en/products/{shop['gift'].slug}/", "via": ""},
        {"name": "贵措脐橙尝鲜装 2.5kg", "url": f"/en/products/{shop['taster'].slug}/", "via": ""},
    ]
    assert [item["name"] for item in client.get(SUGGEST, {"q": "秀山土"}).json()["products"]] == ["秀山土蜂蜜"]
    assert [item["url"] for item in client.get("/search/suggest/", {"q": "蜂"}).json()["products"]] == [
        f"/products/{shop['honey'].slug}/"
    ]


def test_suggestions_name_the_synonym_a_product_was_found_by(client, shop):
    SearchSynonym.objects.create(word="橙子", synonyms="脐橙 柑橘")
    data = client.get(SUGGEST, {"q": "橙子"}).json()
    assert data["synonyms"] == ["脐橙", "柑橘"]
    assert [(item["name"], item["via"]) for item in data["products"]] == [(name, "脐橙") for name in NAVEL_ORANGES]


def test_suggestions_forgive_a_homophone_typed_by_mistake(client, shop):
    assert [item["name"] for item in client.get(SUGGEST, {"q": "脐澄"}).json()["products"]] == NAVEL_ORANGES


def test_suggestions_are_at_most_eight(client, db, warehouse, counter):
    build_catalogue(10, category=factories.make_category("粮油"), warehouse=warehouse, counter=counter)
    assert len(client.get(SUGGEST, {"q": "山茶"}).json()["products"]) == 8


def test_suggestions_are_public_light_and_cacheable(client, shop, settings):
    settings.FRAGMENT_CACHE_SECONDS = 300
    first = client.get(SUGGEST, {"q": "qich"})
    assert first["Cache-Control"] == "public, max-age=60"
    assert not first.cookies  # no session, no CSRF cookie
    assert "Cookie" not in first.get("Vary", "")
    with CaptureQueriesContext(connection) as queries:
        again = client.get(SUGGEST, {"q": "qich"})
    assert len(queries) == 0  # kept in the fragment cache until the catalogue or the synonyms change
    assert again.json() == first.json()


@pytest.mark.parametrize("query", ["", "   ", "'); drop table x; --", "x" * 500, "\x00", "！？"])
def test_suggestions_for_nothing_or_junk_answer_calmly(client, shop, query):
    response = client.get(SUGGEST, {"q": query})
    assert response.status_code == 200
    assert response.json()["products"] == []


# -- The empty state --------------------------------------------------------------------------------------


def test_a_search_that_finds_nothing_offers_words_suggestions_and_popular_products(client, shop):
    SearchSynonym.objects.create(word="橙子", synonyms="脐橙 柑橘")
    SearchSynonym.objects.create(word="茶籽油", synonyms="山茶油")

    response = client.get(LIST, {"q": "榴莲"})

    page = response.content.decode()
    assert "No products found for “榴莲”." in page
    assert response.context["cards"] == []
    try_words = re.search(r"Try these words</h3>(.*?)</ul>", page, re.S).group(1)
    assert re.findall(r'<a href="/en/products/\?q=([^"]+)">([^<]+)</a>', try_words) == [
        ("%E8%8C%B6%E7%B1%BD%E6%B2%B9", "茶籽油"),
        ("%E6%A9%99%E5%AD%90", "橙子"),
    ]
    popular = page[page.index("Popular products") :]
    assert [html.unescape(name) for name in CARD_NAME.findall(popular)] == ["秀山土蜂蜜"]  # featured, nothing sold yet


def test_the_empty_state_offers_what_a_typo_meant_and_the_words_of_the_synonyms(client, shop):
    typo = client.get(LIST, {"q": "脐澄"}).content.decode()
    assert "Did you mean" in typo
    assert f'<a href="/en/products/{shop["gift"].slug}/">贵措脐橙礼盒 5kg</a>' in typo

    SearchSynonym.objects.create(word="橙子", synonyms="脐橙 柑橘")
    filtered = client.get(LIST, {"q": "橙子", "mark": "organic"}).content.decode()  # nothing organic
    words = re.search(r"Try these words</h3>(.*?)</ul>", filtered, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", words) == ["脐橙", "柑橘"]


# -- Query counts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["山茶油", "茶籽油", "shanchayou", "榴莲"])
def test_a_search_costs_the_same_queries_for_5_products_as_for_60(
    client, db, warehouse, counter, query, django_assert_max_num_queries
):
    SearchSynonym.objects.create(word="茶籽油", synonyms="山茶油")
    category = factories.make_category("粮油")
    counts = []
    products = []
    for size in (5, 60):
        products += build_catalogue(size - len(products), category=category, warehouse=warehouse, counter=counter)
        client.get(LIST, {"q": query})  # the first view generates the renditions
        with django_assert_max_num_queries(MAX_SEARCH_QUERIES), CaptureQueriesContext(connection) as captured:
            response = client.get(LIST, {"q": query})
        assert response.status_code == 200
        assert len(card_names(response)) == (4 if query == "榴莲" else min(size, 24))  # popular ones when none
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_suggestions_cost_a_few_queries_whatever_the_catalogue(client, db, warehouse, counter):
    build_catalogue(30, category=factories.make_category("粮油"), warehouse=warehouse, counter=counter)
    client.get(SUGGEST, {"q": "x"})  # the first request of a process reads the shop's settings
    for query, found in (("山茶", 8), ("shanchay", 8), ("山茶油7", 1), ("榴莲", 0)):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(SUGGEST, {"q": query})
        assert len(json.loads(response.content)["products"]) == found, query
        assert len(captured) <= 3, query  # the synonyms, the search, the typo-tolerant second try
