import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from catalog.models import Certificate, Variant
from orders.availability import available_quantities
from storefront import selectors
from tests import factories
from tests.fixtures.catalog import add_images, set_stock


def detail_url(product, language: str = "en") -> str:
    prefix = "/en" if language == "en" else ""
    return f"{prefix}/products/{product.slug}/"


@pytest.fixture
def oil(db):
    merchant = factories.make_merchant("秀山油茶加工中心", summary="年加工干茶籽3000吨", households_benefited=1200)
    product = factories.make_product(merchant, name="秀山野生山茶油", variants=0)
    next_year = timezone.localdate() + timedelta(days=365)
    factories.make_certificate(merchant, next_year, kind=Certificate.Kind.ORGANIC, number="OFCC-1")
    factories.make_certificate(product, next_year, kind=Certificate.Kind.GEOGRAPHICAL_INDICATION, number="AGI-1")
    Variant.objects.create(
        product=product, sku="OIL-500", name="500ml", price=6800, compare_at_price=8800, sort_order=0
    )
    Variant.objects.create(product=product, sku="OIL-1L", name="1L", price=12800, sort_order=1)
    Variant.objects.create(product=product, sku="OIL-5L", name="5L 桶装", price=49800, sort_order=2)
    Variant.objects.create(product=product, sku="OIL-OLD", name="旧包装", price=100, is_active=False, sort_order=3)
    return product


def variant(product, sku: str) -> Variant:
    return product.variants.get(sku=sku)


def test_unknown_slug_is_404(client, db):
    assert client.get("/products/no-such-thing/").status_code == 404
    assert client.get("/en/products/不存在的商品/").status_code == 404
    assert client.get("/products/%00/").status_code == 404
    assert client.get("/products/a%20b/").status_code == 404


