"""A Redis cache that degrades instead of failing: with Redis away, reads miss and writes are dropped.

``ResilientRedisCache`` is Django's ``RedisCache`` with every operation guarded: a Redis error (refused,
timed out, reset) is logged as a warning and the call answers as a cache without the key would
(``get`` → default, ``get_many`` → ``{}``, ``add``/``touch``/``delete``/``has_key`` → ``False``, ``set`` →
nothing stored). Counters are the exception: ``incr``/``decr`` raise the Redis error, so a caller that
counts (the rate limiter, ``next_generation``) decides what an uncounted call means.

After a failure the cache skips Redis for ``RETRY_AFTER`` seconds (an option in ``CACHES``, default 5):
a Redis that is down, or stalled until ``socket_timeout``, costs one failed call per process in that
window, not one per cache call.
"""

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Per process and server list: until when (time.monotonic()) Redis counts as down.
_down_until: dict[str, float] = {}


class CacheUnavailable(redis.ConnectionError):
    """Redis was skipped because it failed moments ago (a ``redis.ConnectionError``, as the failure was)."""


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        params["OPTIONS"] = options
        super().__init__(server, params)
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


def next_generation(key: str, cache: Any = default_cache) -> None:
    """Move the generation counter under ``key`` on (every entry keyed by the old one is stale);
    with the cache away, log and carry on: its entries are out of reach anyway."""
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 2, None)
    except redis.RedisError as exc:
        logger.warning("cache unavailable: generation %s not moved on (%s)", key, exc.__class__.__name__)
