"""Sales racing on PostgreSQL: the stored pages end up showing the stock as it ends, whatever the order in
which the sales commit and their refreshes of what shoppers see run (``storefront.availability``)."""

import pytest
from django.test import Client

from catalog.services import adjust_stock
from tests.fixtures.races import errors_in, run_together
from tests.storefront.shop import stocked_variant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 3600
    settings.CATALOG_LOW_STOCK_LEVEL = 5


def test_racing_sales_leave_every_stored_page_showing_the_last_count(warehouse):
    variant = stocked_variant((warehouse, 12), name="秀山贵措脐橙")
    product = variant.product
    adjust_stock(variant=variant, location=warehouse, quantity=-1, actor=None, reason="售出")  # 11: known
    page, listing = f"/en/products/{product.slug}/", "/en/products/"
    Client().get(page), Client().get(listing)

    def sell_one():
        adjust_stock(variant=variant, location=warehouse, quantity=-1, actor=None, reason="售出")

    assert errors_in(run_together(sell_one, n=8)) == []  # 3 left, through "only 5", "only 4"...
    for path in (page, listing):
        body = Client().get(path).content.decode()
        assert "Only 3 left" in body, path
    assert "Only 3 left" in Client().get(page).content.decode()  # and stored so
