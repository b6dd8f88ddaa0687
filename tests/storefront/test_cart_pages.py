"""The cart through HTTP: adding, changing and removing lines, the signed cookie and the header count."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Variant
from orders.models import Cart, CartLine
from storefront.cart import COOKIE_NAME
from tests import factories
from tests.fixtures.http import messages_of
from tests.storefront.shop import guest_cart, set_cart_cookie, stocked_variant, world_snapshot

CART = "/en/cart/"
ADD = "/en/cart/add/"


@pytest.fixture
def oil(warehouse):
    return stocked_variant((warehouse, 20), price=6800, name="秀山野生山茶油")


def lines_of(cart: Cart) -> list[tuple[int, int]]:
    return list(cart.lines.values_list("variant_id", "quantity"))


def only_cart() -> Cart:
    (cart,) = Cart.objects.all()
    return cart


def test_guest_adds_to_cart_and_gets_a_signed_httponly_lax_cookie(client, oil):
    response = client.post(ADD, {"variant": oil.pk, "quantity": "2"})

    assert response.status_code == 302 and response["Location"] == CART
    cart = only_cart()
    assert lines_of(cart) == [(oil.pk, 2)]
    morsel = response.cookies[COOKIE_NAME]
    assert str(cart.token) in morsel.value and morsel.value != str(cart.token)  # signed, not bare
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and int(morsel["max-age"]) >= 30 * 86400

    page = client.get(CART)
    html = page.content.decode()
    assert "秀山野生山茶油" in html and "¥136.00" in html
    assert messages_of(client.get(CART)) == []  # the success message was shown once, on the cart page
    assert "Added 秀山野生山茶油" in " ".join(messages_of(page))


def test_adding_again_adds_to_the_same_line_and_redirects_to_a_safe_next(client, oil):
    product_url = oil.product.get_absolute_url()
    client.post(ADD, {"variant": oil.pk, "quantity": "1"})
    response = client.post(ADD, {"variant": oil.pk, "quantity": "3", "next": product_url})
    evil = client.post(ADD, {"variant": oil.pk, "quantity": "1", "next": "https://evil.example/"})

    assert response["Location"] == product_url
    assert evil["Location"] == CART
    assert lines_of(only_cart()) == [(oil.pk, 5)]


def test_a_posted_price_is_ignored(client, oil):
    client.post(ADD, {"variant": oil.pk, "quantity": "1", "price": "1", "unit_price": "1"})

    html = client.get(CART).content.decode()
    assert "¥68.00" in html and "¥0.01" not in html


def test_prices_follow_the_variant_after_it_changes(client, oil):
    client.post(ADD, {"variant": oil.pk, "quantity": "2"})
    Variant.objects.filter(pk=oil.pk).update(price=7000)

    assert "¥140.00" in client.get(CART).content.decode()


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Quantity must be a whole number from 1 to 99."),
        ("-1", "Quantity must be a whole number from 1 to 99."),
        ("1.5", "Quantity must be a whole number from 1 to 99."),
        ("abc", "Quantity must be a whole number from 1 to 99."),
        ("", "Quantity must be a whole number from 1 to 99."),
        (str(10**9), "Quantity must be a whole number from 1 to 99."),
        ("21", "Only 20 of"),
    ],
)
def test_bad_quantities_are_refused_with_a_message_and_change_nothing(client, oil, quantity, message):
    before = world_snapshot()

    response = client.post(ADD, {"variant": oil.pk, "quantity": quantity}, follow=True)

    assert response.status_code == 200
    assert any(message in text for text in messages_of(response))
    assert not CartLine.objects.exists() and not Cart.objects.exists()
    assert COOKIE_NAME not in response.cookies
    assert world_snapshot() == before


def test_unavailable_variants_are_refused(client, warehouse, oil):
    unpublished = stocked_variant((warehouse, 5), published=False)
    dormant = stocked_variant((warehouse, 5), merchant=factories.make_merchant(is_active=False))
    inactive = stocked_variant((warehouse, 5))
    Variant.objects.filter(pk=inactive.pk).update(is_active=False)
    sold_out = stocked_variant()
    before = world_snapshot()

    for variant_id in ["999999", "abc", "", str(10**30), unpublished.pk, dormant.pk, inactive.pk]:
        response = client.post(ADD, {"variant": variant_id, "quantity": "1"}, follow=True)
        assert response.status_code == 200
        assert messages_of(response) == ["This product is not available."], variant_id
    response = client.post(ADD, {"variant": sold_out.pk, "quantity": "1"}, follow=True)
    assert any("sold out" in text for text in messages_of(response))

    assert not CartLine.objects.exists()
    assert world_snapshot() == before


def test_add_needs_post(client, oil):
    assert client.get(ADD, {"variant": oil.pk, "quantity": "1"}).status_code == 405
    assert not Cart.objects.exists()


def test_change_and_remove_a_line(client, oil, warehouse):
    honey = stocked_variant((warehouse, 8), price=3100)
    cart = guest_cart(client, (oil, 1), (honey, 1))
    oil_line, honey_line = cart.lines.all()

    response = client.post(f"/en/cart/lines/{oil_line.pk}/", {"quantity": "4"}, follow=True)
    assert messages_of(response) == ["Your cart has been updated."]
    assert "¥272.00" in response.content.decode()

    response = client.post(f"/en/cart/lines/{honey_line.pk}/remove/", follow=True)
    assert messages_of(response) == ["The item has been removed from your cart."]
    assert lines_of(cart) == [(oil.pk, 4)]

    again = client.post(f"/en/cart/lines/{honey_line.pk}/remove/", follow=True)
    assert again.status_code == 200 and messages_of(again) == ["This item is no longer in your cart."]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Quantity must be a whole number from 1 to 99."),
        ("-1", "Quantity must be a whole number from 1 to 99."),
        ("1.5", "Quantity must be a whole number from 1 to 99."),
        ("abc", "Quantity must be a whole number from 1 to 99."),
        (str(10**9), "Quantity must be a whole number from 1 to 99."),
        ("100", "Quantity must be a whole number from 1 to 99."),
        ("25", "Only 20 of"),
    ],
)
def test_bad_quantity_changes_are_refused(client, oil, quantity, message):
    cart = guest_cart(client, (oil, 2))
    line = cart.lines.get()
    before = world_snapshot()

    response = client.post(f"/en/cart/lines/{line.pk}/", {"quantity": quantity}, follow=True)

    assert response.status_code == 200
    assert any(message in text for text in messages_of(response))
    assert lines_of(cart) == [(oil.pk, 2)]
    assert world_snapshot() == before


def test_per_line_maximum_is_a_setting(client, oil, settings):
    settings.CART_MAX_LINE_QUANTITY = 3
    client.post(ADD, {"variant": oil.pk, "quantity": "3"}, follow=True)

    response = client.post(ADD, {"variant": oil.pk, "quantity": "1"}, follow=True)

    assert messages_of(response) == ["You can buy at most 3 of one item."]
    assert lines_of(only_cart()) == [(oil.pk, 3)]


def test_someone_elses_line_cannot_be_changed_or_removed(client, oil):
    other = guest_cart(Client(), (oil, 2))
    other_line = other.lines.get()
    guest_cart(client, (oil, 1))

    changed = client.post(f"/en/cart/lines/{other_line.pk}/", {"quantity": "5"}, follow=True)
    removed = client.post(f"/en/cart/lines/{other_line.pk}/remove/", follow=True)

    assert messages_of(changed) == ["This item is no longer in your cart."]
    assert messages_of(removed) == ["This item is no longer in your cart."]
    assert lines_of(other) == [(oil.pk, 2)]


def test_a_tampered_or_foreign_cookie_is_ignored(client, oil):
    cart = guest_cart(Client(), (oil, 2))

    client.cookies[COOKIE_NAME] = str(cart.token)  # unsigned
    assert client.get(CART).context["summary"].is_empty
    signed = Client()
    set_cart_cookie(signed, cart)
    forged = signed.cookies[COOKIE_NAME].value.replace(str(cart.token)[:8], "00000000")
    client.cookies[COOKIE_NAME] = forged
    assert client.get(CART).context["summary"].is_empty
    client.cookies[COOKIE_NAME] = "garbage:with:colons"
    assert client.get(CART).status_code == 200

    client.post(ADD, {"variant": oil.pk, "quantity": "1"})
    assert lines_of(cart) == [(oil.pk, 2)]  # the real cart was not touched
    assert Cart.objects.count() == 2


def test_header_shows_the_item_count(client, oil, warehouse):
    honey = stocked_variant((warehouse, 8), price=3100)
    guest_cart(client, (oil, 2), (honey, 1))

    html = client.get("/en/products/").content.decode()

    # Once in the header's menu, once in the phone's tab bar.
    assert html.count('<span class="cart-count" aria-hidden="true">3</span>') == 2
    assert "(3 items)" in html


def test_header_count_costs_no_query_without_a_cart_and_one_with_one(client, oil):
    url = oil.product.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as without_cart:
        html = client.get(url).content.decode()
    assert '<span class="cart-count" aria-hidden="true">0</span>' in html

    guest_cart(client, (oil, 2))
    with CaptureQueriesContext(connection) as with_cart:
        html = client.get(url).content.decode()
    assert '<span class="cart-count" aria-hidden="true">2</span>' in html

    assert not any("orders_cart" in q["sql"] for q in without_cart.captured_queries)
    assert len(with_cart) == len(without_cart) + 1


def test_product_page_add_to_cart_form_posts_the_variant(client, oil):
    html = client.get(oil.product.get_absolute_url()).content.decode()

    assert 'action="/en/cart/add/"' in html
    assert f'name="variant" value="{oil.pk}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="add-quantity">' in html


def test_cart_page_in_the_default_language(client, oil):
    guest_cart(client, (oil, 1))

    response = client.get("/cart/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html and "¥68.00" in html
    assert 'action="/cart/lines/' in html


def test_cart_forms_need_the_csrf_token(oil):
    strict = Client(enforce_csrf_checks=True)
    cart = guest_cart(strict, (oil, 1))
    line = cart.lines.get()

    assert strict.post(ADD, {"variant": oil.pk, "quantity": "1"}).status_code == 403
    assert strict.post(f"/en/cart/lines/{line.pk}/", {"quantity": "3"}).status_code == 403
    assert strict.post(f"/en/cart/lines/{line.pk}/remove/").status_code == 403
    assert lines_of(cart) == [(oil.pk, 1)]


def test_cart_page_query_count_does_not_grow_with_the_lines(db, django_assert_max_num_queries):
    counts = []
    for lines in (1, 10):
        cart_client = Client()
        merchants = [factories.make_merchant() for _ in range(lines)]
        locations = [factories.make_location(kind="warehouse") for _ in range(lines)]
        variants = [stocked_variant((loc, 5), merchant=m) for m, loc in zip(merchants, locations, strict=True)]
        guest_cart(cart_client, *((v, 1) for v in variants))
        cart_client.get(CART)
        with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as captured:
            response = cart_client.get(CART)
        assert len(response.context["summary"].items) == lines
        counts.append(len(captured))
    assert counts[0] == counts[1]