def test_not_found_page_is_in_the_site_layout(client, db):
    response = client.get("/en/products/no-such-thing/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert '<html lang="en">' in html
    assert 'href="/en/products/"' in html


def test_chinese_slug_is_served(client, db):
    product = factories.make_product(name="秀山土蜂蜜")
    product.slug = "秀山土蜂蜜"
    product.save()
    assert client.get("/products/%E7%A7%80%E5%B1%B1%E5%9C%9F%E8%9C%82%E8%9C%9C/").context["product"] == product


def test_unpublished_product_and_product_of_inactive_merchant_are_404(client, db):
    hidden = factories.make_product(published=False)
    dormant = factories.make_product(factories.make_merchant(is_active=False))
    assert client.get(detail_url(hidden)).status_code == 404
    assert client.get(detail_url(dormant)).status_code == 404


def test_shows_variants_with_prices_and_struck_through_compare_at_price(client, oil):
    response = client.get(detail_url(oil))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "秀山野生山茶油" in html
    assert "¥68.00" in html and "¥128.00" in html and "¥498.00" in html
    assert re.search(r"<s class=\"price price--was\">.*¥88\.00</s>", html)
    assert "旧包装" not in html  # inactive variant


def test_availability_wording(client, oil, warehouse, settings):
    settings.CATALOG_LOW_STOCK_LEVEL = 5
    set_stock(variant(oil, "OIL-1L"), warehouse, 3)
    set_stock(variant(oil, "OIL-5L"), warehouse, 50)
    # OIL-500 has no stock at all.

    html = client.get(detail_url(oil)).content.decode()
    chips = re.findall(
        r'<input type="radio" class="chip__input" name="variant" ([^>]*)>\s*<label[^>]*>(.*?)</label>', html, re.S
    )
    shown = {
        re.search(r'class="chip__name">([^<]+)<', label).group(1): (
            re.search(r'data-stock-label="([^"]+)"', attributes).group(1),
            re.search(r'class="chip__stock[^"]*">([^<]+)<', label).group(1) if "chip__stock" in label else "",
            " disabled" in attributes,
            " checked" in attributes,
        )
        for attributes, label in chips
    }
    assert shown == {
        "500ml": ("Sold out", "Sold out", True, False),  # cannot be chosen
        "1L": ("Only 3 left", "Only 3 left", False, True),  # the first on sale starts chosen
        "5L 桶装": ("In stock", "", False, False),  # said beside the buy buttons once chosen
    }


@pytest.mark.parametrize(
    ("quantity", "status", "label"),
    [(0, "sold_out", "Sold out"), (1, "low", "Only 1 left"), (5, "low", "Only 5 left"), (6, "in_stock", "In stock")],
)
def test_availability_thresholds(settings, quantity, status, label):
    settings.CATALOG_LOW_STOCK_LEVEL = 5
    with translation.override("en"):
        result = selectors.availability(quantity)
    assert (result.status, result.label) == (status, label)


def test_available_quantity_follows_the_checkout_rule(oil, warehouse, counter):
    """Warehouses add up; a counter sells only what it holds. Allocated units are not available."""
    second_warehouse = factories.make_location(kind="warehouse")
    other_counter = factories.make_location()
    closed_counter = factories.make_location(is_active=False)
    small, large, big = variant(oil, "OIL-500"), variant(oil, "OIL-1L"), variant(oil, "OIL-5L")
    set_stock(small, warehouse, 4, allocated=1)
    set_stock(small, second_warehouse, 2)
    set_stock(small, counter, 4)
    set_stock(large, counter, 9, allocated=2)
    set_stock(large, other_counter, 3)
    set_stock(large, closed_counter, 50)
    set_stock(big, warehouse, 1, allocated=1)

    shown = {v.pk: v.available for v in selectors.active_variants().filter(product=oil)}

    assert shown == {small.pk: 5, large.pk: 7, big.pk: 0}
    assert shown == available_quantities(list(shown))


def test_counters_are_listed_only_where_stock_is_available(client, oil, warehouse):
    stocked = factories.make_location(
        name="德百超市秀山专柜", address="德州市德城区东风中路", opening_hours="9:00–21:00"
    )
    emptied = factories.make_location(name="陵城区专柜", address="德州市陵城区")
    allocated = factories.make_location(name="禹城市专柜", address="禹城市")
    inactive_variant_only = factories.make_location(name="乐陵市专柜", address="乐陵市")
    closed = factories.make_location(name="齐河县专柜", address="齐河县", is_active=False)
    set_stock(variant(oil, "OIL-1L"), stocked, 2)
    set_stock(variant(oil, "OIL-1L"), emptied, 0)
    set_stock(variant(oil, "OIL-500"), allocated, 3, allocated=3)
    set_stock(variant(oil, "OIL-OLD"), inactive_variant_only, 10)
    set_stock(variant(oil, "OIL-1L"), closed, 10)
    set_stock(variant(oil, "OIL-1L"), warehouse, 10)

    response = client.get(detail_url(oil))

    assert [c.name for c in response.context["counters"]] == ["德百超市秀山专柜"]
    html = response.content.decode()
    assert "德州市德城区东风中路" in html and "9:00–21:00" in html
    for name in ("陵城区专柜", "禹城市专柜", "乐陵市专柜", "齐河县专柜", warehouse.name):
        assert name not in html


def test_no_counter_message_when_nothing_is_at_a_counter(client, oil, warehouse):
    set_stock(variant(oil, "OIL-1L"), warehouse, 10)
    assert "No counter has this product right now." in client.get(detail_url(oil)).content.decode()


def test_merchant_links_to_the_list_filtered_by_merchant(client, oil):
    html = client.get(detail_url(oil)).content.decode()
    assert f'<a href="/en/products/?merchant={oil.merchant.slug}">秀山油茶加工中心</a>' in html
    assert "年加工干茶籽3000吨" in html


def test_quality_badges_and_aid_badge(client, oil):
    html = client.get(detail_url(oil)).content.decode()
    assert "Geographical indication" in html  # the product's mark
    assert "Organic" in html  # the merchant's mark
    assert "Green food" not in html
    assert "Consumption-aid" not in html

    certificate = factories.make_certificate(oil, timezone.localdate() + timedelta(days=30), number="XS-2025-001")
    html = client.get(detail_url(oil)).content.decode()
    assert "Consumption-aid certified" in html and "XS-2025-001" in html
    assert "Consumption-aid product" not in html  # the cards' badge: the page shows the certificate instead

    Certificate.objects.filter(pk=certificate.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert "Consumption-aid" not in client.get(detail_url(oil)).content.decode()


def test_gallery_uses_webp_renditions_in_srcset_with_alt_text(client, oil):
    add_images(oil, 2)
    html = client.get(detail_url(oil)).content.decode()
    images = re.findall(r'<li id="picture-\d" class="gallery__slide">\s*(<img [^>]*>)', html)
    assert len(images) == 2
    for tag in images:
        srcset = re.search(r'srcset="([^"]+)"', tag).group(1)
        candidates = [c.strip().split(" ") for c in srcset.split(",")]
        assert len(candidates) == 2
        assert all(url.endswith(".webp") and width.endswith("w") for url, width in candidates)
        assert re.search(r'src="[^"]+\.webp"', tag)
        assert 'sizes="' in tag
    assert 'alt="秀山野生山茶油 图1"' in images[0]
    assert 'alt="秀山野生山茶油 图2"' in images[1]


def test_picture_without_alt_text_falls_back_to_the_image_title(client, oil):
    (picture,) = add_images(oil, 1)
    picture.alt_text = ""
    picture.save()
    html = client.get(detail_url(oil)).content.decode()
    assert f'alt="{picture.image.title}"' in html


def test_related_products_are_other_public_products_of_the_same_category(client, oil):
    same = [factories.make_product(category=oil.category, name=f"同类{i}") for i in range(5)]
    factories.make_product(category=oil.category, name="未发布同类", published=False)
    factories.make_product(name="别的类目")

    response = client.get(detail_url(oil))

    html = response.content.decode()
    related = html[html.index('id="related-heading"') :]
    assert re.findall(r'class="product-card__name"[^>]*>([^<]*)<', related) == [p.name for p in reversed(same)][:4]
    assert "未发布同类" not in html and "别的类目" not in html


def test_head_works_and_post_is_refused(client, oil):
    assert client.head(detail_url(oil)).status_code == 200
    assert client.post(detail_url(oil)).status_code == 405
