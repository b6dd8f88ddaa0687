"""The page editor's product chooser: each row's thumbnail, price, merchant and status, 25 rows a page, the
shop's Chinese and pinyin search, a merchant member's own products only, and a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.blocks import ProductChooserBlock
from core import roles
from storefront.selectors import THUMBNAIL_FILTER
from tests import factories
from tests.fixtures.catalog import add_images
from tests.fixtures.http import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    return login(client, factories.make_user("editor", group=roles.EDITORS))


@pytest.fixture
def oranges():
    merchant = factories.make_merchant(name="秀山脐橙合作社")
    product = factories.make_product(merchant, name="贵措脐橙礼盒", price=6880, variants=2)
    add_images(product, 1)
    return product


@pytest.fixture
def tea_oil():
    merchant = factories.make_merchant(name="清溪场茶油坊")
    return factories.make_product(merchant, name="山茶油", price=12800, published=False)


def results(client, **params) -> str:
    response = client.get(reverse("product_chooser:choose_results"), params)
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, name: str) -> str:
    rows = [row for row in re.findall(r"<tr.*?</tr>", html, re.S) if name in row]
    assert len(rows) == 1, f"no single row for {name}"
    return rows[0]


def test_each_row_shows_thumbnail_price_merchant_and_status(editor_client, oranges, tea_oil):
    html = results(editor_client)

    orange_row = row_of(html, oranges.name)
    thumbnail = oranges.images.get().image.get_rendition(THUMBNAIL_FILTER)
    assert f'src="{thumbnail.url}"' in orange_row
    assert "¥68.80 起" in orange_row  # two variants: ¥68.80 and ¥69.80
    assert "秀山脐橙合作社" in orange_row
    assert "已发布" in orange_row

    oil_row = row_of(html, tea_oil.name)
    assert "¥128.00" in oil_row and "起" not in oil_row
    assert "清溪场茶油坊" in oil_row
    assert "已发布" not in oil_row  # unpublished: the editor still sees it, marked
    assert "<img" not in oil_row  # no picture, no broken image


def test_the_chooser_opens_on_twenty_five_products_a_page(editor_client):
    merchant = factories.make_merchant()
    for _i in range(30):
        factories.make_product(merchant)

    first = results(editor_client)
    second = results(editor_client, p=2)

    assert first.count("data-chooser-modal-choice") == 25
    assert second.count("data-chooser-modal-choice") == 5


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("qicheng", "贵措脐橙礼盒"),  # the product's name in pinyin
        ("qc", "贵措脐橙礼盒"),  # its initials
        ("qich", "贵措脐橙礼盒"),  # typed so far
        ("脐橙", "贵措脐橙礼盒"),
        ("chayou", "山茶油"),
        ("清溪场", "山茶油"),  # the merchant's name
        ("qingxi", "山茶油"),  # the merchant's name in pinyin
    ],
)
def test_search_by_name_merchant_and_pinyin(editor_client, oranges, tea_oil, query, found):
    html = results(editor_client, q=query)

    names = {oranges.name, tea_oil.name}
    assert found in html
    assert not any(name in html for name in names - {found})


def test_a_merchant_member_chooses_only_its_own_products(client, oranges, tea_oil):
    member = factories.make_merchant_user(oranges.merchant)
    login(client, member)

    html = results(client)
    assert oranges.name in html and tea_oil.name not in html
    assert tea_oil.name not in results(client, q="chayou")
    assert client.get(reverse("product_chooser:chosen", args=(tea_oil.pk,))).status_code == 404
    chosen = client.get(reverse("product_chooser:chosen", args=(oranges.pk,)))
    assert chosen.json()["result"]["string"] == oranges.name


def test_a_page_of_results_costs_the_same_queries_whatever_its_length(editor_client):
    merchant = factories.make_merchant()

    def add(count: int) -> None:
        for _i in range(count):
            product = factories.make_product(merchant, variants=2)
            add_images(product, 2)
        results(editor_client)  # the thumbnails' renditions are made once, on first sight

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            results(editor_client)
        return len(captured)

    add(2)
    few = queries()
    add(10)
    assert queries() == few


def test_the_product_blocks_open_this_chooser(editor_client):
    widget = ProductChooserBlock().widget
    assert widget.get_chooser_modal_url() == reverse("product_chooser:choose")

    response = editor_client.get(reverse("product_chooser:choose"))
    assert response.status_code == 200
    assert 'name="q"' in response.json()["html"]
