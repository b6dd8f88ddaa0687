import uuid

import pytest
from django.test import override_settings

from catalog.models import Variant
from orders.cart import (
    CartError,
    add_to_cart,
    attach_guest_cart,
    get_cart,
    get_or_create_cart,
    merge_carts,
    remove_line,
    set_line_quantity,
)
from orders.checkout import cart_summary
from orders.models import Cart, CartLine
from tests import factories
from tests.orders.helpers import cart_with, stocked_variant


@pytest.fixture
def variant(warehouse):
    return stocked_variant((warehouse, 200), price=1280)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "whole number from 1 to 99"),
        (-1, "whole number from 1 to 99"),
        (1.5, "whole number from 1 to 99"),
        ("1.5", "whole number from 1 to 99"),
        ("abc", "whole number from 1 to 99"),
        ("", "whole number from 1 to 99"),
        (None, "whole number from 1 to 99"),
        (True, "whole number from 1 to 99"),
        (100, "whole number from 1 to 99"),
        (10**9, "whole number from 1 to 99"),
        ("1000000000", "whole number from 1 to 99"),
        ("9" * 5000, "whole number from 1 to 99"),
    ],
)
def test_bad_quantities_are_refused_with_a_message(variant, quantity, message):
    cart = Cart.objects.create()

    with pytest.raises(CartError, match=message):
        add_to_cart(cart, variant.pk, quantity)

    assert not CartLine.objects.exists()


def test_quantity_given_as_digits_is_accepted(variant):
    cart = Cart.objects.create()

    line = add_to_cart(cart, str(variant.pk), " 3 ")

    assert line.quantity == 3


@pytest.mark.parametrize("variant_id", [0, -5, "abc", None, 10**30, "9999999"])
def test_unknown_variant_is_refused(variant, variant_id):
    with pytest.raises(CartError, match="not available"):
        add_to_cart(Cart.objects.create(), variant_id, 1)
    assert not CartLine.objects.exists()


def test_inactive_variant_unpublished_product_and_inactive_merchant_are_refused(warehouse):
    inactive = stocked_variant((warehouse, 10))
    Variant.objects.filter(pk=inactive.pk).update(is_active=False)
    unpublished = stocked_variant((warehouse, 10), published=False)
    dormant = stocked_variant((warehouse, 10), merchant=factories.make_merchant(is_active=False))
    cart = Cart.objects.create()

    for variant in (inactive, unpublished, dormant):
        with pytest.raises(CartError, match="not available"):
            add_to_cart(cart, variant.pk, 1)

    assert not cart.lines.exists()


def test_more_than_available_is_refused_also_across_two_adds(warehouse, counter):
    variant = stocked_variant((warehouse, 4), (counter, 3))
    cart = Cart.objects.create()

    with pytest.raises(CartError, match=r"Only 4 of .* left"):
        add_to_cart(cart, variant.pk, 5)
    add_to_cart(cart, variant.pk, 3)
    with pytest.raises(CartError, match=r"Only 4 of .* left"):
        add_to_cart(cart, variant.pk, 2)

    assert cart.lines.get().quantity == 3


def test_sold_out_variant_is_refused(warehouse):
    variant = stocked_variant()

    with pytest.raises(CartError, match="sold out"):
        add_to_cart(Cart.objects.create(), variant.pk, 1)


def test_adding_the_same_variant_again_adds_to_the_line_up_to_the_limit(variant):
    cart = Cart.objects.create()
    add_to_cart(cart, variant.pk, 60)

    with pytest.raises(CartError, match="at most 99"):
        add_to_cart(cart, variant.pk, 40)
    add_to_cart(cart, variant.pk, 39)

    assert cart.lines.get().quantity == 99


@override_settings(CART_MAX_LINE_QUANTITY=5)
def test_the_per_line_limit_is_a_setting(variant):
    with pytest.raises(CartError, match="from 1 to 5"):
        add_to_cart(Cart.objects.create(), variant.pk, 6)


