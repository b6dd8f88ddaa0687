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


def test_pages_rendered_for_signed_in_visitors_are_never_stored(product):
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


# --- Sale day: what a change drops, and nothing more (issue 14) --------------------------------------


@pytest.fixture
def cards_on(settings):
    settings.FRAGMENT_CACHE_SECONDS = 3600


@pytest.fixture
def two_products(db, warehouse, cards_on, django_capture_on_commit_callbacks):
    """A (20 in stock) and B (20 in stock), same category, so each page lists the other as related; their
    receipts committed, so what shoppers are shown of them is known."""
    with django_capture_on_commit_callbacks(execute=True):
        a = stocked_variant((warehouse, 20), name="秀山贵措脐橙", price=5900)
        b = stocked_variant((warehouse, 20), name="秀山野生茶油", price=6800, category=a.product.category)
    return a, b


def sell(variant, warehouse, quantity, capture):
    with capture(execute=True):
        adjust_stock(variant=variant, location=warehouse, quantity=-quantity, actor=None, reason="售出")


def test_a_sale_that_changes_nothing_shown_drops_no_page(two_products, warehouse, django_capture_on_commit_callbacks):
    a, b = two_products
    sell(a, warehouse, 1, django_capture_on_commit_callbacks)  # A's shown availability is now known
    for page in (detail(Client(), a.product), detail(Client(), b.product), Client().get("/en/products/")):
        assert page["X-Page-Cache"] == "miss"
    sell(a, warehouse, 1, django_capture_on_commit_callbacks)  # 18 left: still "In stock"
    sell(a, warehouse, 1, django_capture_on_commit_callbacks)
    assert detail(Client(), a.product)["X-Page-Cache"] == "hit"
    assert detail(Client(), b.product)["X-Page-Cache"] == "hit"  # shows A's card among the related
    assert Client().get("/en/products/")["X-Page-Cache"] == "hit"


def test_selling_down_to_low_and_out_updates_that_product_everywhere_and_nothing_else(
    two_products, warehouse, django_capture_on_commit_callbacks
):
    a, _b = two_products
    with django_capture_on_commit_callbacks(execute=True):
        other = stocked_variant((warehouse, 20), name="土家织锦围巾", price=12800).product  # another category
    sell(a, warehouse, 1, django_capture_on_commit_callbacks)  # A's shown availability is now known
    detail(Client(), a.product), detail(Client(), other), Client().get("/en/products/?q=织锦")
    Client().get("/en/products/")
    sell(a, warehouse, 16, django_capture_on_commit_callbacks)  # 3 left: "Only 3 left"
    assert detail(Client(), other)["X-Page-Cache"] == "hit"
    assert Client().get("/en/products/?q=织锦")["X-Page-Cache"] == "hit"  # a list without A
    page_a, listing = detail(Client(), a.product), Client().get("/en/products/")
    assert "Only 3 left" in page_a.content.decode() and page_a["X-Page-Cache"] == "miss"
    assert "Only 3 left" in listing.content.decode() and listing["X-Page-Cache"] == "miss"
    sell(a, warehouse, 3, django_capture_on_commit_callbacks)  # the last units
    page_a, listing = detail(Client(), a.product), Client().get("/en/products/")
    assert "Sold out" in page_a.content.decode() and "Only 3 left" not in page_a.content.decode()
    assert "Sold out" in listing.content.decode()
    in_stock = Client().get("/en/products/?in_stock=on")
    assert "秀山贵措脐橙" not in in_stock.content.decode() and "土家织锦围巾" in in_stock.content.decode()
    assert detail(Client(), other)["X-Page-Cache"] == "hit"


def test_product_b_related_on_a_page_updates_a_page_when_b_sells_out(
    two_products, warehouse, django_capture_on_commit_callbacks
):
    a, b = two_products
    sell(b, warehouse, 1, django_capture_on_commit_callbacks)
    detail(Client(), a.product)
    sell(b, warehouse, 19, django_capture_on_commit_callbacks)
    page_a = detail(Client(), a.product)
    assert page_a["X-Page-Cache"] == "miss"
    assert "Sold out" in page_a.content.decode()  # B's card among the related products


