import pytest
from django.utils import translation

from catalog import roles
from tests import factories


@pytest.fixture
def operator(db):
    return factories.make_user("operator", group=roles.OPERATORS)


@pytest.fixture
def warehouse(db):
    return factories.make_location(kind="warehouse", name="秀山产地仓", code="xs-wh")


@pytest.fixture
def counter(db):
    return factories.make_location(name="德百专柜", code="dz-decheng")


@pytest.fixture(autouse=True)
def english_messages():
    """Services called directly speak English in tests; pages pick their language per request."""
    with translation.override("en"):
        yield
