"""The suite's root: shared fixture plugins, and what every test starts from.

Every test starts with an empty cache, English messages and its own media folder. The shared fixtures
live in ``tests/fixtures`` (registered below); their helpers are imported from there.

The browser tests under ``tests/e2e`` carry the ``e2e`` marker: ``pytest -m "not e2e"`` is the fast loop
(no Chromium, no server process), ``pytest -m e2e`` runs only them.
"""

import functools

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import translation

pytest_plugins = [
    "tests.fixtures.users",
    "tests.fixtures.catalog",
    "tests.fixtures.payments",
    "tests.fixtures.redis_process",
    "tests.fixtures.tencent_sms",
    "tests.fixtures.wechatpay",
    "tests.fixtures.wechat_oauth",
    "tests.fixtures.alipay",
]


def pytest_collection_modifyitems(items) -> None:
    """Every transactional test starts from the rows the migrations made (locales, the page tree, roles,
    image collections): a transactional test empties every table when it ends, so each one gets them back
    from a snapshot (``serialized_rollback``). All of them or none: a flush without it re-creates content
    types that the snapshot would then hold twice."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in getattr(item, "fixturenames", ()) for name in ("transactional_db", "live_server")
        )
        if transactional:
            kwargs = {**(marker.kwargs if marker is not None else {}), "transaction": True, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*(marker.args if marker is not None else ()), **kwargs), append=False)


def clear_cache() -> None:
    """Empty the default cache. On Redis only the cache's own keys go (not ``FLUSHDB``): the same
    database is the Celery broker, which the worker integration tests use while they run."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        backend.clear()
        return
    client = _redis(django_settings.CACHES["default"]["LOCATION"])
    keys = list(client.scan_iter(match=f"{backend.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@functools.cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Settings, menus, page fragments, rate limits and figures are cached: each test starts without them."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def english_messages():
    """Services called directly speak English in tests; pages pick their language per request."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded pictures and their renditions go to a throw-away folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


@pytest.fixture
def demo(settings):
    """Keyless DEBUG run: the demo payment method is the one provider (no Stripe call)."""
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True


@pytest.fixture
def no_provider(settings):
    """No provider's keys and DEBUG off: nothing can take a payment."""
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = False
