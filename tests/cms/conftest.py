import pytest
from wagtail.models import Locale

from cms.models import HomePage, StoryIndexPage


@pytest.fixture
def home(db):
    return HomePage.objects.get(depth=2, locale__language_code="zh-hans")


@pytest.fixture
def english(db):
    return Locale.objects.get(language_code="en")


@pytest.fixture
def story_index(home):
    index = StoryIndexPage(title="商户故事", slug="stories", show_in_menus=True)
    home.add_child(instance=index)
    index.save_revision().publish()
    return index
