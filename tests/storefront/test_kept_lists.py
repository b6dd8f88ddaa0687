"""A list's count and first pages are kept (``storefront.listing``): a list, a filtered list and a search seen
before read nothing from the database; a product published, a sell-out and a new search synonym show in them at
once, and pages past the kept ones are read from the database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import SearchSynonym
from catalog.services import adjust_stock
from storefront import listing
from tests.fixtures.http import card_names
from tests.storefront.shop import stocked_variant


@pytest.fixture
def caches_on(settings):
    settings.PAGE_CACHE_SECONDS = 0  # the list's own fragments, not the whole page
    settings.FRAGMENT_CACHE_SECONDS = 3600
    settings.CATALOG_PAGE_SIZE = 2
    settings.CATALOG_LOW_STOCK_LEVEL = 1


@pytest.fixture
def shelf(db, warehouse, django_capture_on_commit_callbacks):
    """Five products in stock, the newest last: 贵措脐橙 1 … 5."""
    with django_capture_on_commit_callbacks(execute=True):
        return [stocked_variant((warehouse, 3), name=f"贵措脐橙 {n}") for n in range(1, 6)]


@pytest.mark.parametrize(
    "url", ["/en/products/?page=2", "/en/products/?in_stock=on&sort=price_asc", "/en/products/?q=脐橙"]
)
def test_a_list_seen_before_reads_nothing_from_the_database(client, shelf, caches_on, url):
    first = client.get(url)
    assert first.status_code == 200 and card_names(first)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert card_names(again) == card_names(first)
    assert [q["sql"] for q in queries.captured_queries] == []


def test_a_new_product_and_a_sell_out_show_at_once(
    client, shelf, warehouse, caches_on, django_capture_on_commit_callbacks
):
    assert card_names(client.get("/en/products/")) == ["贵措脐橙 5", "贵措脐橙 4"]
    assert card_names(client.get("/en/products/?in_stock=on")) == ["贵措脐橙 5", "贵措脐橙 4"]
    with django_capture_on_commit_callbacks(execute=True):
        stocked_variant((warehouse, 3), name="贵措脐橙 6")
    assert card_names(client.get("/en/products/")) == ["贵措脐橙 6", "贵措脐橙 5"]

    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant=shelf[4], location=warehouse, quantity=-3, actor=None, reason="售罄")
    assert card_names(client.get("/en/products/?in_stock=on")) == ["贵措脐橙 6", "贵措脐橙 4"]


def test_a_new_synonym_finds_at_once(client, shelf, caches_on, django_capture_on_commit_callbacks):
    assert client.get("/en/products/?q=xyzzy").context["page_obj"].paginator.count == 0
    with django_capture_on_commit_callbacks(execute=True):
        SearchSynonym.objects.create(word="xyzzy", synonyms="脐橙")
    found = client.get("/en/products/?q=xyzzy").context["page_obj"]
    assert found.paginator.count == 5 and [pk for pk, _merchant in found.object_list][:1] == [shelf[4].product_id]


def test_pages_past_the_kept_ones_come_from_the_database(client, shelf, caches_on, monkeypatch):
    monkeypatch.setattr(listing, "KEPT_PAGES", 1)
    assert card_names(client.get("/en/products/?page=1")) == ["贵措脐橙 5", "贵措脐橙 4"]
    client.get("/en/products/?page=3")  # its cards kept
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/en/products/?page=3")
    assert card_names(page) == ["贵措脐橙 1"]
    assert 'class="pagination__current">3<' in page.content.decode()
    assert len(queries) == 1  # the page's refs; its count was kept with the first page
