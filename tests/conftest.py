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

pytest_plugins = ["tests.fixtures.users", "tests.fixtures.catalog", "tests.fixtures.payments"]


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