def test_cards_are_reused_across_lists_and_follow_a_price_change_without_the_page_cache(
    two_products, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 0
    a, _b = two_products
    Client().get("/en/products/")
    with CaptureQueriesContext(connection) as warm:
        sorted_list = Client().get("/en/products/?sort=price_desc")
    assert "¥59.00" in sorted_list.content.decode()
    assert not [q for q in warm.captured_queries if "catalog_productimage" in q["sql"]]  # no card rendered
    with django_capture_on_commit_callbacks(execute=True):
        a.price = 4900
        a.save()
    page = Client().get("/en/products/?sort=price_desc").content.decode()
    assert "¥49.00" in page and "¥59.00" not in page


def test_a_categorys_related_list_is_read_once_and_follows_a_new_product_without_the_page_cache(
    two_products, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 0
    a, b = two_products
    detail(Client(), b.product)  # keeps the category's list (and A's card)
    detail(Client(), a.product)  # keeps B's card
    with CaptureQueriesContext(connection) as read:
        page_a = detail(Client(), a.product).content.decode()
    related = page_a[page_a.index('id="related-heading"') :]
    assert b.product.name in related and a.product.name not in related  # never itself
    assert not [q for q in read.captured_queries if 'FROM "catalog_product"' in q["sql"]]  # A remembered, no list
    with django_capture_on_commit_callbacks(execute=True):
        newer = factories.make_product(category=a.product.category, name="新上架同类")
    page_a = detail(Client(), a.product).content.decode()
    assert newer.name in page_a[page_a.index('id="related-heading"') :]


# --- Holes found by probing (issue 14, item 7) ------------------------------------------------------------


def test_the_host_header_of_one_visitor_never_reaches_another(product):
    Client().get(f"/en/products/{product.slug}/", HTTP_HOST="localhost")
    page = Client().get(f"/en/products/{product.slug}/", HTTP_HOST="shop.example.com")
    body = page.content.decode()
    assert f'<link rel="canonical" href="http://shop.example.com/en/products/{product.slug}/">' in body
    assert "localhost" not in body


SECURITY_HEADERS = (
    "X-Frame-Options",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def test_a_stored_page_carries_the_same_security_headers_as_a_fresh_one(product):
    fresh, stored = detail(Client(), product), detail(Client(), product)
    assert (fresh["X-Page-Cache"], stored["X-Page-Cache"]) == ("miss", "hit")
    for name in SECURITY_HEADERS:
        assert name in fresh, name
        assert name in stored, name
    assert stored["X-Frame-Options"] == fresh["X-Frame-Options"]


def test_making_a_page_private_drops_it_at_once(db, django_capture_on_commit_callbacks):
    from wagtail.models import PageViewRestriction

    home = Page.objects.get(depth=2, locale__language_code="zh-hans")
    Client().get("/")
    assert Client().get("/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(page=home, restriction_type="password", password="secret")
    private = Client().get("/")
    assert "X-Page-Cache" not in private
    assert 'name="password"' in private.content.decode()
    assert "X-Page-Cache" not in Client().get("/")  # never stored while private

    # A visitor who knows the password sees the page; their copy is not kept for the others.
    insider = Client()
    insider.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{home.pk}/", {"password": "secret", "return_url": "/"}
    )
    inside = insider.get("/")
    assert inside.status_code == 200 and 'name="password"' not in inside.content.decode()
    assert "X-Page-Cache" not in inside and "X-Page-Cache" not in insider.get("/")
    assert 'name="password"' in Client().get("/").content.decode()


# --- Signed-in shoppers share the stored pages, with their own header -----------------------------------


def test_a_signed_in_shopper_gets_the_stored_page_with_their_own_account_links(product):
    detail(Client(), product)
    member = Client()
    member.force_login(factories.make_user("buyer"))
    page = detail(member, product)
    body = page.content.decode()
    assert page["X-Page-Cache"] == "hit"
    assert "My orders" in body and "Log out" in body and "Log in" not in body
    assert "My orders" not in detail(Client(), product).content.decode()


def test_staff_who_edit_pages_are_never_served_from_the_cache(product):
    detail(Client(), product)
    editor = Client()
    editor.force_login(factories.make_user("editor", is_staff=True))
    assert "X-Page-Cache" not in detail(editor, product)


def test_an_editor_by_group_is_never_served_from_the_cache_on_any_visit(product):
    detail(Client(), product)
    editor = Client()
    editor.force_login(factories.make_user("moderator", group="Editors"))  # Wagtail's admin access, not staff
    assert "X-Page-Cache" not in detail(editor, product)
    assert "X-Page-Cache" not in detail(editor, product)  # the answer kept in the session


def test_a_signed_in_shoppers_hit_asks_for_no_permission_after_the_first(product):
    detail(Client(), product)
    member = Client()
    member.force_login(factories.make_user("buyer"))
    assert detail(member, product)["X-Page-Cache"] == "hit"
    with CaptureQueriesContext(connection) as queries:
        page = detail(member, product)
    assert page["X-Page-Cache"] == "hit" and "My orders" in page.content.decode()
    assert not [query for query in queries if "auth_permission" in query["sql"]]
    assert len(queries) <= 3  # the session, the user and the header's cart


def test_a_product_page_without_the_page_cache_reuses_its_parts_with_each_visitors_token(
    two_products, warehouse, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 0
    a, _b = two_products
    sell(a, warehouse, 1, django_capture_on_commit_callbacks)
    detail(Client(), a.product)
    shopper = Client(enforce_csrf_checks=True)
    with CaptureQueriesContext(connection) as queries:
        page = detail(shopper, a.product)
    assert len(queries) <= 3  # the product by slug and the related products' ids; no shaping, no render
    token = TOKEN.search(page.content.decode()).group(1)
    assert token not in ("__dx_csrf__", TOKEN.search(detail(Client(), a.product).content.decode()).group(1))
    added = shopper.post("/cart/add/", {"csrfmiddlewaretoken": token, "variant": a.pk, "quantity": 1})
    assert added.status_code == 302
    sell(a, warehouse, 16, django_capture_on_commit_callbacks)
    assert "Only 3 left" in detail(Client(), a.product).content.decode()


def test_warmed_cards_let_a_list_render_without_rendering_one(two_products, settings):
    from django.core.management import call_command

    settings.PAGE_CACHE_SECONDS = 0
    call_command("warm_cards")
    with CaptureQueriesContext(connection) as queries:
        page = Client().get("/en/products/?sort=price_asc")
    assert "秀山贵措脐橙" in page.content.decode() and "秀山野生茶油" in page.content.decode()
    assert not [q for q in queries.captured_queries if "catalog_productimage" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        Client().get("/products/")  # Chinese cards were warmed too
    assert not [q for q in queries.captured_queries if "catalog_productimage" in q["sql"]]


def test_paying_a_reservation_leaves_the_free_units_alone_and_checks_nothing(
    two_products, warehouse, django_capture_on_commit_callbacks
):
    from catalog.services import StockChange, apply_stock_changes

    a, _b = two_products
    with django_capture_on_commit_callbacks(execute=True):
        apply_stock_changes(
            [StockChange(a, warehouse, 0, 2)], kind="allocate", actor=None, reason="下单", reference="T"
        )
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        apply_stock_changes([StockChange(a, warehouse, -2, -2)], kind="sale", actor=None, reason="付款", reference="T")
    assert not [q for q in queries.captured_queries if "pg_advisory_xact_lock" in q["sql"]]


def test_a_sale_well_above_the_low_stock_level_checks_nothing(
    two_products, warehouse, django_capture_on_commit_callbacks
):
    a, _b = two_products
    with CaptureQueriesContext(connection) as queries:
        sell(a, warehouse, 1, django_capture_on_commit_callbacks)  # 20 → 19 free at the only location
    assert not [q for q in queries.captured_queries if "pg_advisory_xact_lock" in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        sell(a, warehouse, 14, django_capture_on_commit_callbacks)  # 19 → 5: "only 5 left"
    assert [q for q in queries.captured_queries if "pg_advisory_xact_lock" in q["sql"]]
    assert "Only 5 left" in detail(Client(), a.product).content.decode()


def test_settings_made_with_their_defaults_drop_nothing_and_a_change_drops_every_page(
    product, django_capture_on_commit_callbacks
):
    from wagtail.models import Site

    from orders.models import ShopSettings

    site = Site.objects.get(is_default_site=True)
    with django_capture_on_commit_callbacks(execute=True):
        ShopSettings.objects.filter(site=site).delete()
    detail(Client(), product)
    with django_capture_on_commit_callbacks(execute=True):
        settings_row = ShopSettings.for_site(site)  # created with the defaults, as a first checkout would
    assert detail(Client(), product)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        settings_row.shipping_fee += 100
        settings_row.save()
    assert detail(Client(), product)["X-Page-Cache"] == "miss"
