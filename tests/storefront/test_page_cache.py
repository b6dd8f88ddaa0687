"""Whole-page caching for anonymous visitors: fast repeats, per-visitor holes, invalidation on change."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from catalog.services import adjust_stock
from tests import factories
from tests.storefront.shop import guest_cart, stocked_variant

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


@pytest.fixture
def product(db, warehouse):
    return stocked_variant((warehouse, 50), name="秀山野生山茶油", price=6800).product


def detail(client: Client, product):
    return client.get(f"/en/products/{product.slug}/")


def test_a_second_visitor_gets_the_stored_page_without_touching_the_database(product):
    first = detail(Client(), product)
    assert first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = detail(Client(), product)
    assert second["X-Page-Cache"] == "hit"
    assert len(queries) == 0
    assert "秀山野生山茶油" in second.content.decode() and "¥68.00" in second.content.decode()


def test_each_visitor_gets_their_own_csrf_token_and_can_add_to_cart_from_a_stored_page(product):
    detail(Client(), product)
    shopper = Client(enforce_csrf_checks=True)
    page = detail(shopper, product)
    assert page["X-Page-Cache"] == "hit"
    token = TOKEN.search(page.content.decode()).group(1)
    assert token != "__dx_csrf__"
    response = shopper.post(
        "/cart/add/", {"csrfmiddlewaretoken": token, "variant": product.variants.get().pk, "quantity": 2}
    )
    assert response.status_code == 302
    assert [item.quantity for item in shopper.get("/cart/").context["summary"].items] == [2]


def test_a_visitor_with_a_cart_sees_their_own_count_in_the_stored_page(product, warehouse):
    detail(Client(), product)
    shopper = Client()
    guest_cart(shopper, (stocked_variant((warehouse, 9)), 3))
    page = detail(shopper, product)
    assert page["X-Page-Cache"] == "hit"
    assert re.search(r'class="cart-count"[^>]*>3<', page.content.decode())
    assert re.search(r'class="cart-count"[^>]*>0<', detail(Client(), product).content.decode())


def test_a_stock_change_shows_at_once(product, warehouse, django_capture_on_commit_callbacks):
    assert "In stock" in detail(Client(), product).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant=product.variants.get(), location=warehouse, quantity=-48, actor=None, reason="破损")
    page = detail(Client(), product)
    assert page["X-Page-Cache"] == "miss"
    assert "Only 2 left" in page.content.decode()


def test_a_price_change_shows_at_once(product, django_capture_on_commit_callbacks):
    assert "¥68.00" in detail(Client(), product).content.decode()
    variant = product.variants.get()
    with django_capture_on_commit_callbacks(execute=True):
        variant.price = 5900
        variant.save()
    page = detail(Client(), product)
    assert "¥59.00" in page.content.decode() and "¥68.00" not in page.content.decode()


def test_signed_in_visitors_are_never_served_or_stored(product):
    member = Client()
    member.force_login(factories.make_user("buyer"))
    assert "X-Page-Cache" not in detail(member, product)
    assert detail(Client(), product)["X-Page-Cache"] == "miss"


def test_a_page_that_shows_a_message_is_not_stored(product):
    warned = Client().get("/en/products/?category=no-such-category")
    assert "Ignored an unknown filter value." in warned.content.decode()
    assert "X-Page-Cache" not in warned
    assert Client().get("/en/products/?category=no-such-category").get("X-Page-Cache") != "hit"


def test_a_published_wagtail_page_is_stored_and_publishing_drops_it(db, django_capture_on_commit_callbacks):
    home = Page.objects.get(depth=2, locale__language_code="zh-hans").specific
    assert Client().get("/")["X-Page-Cache"] == "miss"
    assert Client().get("/")["X-Page-Cache"] == "hit"
    home.hero_title = "秋冬鲜橙季"
    with django_capture_on_commit_callbacks(execute=True):
        home.save_revision().publish()
    page = Client().get("/")
    assert page["X-Page-Cache"] == "miss"
    assert "秋冬鲜橙季" in page.content.decode()


def test_switched_off_by_a_zero_lifetime(product, settings):
    settings.PAGE_CACHE_SECONDS = 0
    detail(Client(), product)
    assert "X-Page-Cache" not in detail(Client(), product)
