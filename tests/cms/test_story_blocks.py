"""Stories embed live products: price, availability and an add-to-cart form; missing products
disappear for readers and warn editors; the page's query count does not grow with its products."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.models import HomePageFeaturedProduct
from tests import factories
from tests.cms.helpers import card, grid, make_story, merchant_card
from tests.fixtures.catalog import add_images, make_image, set_stock

pytestmark = pytest.mark.django_db


def test_product_blocks_show_live_price_stock_and_an_add_to_cart_form(client, story_index, counter, warehouse):
    oil = factories.make_product(name="秀山野生山茶油", price=12800, variants=2)
    scarf = factories.make_product(name="土家织锦围巾", price=26800)
    set_stock(oil.variants.get(sort_order=0), warehouse, 3)
    story = make_story(story_index, body=[card(oil, note="编辑推荐"), grid(scarf, heading="织娘的作品")])

    html = client.get(f"/en{story.url}").content.decode()

    assert "秀山野生山茶油" in html and "¥128.00" in html and "编辑推荐" in html
    assert "Only 3 left" in html
    assert "织娘的作品" in html and "土家织锦围巾" in html
    assert "Sold out" in html  # the scarf has no stock: no form for it
    forms = re.findall(r'<form class="add-to-cart[^"]*" method="post" action="/en/cart/add/">(.*?)</form>', html, re.S)
    assert len(forms) == 1
    assert 'name="csrfmiddlewaretoken"' in forms[0]
    assert f'<option value="{oil.variants.get(sort_order=0).pk}">' in forms[0]
    assert f'<option value="{oil.variants.get(sort_order=1).pk}" disabled>' in forms[0]

    # A later price change shows at once: nothing is copied into the page.
    oil.variants.filter(sort_order=0).update(price=9900)
    assert "¥99.00" in client.get(f"/en{story.url}").content.decode()


def test_adding_to_the_cart_from_a_story_returns_to_the_story(client, story_index, warehouse):
    oil = factories.make_product(name="秀山野生山茶油")
    variant = oil.variants.get()
    set_stock(variant, warehouse, 10)
    story = make_story(story_index, body=[card(oil)])
    client.get(f"/en{story.url}")

    response = client.post("/en/cart/add/", {"variant": variant.pk, "quantity": 2, "next": f"/en{story.url}"})

    assert response.status_code == 302 and response.url == f"/en{story.url}"
    assert client.get("/en/cart/").context["summary"].items[0].quantity == 2


def test_unpublished_and_deleted_products_vanish_for_readers_and_warn_in_preview(client, story_index, warehouse):
    shown = factories.make_product(name="上架商品")
    hidden = factories.make_product(name="下架商品", published=False)
    gone = factories.make_product(name="已删除商品")
    closed = factories.make_product(factories.make_merchant(is_active=False), name="停业商户的商品")
    story = make_story(story_index, body=[card(hidden), grid(shown, gone, closed), card(gone)])
    gone.variants.all().delete()
    gone.delete()

    response = client.get(f"/en{story.url}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "上架商品" in html
    assert "下架商品" not in html and "已删除商品" not in html and "停业商户的商品" not in html
    assert "editor-warning" not in html

    preview = story.make_preview_request()  # served in the default language, Chinese
    assert preview.status_code == 200
    warnings = re.findall(r'<p class="editor-warning" role="alert">(.*?)</p>', preview.content.decode(), re.S)
    assert len(warnings) == 4
    assert sum("下架商品" in warning for warning in warnings) == 1
    assert sum("停业商户的商品" in warning for warning in warnings) == 1
    assert sum("已删除商品" in warning for warning in warnings) == 0  # its name is gone with it


@pytest.mark.parametrize("size", [2, 20])
def test_story_page_query_count_does_not_grow_with_its_products(client, story_index, warehouse, counter, size):
    merchant = factories.make_merchant(name="隘口镇土家织锦非遗工坊")
    products = []
    for i in range(size):
        product = factories.make_product(merchant, name=f"织锦{i}", variants=2)
        add_images(product, 2)
        for variant in product.variants.all():
            set_stock(variant, warehouse, 20)
            set_stock(variant, counter, 2)
        products.append(product)
    make_story(story_index, hero_image=make_image("另一篇"), merchant=merchant)
    story = make_story(
        story_index,
        merchant=merchant,
        hero_image=make_image("织娘"),
        body=[card(products[0]), grid(*products[1:]), card(products[-1])],
    )
    assert client.get(f"/en{story.url}").status_code == 200  # draws the renditions

    with CaptureQueriesContext(connection) as queries:
        html = client.get(f"/en{story.url}").content.decode()

    assert html.count('class="product-card"') == size + 1
    assert len(queries) <= 15, "\n".join(q["sql"][:120] for q in queries.captured_queries)


@pytest.mark.parametrize("size", [2, 20])
def test_home_page_query_count_does_not_grow_with_its_products(client, home, story_index, warehouse, size):
    home.hero_image = make_image("首页")
    home.save_revision().publish()
    for i in range(size):
        product = factories.make_product(name=f"精选{i}")
        add_images(product, 1)
        set_stock(product.variants.get(), warehouse, 5)
        HomePageFeaturedProduct.objects.create(page=home, product=product, sort_order=i)
    for i in range(3):
        make_story(story_index, hero_image=make_image(f"故事{i}"), featured=True)
    factories.make_location(name="德百专柜")
    assert client.get("/").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        html = client.get("/").content.decode()

    assert html.count('class="story-card"') == 3
    assert html.count('class="product-card"') == min(size, 8)
    assert len(queries) <= 15, "\n".join(q["sql"][:120] for q in queries.captured_queries)


def test_scripts_typed_by_an_editor_never_reach_readers(client, story_index):
    script = "<script>alert('x')</script>"
    story = make_story(
        story_index,
        title=f"标题{script}",
        intro=f"导语{script}",
        body=[
            {
                "type": "paragraph",
                "value": f'<p onclick="steal()">正文{script}<a href="javascript:alert(1)">链接</a></p>',
            },
            {"type": "quote", "value": {"text": f"引语{script}", "speaker": f"讲述人{script}", "role": ""}},
            {"type": "facts", "value": {"facts": [{"figure": f"320{script}", "label": f"织娘{script}"}]}},
        ],
    )

    html = client.get(f"/en{story.url}").content.decode()

    assert "正文" in html and "引语" in html and "讲述人" in html and "织娘" in html
    assert "<script>alert" not in html
    assert "onclick" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html  # plain-text fields are escaped, not dropped


def test_merchant_card_block_links_to_the_merchant_page(client, story_index):
    merchant = factories.make_merchant(name="隘口镇土家织锦非遗工坊", slug="aikou-brocade", summary="320名签约织娘")
    inactive = factories.make_merchant(name="停业的工坊", is_active=False)
    story = make_story(story_index, body=[merchant_card(merchant), merchant_card(inactive)])

    html = client.get(f"/en{story.url}").content.decode()

    assert html.count('<aside class="merchant-card">') == 1
    assert '<a href="/en/merchants/aikou-brocade/">隘口镇土家织锦非遗工坊</a>' in html and "320名签约织娘" in html
    assert "停业的工坊" not in html


def test_merchant_and_product_descriptions_are_cleaned_too(client, db):
    merchant = factories.make_merchant(slug="workshop", description='<p>工坊<img src=x onerror="steal()"></p>')
    product = factories.make_product(merchant, description="<p>围巾<script>alert(1)</script></p>")

    for url in (f"/en/products/{product.slug}/", "/en/merchants/workshop/"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "onerror" not in html, url
    assert "围巾" in client.get(f"/en/products/{product.slug}/").content.decode()
