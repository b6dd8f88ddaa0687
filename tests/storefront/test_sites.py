"""The site a cart or checkout request is on (``storefront.sites``): remembered per host, changed at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from orders.models import ShopSettings
from tests.storefront.shop import guest_cart, stocked_variant

CART = "/en/cart/"
HOST = "shop.dezhou.example"


def _site_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if 'FROM "wagtailcore_site"' in q["sql"]]


def _charge(site: Site, fee: int) -> None:
    """Delivery costs ``fee`` on ``site`` (free only from ¥500)."""
    shop = ShopSettings.for_site(site)
    shop.shipping_fee, shop.free_shipping_threshold = fee, 50000
    shop.save()


def _add_site(hostname: str) -> Site:
    return Site.objects.create(hostname=hostname, port=80, root_page=Site.objects.get(is_default_site=True).root_page)


@pytest.fixture
def cart(client, warehouse):
    """A guest cart of one ¥68.00 item; the default site charges ¥8.00 for delivery."""
    guest_cart(client, (stocked_variant((warehouse, 20), price=6800), 1))
    _charge(Site.objects.get(is_default_site=True), 800)


def test_a_cart_page_seen_before_does_not_look_up_its_site(client, cart):
    client.get(CART)

    with CaptureQueriesContext(connection) as captured:
        page = client.get(CART)

    assert page.status_code == 200 and "¥68.00" in page.content.decode()
    assert _site_queries(captured) == []


def test_a_site_added_for_a_host_prices_delivery_with_its_own_settings_at_once(client, cart):
    assert "¥8.00" in client.get(CART, HTTP_HOST=HOST).content.decode()  # the default site's

    _charge(_add_site(HOST), 1200)

    html = client.get(CART, HTTP_HOST=HOST).content.decode()
    assert "¥12.00" in html and "¥8.00" not in html
    assert "¥8.00" in client.get(CART).content.decode()  # the default host still has its own


def test_a_site_given_another_host_is_left_at_once(client, cart):
    other = _add_site(HOST)
    _charge(other, 1200)
    assert "¥12.00" in client.get(CART, HTTP_HOST=HOST).content.decode()

    other.hostname = "old.dezhou.example"
    other.save()

    assert "¥8.00" in client.get(CART, HTTP_HOST=HOST).content.decode()
