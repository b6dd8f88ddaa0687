import pytest
from django.utils import translation

from tests.catalog.admin_world import World, build_world


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever the site language and its catalogue say."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(db) -> World:
    return build_world()
