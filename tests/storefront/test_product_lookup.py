"""Which product a slug names is remembered (``storefront.product_page.find``): a product page whose parts are kept
reads nothing from the database, and every change that takes a product off sale, renames it or moves its
pre-sale's window shows at once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.presales import update_presale
from orders.models import AidSettings
from tests import factories
from tests.orders.presale_helpers import close, make_presale


@pytest.fixture
def caches_on(settings):
    settings.PAGE_CACHE_SECONDS = 0  # the product page's own parts, not the whole page
    settings.FRAGMENT_CACHE_SECONDS = 3600


def url(product) -> str:
    return f"/en/products/{product.slug}/"


@pytest.fixture
def product(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return factories.make_product(factories.make_merchant("秀山油茶加工中心"), name="秀山野生山茶油")


def test_a_product_page_seen_before_reads_nothing_from_the_database(client, product, caches_on):
    assert client.get(url(product)).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(product))
    assert response.status_code == 200
    assert "秀山野生山茶油" in response.content.decode()
    assert [q["sql"] for q in queries.captured_queries] == []


def test_a_product_taken_off_sale_is_gone_at_once(client, product, caches_on, django_capture_on_commit_callbacks):
    assert client.get(url(product)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        product.is_published = False
        product.save()
    assert client.get(url(product)).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        product.is_published = True
        product.save()
    assert client.get(url(product)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        product.merchant.is_active = False
        product.merchant.save()
    assert client.get(url(product)).status_code == 404


def test_a_renamed_product_answers_at_its_new_address_only(
    client, product, caches_on, django_capture_on_commit_callbacks
):
    old = url(product)
    assert client.get(old).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        product.slug = "wild-camellia-oil"
        product.save()
    assert client.get(old).status_code == 404
    assert client.get("/en/products/wild-camellia-oil/").status_code == 200


def test_an_unknown_address_is_not_remembered(client, caches_on, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        product = factories.make_product(factories.make_merchant("秀山油茶加工中心"), name="新油")
    later = f"/en/products/{product.slug}-later/"
    assert client.get(later).status_code == 404
    product.slug = f"{product.slug}-later"
    product.save()  # in the test's transaction: nothing stamped, so only an address never kept can find it
    assert client.get(later).status_code == 200


def test_the_aid_settings_hiding_expired_certificates_apply_at_once(
    client, caches_on, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        merchant = factories.make_merchant("贵措脐橙合作社")
        product = factories.make_product(merchant, name="贵措脐橙")
        factories.make_certificate(merchant, timezone.localdate() - timedelta(days=1))  # lapsed yesterday
    assert client.get(url(product)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        aid = AidSettings.load()
        aid.hide_expired_products = True
        aid.save()
    assert client.get(url(product)).status_code == 404


def test_a_presale_window_closing_shows_on_a_page_seen_before(
    client, caches_on, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        presale = make_presale(5)
    product = presale.variant.product
    assert "presale__left" in client.get(url(product)).content.decode()
    close(presale)  # the clock passes the window's end: no save, nothing stamped
    page = client.get(url(product)).content.decode()
    assert "The pre-sale has ended." in page
    assert "presale__left" not in page


def test_a_presale_window_moved_by_an_operator_shows_on_a_page_seen_before(
    client, caches_on, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        presale = make_presale(5)
    product = presale.variant.product
    later = presale.closes_at + timedelta(days=2)
    shown = timezone.localtime(later).strftime("%Y-%m-%d %H:%M")
    assert shown not in client.get(url(product)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        update_presale(presale, actor=None, closes_at=later)  # no edge passed: only the pre-sale's save says so
    assert shown in client.get(url(product)).content.decode()
