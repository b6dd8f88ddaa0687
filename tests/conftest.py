import pytest

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
