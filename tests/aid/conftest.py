import pytest

from cms.models import HomePage, ImpactPage
from tests.aid.helpers import programme


@pytest.fixture
def prog(db):
    return programme()


@pytest.fixture
def impact_page(db) -> ImpactPage:
    home = HomePage.objects.get(depth=2)
    page = ImpactPage(title="消费帮扶成效", slug="impact", intro="每一分钱都追溯到商户")
    home.add_child(instance=page)
    return page
