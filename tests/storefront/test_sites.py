"""The site a cart or checkout request is on (``storefront.sites``): remembered per host, changed at once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from orders.models import ShopSettings
from tests.storefront.shop import guest_cart, stocked_variant

CART = "/en/cart/"


def _site_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if 'FROM "wagtailcore_site"' in q["sql"]]


def test_a_cart_page_seen_before_does_not_look_up_its_site(client, warehouse):
    guest_cart(client, (stocked_variant((warehouse, 20), price=6800), 1))
    client.get(CART)

    with CaptureQueriesContext(connection) as captured:
        page = client.get(CART)

    assert page.status_code == 200 and "¥68.00" in page.content.decode()
    assert _site_queries(captured) == []


def test_a_site_added_for_a_host_prices_delivery_with_its_own_settings_at_once(client, warehouse):
    guest_cart(client, (stocked_variant((warehouse, 20), price=6800), 1))
    default = Site.objects.get(is_default_site=True)
    ShopSettings.objects.filter(pk=ShopSettings.for_site(default).pk).update(
        shipping_fee=800, free_shipping_threshold=50000
    )
    assert "¥8.00" in client.get(CART, HTTP_HOST="shop.dezhou.example").content.decode()  # the default site's

    other = Site.objects.create(hostname="shop.dezhou.example", port=80, root_page=default.root_page)
    ShopSettings.objects.filter(pk=ShopSettings.for_site(other).pk).update(
        shipping_fee=1200, free_shipping_threshold=50000
    )

    html = client.get(CART, HTTP_HOST="shop.dezhou.example").content.decode()
    assert "¥12.00" in html and "¥8.00" not in html
    assert "¥8.00" in client.get(CART).content.decode()  # the default host still has its own


def test_a_site_given_another_host_is_left_at_once(client, warehouse):
    guest_cart(client, (stocked_variant((warehouse, 20), price=6800), 1))
    default = Site.objects.get(is_default_site=True)
    ShopSettings.objects.filter(pk=ShopSettings.for_site(default).pk).update(
        shipping_fee=800, free_shipping_threshold=50000
    )
    other = Site.objects.create(hostname="shop.dezhou.example", port=80, root_page=default.root_page)
    ShopSettings.objects.filter(pk=ShopSettings.for_site(other).pk).update(
        shipping_fee=1200, free_shipping_threshold=50000
    )
    assert "¥12.00" in client.get(CART, HTTP_HOST="shop.dezhou.example").content.decode()

    other.hostname = "old.dezhou.example"
    other.save()

    assert "¥8.00" in client.get(CART, HTTP_HOST="shop.dezhou.example").content.decode()