def test_set_quantity_and_remove(warehouse):
    variant = stocked_variant((warehouse, 10))
    cart = cart_with((variant, 2))
    line = cart.lines.get()

    set_line_quantity(cart, line.pk, "7")
    with pytest.raises(CartError, match="whole number"):
        set_line_quantity(cart, line.pk, 0)
    with pytest.raises(CartError, match=r"Only 10 of .* left"):
        set_line_quantity(cart, line.pk, 11)

    assert cart.lines.get().quantity == 7
    assert remove_line(cart, line.pk) is True
    assert remove_line(cart, line.pk) is False
    assert not cart.lines.exists()


def test_lines_of_another_cart_cannot_be_changed(variant):
    mine, theirs = cart_with((variant, 1)), cart_with((variant, 2))
    their_line = theirs.lines.get()

    with pytest.raises(CartError, match="no longer in your cart"):
        set_line_quantity(mine, their_line.pk, 5)
    assert remove_line(mine, their_line.pk) is False

    assert theirs.lines.get().quantity == 2


def test_prices_come_from_the_current_variant(variant, warehouse):
    cart = cart_with((variant, 3))
    assert cart_summary(cart).subtotal == 3 * 1280

    Variant.objects.filter(pk=variant.pk).update(price=1500)

    summary = cart_summary(cart)
    assert summary.items[0].unit_price == 1500
    assert summary.subtotal == 4500


def test_summary_flags_lines_that_cannot_be_bought(variant, warehouse):
    gone = stocked_variant((warehouse, 5))
    cart = cart_with((variant, 2), (gone, 5))
    before = cart_summary(cart)
    gone.product.is_published = False
    gone.product.save()

    after = cart_summary(cart)

    assert before.can_check_out and not after.can_check_out
    assert after.items[1].problem == "This product is no longer available."
    assert after.subtotal == 2 * 1280
    assert after.fingerprint != before.fingerprint


def test_guest_cart_is_found_by_token_but_never_a_users_cart(variant):
    guest = get_or_create_cart()
    user = factories.make_user()
    users_cart = get_or_create_cart(user=user)

    assert get_or_create_cart(token=str(guest.token)) == guest
    assert get_cart(token="not-a-uuid") is None
    assert get_cart(token=users_cart.token) is None
    assert get_or_create_cart(token=uuid.uuid4()) != guest
    assert get_or_create_cart(user=user) == users_cart


def test_merge_adds_quantities_capped_by_the_limit_and_stock(warehouse):
    plenty = stocked_variant((warehouse, 500))
    scarce = stocked_variant((warehouse, 6))
    only_guest = stocked_variant((warehouse, 9))
    withdrawn = stocked_variant((warehouse, 9))
    user = factories.make_user()
    user_cart = get_or_create_cart(user=user)
    add_to_cart(user_cart, plenty.pk, 70)
    add_to_cart(user_cart, scarce.pk, 4)
    guest = cart_with((plenty, 50), (scarce, 5), (only_guest, 2), (withdrawn, 1))
    Variant.objects.filter(pk=withdrawn.pk).update(is_active=False)

    merged = merge_carts(guest, user_cart)

    quantities = dict(merged.lines.values_list("variant_id", "quantity"))
    assert quantities == {plenty.pk: 99, scarce.pk: 6, only_guest.pk: 2}
    assert not Cart.objects.filter(pk=guest.pk).exists()


def test_signing_in_attaches_the_guest_cart_or_merges_it(variant):
    first = factories.make_user()
    guest = cart_with((variant, 2))

    attached = attach_guest_cart(user=first, token=str(guest.token))

    assert attached.pk == guest.pk and attached.user == first
    second_guest = cart_with((variant, 3))
    merged = attach_guest_cart(user=first, token=str(second_guest.token))
    assert merged.pk == guest.pk
    assert merged.lines.get().quantity == 5
    assert not Cart.objects.filter(pk=second_guest.pk).exists()
    assert attach_guest_cart(user=factories.make_user(), token=None).lines.count() == 0
