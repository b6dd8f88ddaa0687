"""Story bodies are rendered once and kept until the story or a product in it changes (``cms.bodies``)."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.services import adjust_stock
from tests.cms.helpers import card, make_story
from tests.storefront.shop import stocked_variant

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def fragments_on(settings):
    settings.PAGE_CACHE_SECONDS = 0
    settings.FRAGMENT_CACHE_SECONDS = 3600


@pytest.fixture
def story(story_index, warehouse):
    variant = stocked_variant((warehouse, 20), name="秀山贵措脐橙", price=5900)
    return make_story(story_index, title="贵措的橙园", body=[card(variant.product, note="今年最甜")]), variant


def test_a_stored_body_skips_the_products_and_still_gives_each_visitor_a_working_form(story):
    page, variant = story
    first = Client().get(page.url)
    assert "今年最甜" in first.content.decode() and "¥59.00" in first.content.decode()
    shopper = Client(enforce_csrf_checks=True)
    with CaptureQueriesContext(connection) as queries:
        again = shopper.get(page.url)
    assert "今年最甜" in again.content.decode()
    assert not [q for q in queries.captured_queries if "catalog_variant" in q["sql"]]
    token = TOKEN.search(again.content.decode()).group(1)
    assert token != "__dx_csrf__"
    added = shopper.post("/cart/add/", {"csrfmiddlewaretoken": token, "variant": variant.pk, "quantity": 1})
    assert added.status_code == 302


def test_a_sale_that_changes_what_shoppers_see_renders_the_body_again(
    story, warehouse, django_capture_on_commit_callbacks
):
    page, variant = story
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant=variant, location=warehouse, quantity=-1, actor=None, reason="售出")
    Client().get(page.url)
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(variant=variant, location=warehouse, quantity=-16, actor=None, reason="售出")
    body = Client().get(page.url).content.decode()
    assert "仅剩 3 件" in body or "Only 3 left" in body


def test_publishing_the_story_shows_the_new_body(story, django_capture_on_commit_callbacks):
    page, variant = story
    Client().get(page.url)
    page.body = [card(variant.product, note="新摘的橙子")]
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    body = Client().get(page.url).content.decode()
    assert "新摘的橙子" in body and "今年最甜" not in body
