"""A Redis cache that degrades instead of failing: with Redis away, reads miss and writes are dropped.

``ResilientRedisCache`` is Django's ``RedisCache`` with every operation guarded: a Redis error (refused,
timed out, reset) is logged as a warning and the call answers as a cache without the key would
(``get`` → default, ``get_many`` → ``{}``, ``add``/``touch``/``delete``/``has_key`` → ``False``, ``set`` →
nothing stored). Counters are the exception: ``incr``/``decr`` raise the Redis error, so a caller that
counts (the rate limiter) decides what an uncounted call means.

After a failure the cache skips Redis for ``RETRY_AFTER`` seconds (an option in ``CACHES``, default 5):
a Redis that is down, or stalled until ``socket_timeout``, costs one failed call per process in that
window, not one per cache call.
"""

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import redis
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Per process and server list: until when (time.monotonic()) Redis counts as down.
_down_until: dict[str, float] = {}


class CacheUnavailable(redis.ConnectionError):
    """Redis was skipped because it failed moments ago (a ``redis.ConnectionError``, as the failure was)."""


class SharedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis client, with one ``redis.Redis`` per connection pool instead of one per cache call.

    Building a ``redis.Redis`` copies redis-py's table of response callbacks (about 0.16 ms here), and a page
    makes about ten cache calls. A client is safe to share between threads: each command takes a connection
    from the pool, which starts afresh in a forked process.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        self._down_key = ",".join(self._servers)

    def _guard(self, operation: str, call: Callable[[], T], fallback: T, *, strict: bool = False) -> T:
        if time.monotonic() < _down_until.get(self._down_key, 0):
            if strict:
                raise CacheUnavailable(f"cache unavailable: {operation} skipped")
            return fallback
        try:
            return call()
        except redis.RedisError as exc:
            _down_until[self._down_key] = time.monotonic() + self.retry_after
            logger.warning(
                "cache unavailable (%s on %s: %s); serving without it for %ss",
                operation,
                self._down_key,
                exc.__class__.__name__,
                self.retry_after,
            )
            if strict:
                raise
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), False)

    def get(self, key, default=None, version=None):
        return self._guard("get", lambda: super(ResilientRedisCache, self).get(key, default, version), default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guard("set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        return self._guard("delete", lambda: super(ResilientRedisCache, self).delete(key, version), False)

    def get_many(self, keys, version=None):
        return self._guard("get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._guard("has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        keys = list(data)
        return self._guard("set_many", lambda: super(ResilientRedisCache, self).set_many(data, timeout, version), keys)

    def delete_many(self, keys, version=None):
        self._guard("delete_many", lambda: super(ResilientRedisCache, self).delete_many(keys, version), None)

    def clear(self):
        return self._guard("clear", lambda: super(ResilientRedisCache, self).clear(), False)

    def incr(self, key, delta=1, version=None):
        return self._guard("incr", lambda: super(ResilientRedisCache, self).incr(key, delta, version), 0, strict=True)


# Tags: a logical clock and, per tag, the clock reading when it last changed. ``stamp`` moves the clock on
# and marks the tags with the new reading in one atomic step (a Lua script on Redis), so a tag's mark
# never goes backwards; an entry built after reading the clock at ``t`` is current while every tag
# it depends on is marked at ``t`` or earlier (``marks``). Tags and the clock never expire: Redis must
# evict only keys with a lifetime (``maxmemory-policy volatile-lru``, see docker-compose.yml).
CLOCK_KEY = "tags:clock"
_STAMP = """
local now = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do redis.call('SET', KEYS[i], now) end
return now
"""


def _tag_key(tag: str) -> str:
    return f"tag:{tag}"


def clock(cache: Any = default_cache) -> int:
    """The clock's reading now (0 before the first stamp, or with the cache away)."""
    return int(cache.get(CLOCK_KEY) or 0)


def get_with_marks(
    keys: list[str], tags: Any, cache: Any = default_cache
) -> tuple[dict[str, Any], dict[str, int], int]:
    """The values stored under ``keys`` (those missing are left out), each tag's mark and the clock's reading, in
    one round trip; with the cache away, nothing stored and every mark and the clock 0."""
    tags = list(tags)
    found = cache.get_many([*keys, CLOCK_KEY, *(_tag_key(tag) for tag in tags)]) if keys or tags else {}
    values = {key: found[key] for key in keys if key in found}
    return values, {tag: int(found.get(_tag_key(tag)) or 0) for tag in tags}, int(found.get(CLOCK_KEY) or 0)


def marks(tags: Any, cache: Any = default_cache) -> int:
    """The latest mark among ``tags`` (0 for tags never stamped); with the cache away, 0."""
    keys = [_tag_key(tag) for tag in tags]
    found = cache.get_many(keys) if keys else {}
    return max((int(found.get(key) or 0) for key in keys), default=0)


def stamp(tags: Any, cache: Any = default_cache) -> None:
    """Mark ``tags`` as changed now: every entry built before this moment that depends on one is stale.
    With the cache away, log and carry on (entries written before the outage may then outlive it, up to
    their lifetime)."""
    tags = sorted(set(tags))
    if not tags:
        return
    keys = [CLOCK_KEY, *(_tag_key(tag) for tag in tags)]
    try:
        if isinstance(cache, RedisCache):
            if time.monotonic() < _down_until.get(getattr(cache, "_down_key", ""), 0):
                raise CacheUnavailable("cache unavailable: stamp skipped")
            client = cache._cache.get_client(write=True)
            client.eval(_STAMP, len(keys), *(cache.make_and_validate_key(key) for key in keys))
            return
        try:
            now = cache.incr(CLOCK_KEY)
        except ValueError:
            cache.add(CLOCK_KEY, 0, None)
            now = cache.incr(CLOCK_KEY)
        cache.set_many({_tag_key(tag): now for tag in tags}, None)
    except redis.RedisError as exc:
        if isinstance(cache, ResilientRedisCache) and not isinstance(exc, CacheUnavailable):
            _down_until[cache._down_key] = time.monotonic() + cache.retry_after
        logger.warning("cache unavailable: tags %s not stamped (%s)", ", ".join(tags), exc.__class__.__name__)


def fragment(key: str, tags: Iterable[str], build: Callable[[], T], timeout: int, cache: Any = default_cache) -> T:
    """The value stored under ``key`` while none of ``tags`` was stamped since it was built; else built now and
    kept ``timeout`` seconds at most (0 keeps nothing). Stored with the clock as read before building, so a value
    built across a stamp is stale at once, even when stored after it."""
    if not timeout:
        return build()
    tags = list(tags)
    stored, latest, built_at = get_with_marks([key], tags, cache)  # one round trip
    entry = stored.get(key)
    if entry is not None and max(latest.values(), default=0) <= entry[0]:
        return entry[1]
    value = build()
    cache.set(key, (built_at, value), timeout)
    return value
