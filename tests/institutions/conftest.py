import pytest

from tests.institutions.world import build_world


@pytest.fixture
def world(db):
    return build_world()
