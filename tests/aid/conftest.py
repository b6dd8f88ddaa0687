import pytest

from tests.aid.helpers import programme


@pytest.fixture
def prog(db):
    return programme()
