import pytest

from tests import factories


@pytest.fixture
def merchants(db):
    return factories.make_merchant("秀山油茶合作社"), factories.make_merchant("隘口土家织锦工坊")


@pytest.fixture
def warehouse2(db):
    return factories.make_location(kind="warehouse", name="秀山二号仓", code="xs-wh2")
