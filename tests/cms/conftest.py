import datetime

import pytest
from django.core.cache import cache
from django.utils import translation
from wagtail.models import Locale

from catalog import roles
from cms.models import HomePage, StoryIndexPage, StoryPage
from tests import factories


@pytest.fixture(autouse=True)
def fresh_cache():
    """Menus, translations and home facts are cached: each test starts without them."""
    cache.clear()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def home(db):
    return HomePage.objects.get(depth=2, locale__language_code="zh-hans")


@pytest.fixture
def english(db):
    return Locale.objects.get(language_code="en")


@pytest.fixture
def story_index(home):
    index = StoryIndexPage(title="生产者故事", slug="stories", show_in_menus=True)
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def make_story(index: StoryIndexPage, *, body=(), publish: bool = True, **fields) -> StoryPage:
    i = factories.n()
    values = {"title": f"故事{i}", "slug": f"story-{i}", "date": datetime.date(2026, 10, 1), **fields}
    story = StoryPage(body=list(body), live=publish, **values)
    index.add_child(instance=story)
    if publish:
        story.save_revision().publish()
    return story


def grid(*products, heading: str = "") -> dict:
    return {"type": "product_grid", "value": {"heading": heading, "products": [p.pk for p in products]}}


def card(product, note: str = "") -> dict:
    return {"type": "product_card", "value": {"product": product.pk, "note": note}}


@pytest.fixture
def editor(db):
    return factories.make_user("editor", group=roles.EDITORS)


@pytest.fixture
def moderator(db):
    return factories.make_user("moderator", group="Moderators")
