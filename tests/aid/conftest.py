import pytest
from django.core.cache import cache

from tests.aid.helpers import programme
from tests.payments.conftest import webhook  # noqa: F401  (signed Stripe events, shared)


@pytest.fixture(autouse=True)
def fresh_cache():
    """The aid settings and impact figures are cached in Redis: every test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def prog(db):
    return programme()
