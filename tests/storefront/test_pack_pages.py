"""Gift packs through HTTP: the list and the pack's page, a pack in the cart, checkout, the order page."""

import pytest

from catalog.models import Pack, PackItem
from orders.models import Cart, Order
from tests import factories
from tests.fixtures.http import messages_of
from tests.storefront.shop import checkout_data, stocked_variant, world_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(warehouse):
    producers = [factories.make_merchant(name) for name in ("秀山油茶合作社", "钟灵茶叶专业合作社")]
    oil = stocked_variant((warehouse, 10), price=6000, merchant=producers[0], name="秀山野生山茶油")
    tea = stocked_variant((warehouse, 1), price=5000, merchant=producers[1], name="钟灵毛尖")
    pack = Pack.objects.create(name="中秋礼包", slug="mid-autumn", price=10000, is_published=True)
    PackItem.objects.create(pack=pack, variant=oil, quantity=1, sort_order=0)
    PackItem.objects.create(pack=pack, variant=tea, quantity=1, sort_order=1)
    return pack


def test_published_packs_are_listed_and_have_a_page(client, pack):
    Pack.objects.create(name="草稿礼包", slug="draft", price=100)

    listing = client.get("/en/packs/").content.decode()
    page = client.get("/en/packs/mid-autumn/")

    assert "中秋礼包" in listing and "¥100.00" in listing and "草稿礼包" not in listing
    html = page.content.decode()
    assert page.status_code == 200
    assert "秀山野生山茶油" in html and "钟灵毛尖" in html and "钟灵茶叶专业合作社" in html and "¥110.00" in html
    assert client.get("/en/packs/draft/").status_code == 404
    assert client.get("/packs/mid-autumn/").status_code == 200  # Chinese first


def test_a_pack_goes_through_the_cart_and_checkout_as_one_line(client, pack):
    added = client.post("/en/cart/packs/add/", {"pack": pack.pk, "quantity": "1", "price": "1"})

    assert added.status_code == 302
    cart_page = client.get("/en/cart/")
    html = cart_page.content.decode()
    assert "中秋礼包" in html and "¥100.00" in html
    assert cart_page.context["header_cart"].count == 1
    page = client.get("/en/checkout/")
    assert "中秋礼包" in page.content.decode()

    response = client.post("/en/checkout/", checkout_data(page.context))

    order = Order.objects.get()
    assert response.status_code == 302 and order.subtotal == 10000
    assert sorted(order.lines.values_list("line_total", flat=True)) == [4545, 5455]
    status = client.get(f"/en/orders/{order.token}/").content.decode()
    assert status.count("中秋礼包") == 1 and "Gift pack × 1" in status


def test_more_packs_than_a_component_allows_are_refused_and_change_nothing(client, pack):
    before = world_snapshot()

    response = client.post("/en/cart/packs/add/", {"pack": pack.pk, "quantity": "2"}, follow=True)

    assert "Only 1 of 中秋礼包 left." in " ".join(messages_of(response))
    assert world_snapshot() == before and not Cart.objects.exists()
