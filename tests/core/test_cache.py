"""The Redis cache's client: one per connection pool, shared by a process's threads."""

import threading
import uuid

from django.conf import settings

from core.cache import ResilientRedisCache

REDIS_URL = settings.REDIS_URL or "redis://127.0.0.1:6379/1"


def make_cache() -> ResilientRedisCache:
    return ResilientRedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}", "OPTIONS": {}})


def test_cache_calls_share_one_redis_client_per_pool():
    cache = make_cache()
    cache.set("a", 1)

    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    assert cache._cache.get_client("a") is cache._cache.get_client("b")
    assert cache.get("a") == 1


def test_threads_sharing_the_client_each_read_their_own_values():
    cache = make_cache()
    failures: list[object] = []

    def work(n: int) -> None:
        try:
            for round_ in range(40):
                cache.set(f"thread-{n}", (n, round_))
                got = cache.get_many([f"thread-{n}", "missing"])
                if got != {f"thread-{n}": (n, round_)}:
                    failures.append((n, round_, got))
        except Exception as exc:  # handed to the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert cache.get_many([f"thread-{n}" for n in range(16)]) == {f"thread-{n}": (n, 39) for n in range(16)}
