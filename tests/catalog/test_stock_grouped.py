"""The stock listing grouped by product: each product once with its totals, its variants and locations under
it, sorted by the totals (available too), paged by product, and still only the user's rows."""

import re

import pytest

from catalog.models import Stock
from catalog.services import receive_stock
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login

pytestmark = pytest.mark.django_db


def groups(response) -> list:
    assert response.status_code == 200
    return response.context["groups"]


def test_rows_are_grouped_under_their_product_with_totals(client, world):
    response = login(client, world.alice).get(url("stock:index"))

    [group] = groups(response)
    assert group.product == world.product_a
    assert [variant.variant for variant in group.variants] == [world.variant_a]
    assert [row.location for row in group.variants[0].rows] == [world.counter1, world.counter2, world.warehouse]
    assert (group.on_hand, group.allocated, group.available) == (67, 0, 67)
    html = response.content.decode()
    assert html.count('<details class="dx-stock__product"') == 1
    assert world.product_b.name not in html


def test_counter_staff_see_the_products_at_their_counter_only(client, world):
    response = login(client, world.carol).get(url("stock:index"))

    assert {group.product for group in groups(response)} == {world.product_a, world.product_b}
    assert {row.location for row in response.context["object_list"]} == {world.counter1}


def test_products_sort_by_available_units_both_ways(client, world):
    small = factories.make_product(world.merchant_a, name="茶油小样", variants=2)
    for variant in small.variants.all():
        receive_stock(variant=variant, location=world.counter1, quantity=3, actor=world.operator, reason="入库")
    stock = Stock.objects.get(variant=world.variant_a, location=world.warehouse)
    stock.allocated = 4
    stock.save(update_fields=["allocated"])
    login(client, world.alice)

    ascending = groups(client.get(url("stock:index"), {"ordering": "available"}))
    descending = groups(client.get(url("stock:index"), {"ordering": "-available"}))

    assert [(g.product, g.available) for g in ascending] == [(small, 6), (world.product_a, 63)]
    assert [g.product for g in descending] == [world.product_a, small]
    assert [row.available_units for row in descending[0].variants[0].rows] == [46, 10, 7]  # most first inside too
    assert [len(v.rows) for v in ascending[0].variants] == [1, 1]


def test_the_available_heading_sorts_and_shows_the_direction(client, world):
    html = login(client, world.alice).get(url("stock:index"), {"ordering": "available"}).content.decode()

    heading = re.search(r'<th scope="col" class="dx-stock__number" data-column="available">(.*?)</th>', html, re.S)
    assert heading and "ordering=-available" in heading.group(1) and 'aria-current="true"' in heading.group(1)


def test_paged_by_product_not_by_row(client, world, settings):
    for _ in range(20):
        product = factories.make_product(world.merchant_a)
        receive_stock(
            variant=product.variants.get(), location=world.counter1, quantity=1, actor=world.operator, reason="入库"
        )
    login(client, world.alice)

    first, second = groups(client.get(url("stock:index"))), groups(client.get(url("stock:index"), {"p": 2}))

    assert (len(first), len(second)) == (20, 1)
    assert not {g.product for g in first} & {g.product for g in second}


def test_searching_opens_the_matching_products(client, world):
    response = login(client, world.alice).get(url("stock:index"), {"q": world.variant_a.sku})

    assert f'<details class="dx-stock__product" data-product="{world.product_a.pk}" open>' in response.content.decode()
    assert login(client, world.alice).get(url("stock:index"), {"q": world.variant_b.sku}).context["groups"] == []
