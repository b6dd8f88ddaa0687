"""The early refusal's read: the lines of the visitor's own cart that no order could get now."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from catalog.models import Stock
from orders.checkout.soldout import sold_out_lines
from tests import factories
from tests.orders.helpers import cart_with
from tests.storefront.shop import stocked_variant


@pytest.fixture
def honey(warehouse):
    return stocked_variant((warehouse, 5), price=5900)


def _sell_out(variant) -> None:
    Stock.objects.filter(variant=variant).update(allocated=F("on_hand"))


@pytest.mark.django_db
def test_a_guest_cart_sold_out_is_found_by_its_token_in_two_reads(honey):
    cart = cart_with((honey, 2))
    _sell_out(honey)

    with CaptureQueriesContext(connection) as captured:
        lines = sold_out_lines(token=cart.token)

    assert [(line.wanted, line.available) for line in lines] == [(2, 0)]
    assert len(captured) == 2


@pytest.mark.django_db
def test_only_the_visitors_own_cart_is_read(honey):
    owner, other = factories.make_user(), factories.make_user()
    cart = cart_with((honey, 2))
    cart.user = owner
    cart.save()
    _sell_out(honey)

    assert [line.wanted for line in sold_out_lines(user=owner)] == [2]
    assert sold_out_lines(user=other) == []
    assert sold_out_lines(token=cart.token) == []  # a signed-in user's cart is never a guest's
    assert sold_out_lines(token="not-a-token") == [] and sold_out_lines() == []


@pytest.mark.django_db
def test_a_cart_with_enough_left_has_no_sold_out_line(honey):
    cart = cart_with((honey, 5))

    assert sold_out_lines(token=cart.token) == []
