"""The editorial cache: one round trip a read, and no value outliving the generation it was built in."""

from django.core.cache import cache

from cms import caching


class Builds:
    """A build that counts its calls and can invalidate the cache while it runs (a page published meanwhile)."""

    def __init__(self, invalidate_while_building: bool = False) -> None:
        self.calls = 0
        self.invalidate_while_building = invalidate_while_building

    def __call__(self) -> str:
        self.calls += 1
        if self.invalidate_while_building:
            self.invalidate_while_building = False
            caching.invalidate()
        return f"built {self.calls}"


def test_a_cached_value_is_built_once_per_generation():
    build = Builds()
    assert caching.cached("menu", build) == "built 1"
    assert caching.cached("menu", build) == "built 1"
    caching.invalidate()
    assert caching.cached("menu", build) == "built 2"
    assert caching.cached("menu", build) == "built 2"


def test_a_value_built_while_the_cache_was_invalidated_is_built_again_at_the_next_read():
    build = Builds(invalidate_while_building=True)
    assert caching.cached("menu", build) == "built 1"  # read from the tree as it was before the publish
    assert caching.cached("menu", build) == "built 2"
    assert caching.cached("menu", build) == "built 2"


class CountingCache:
    """The cache, counting the calls made to it (each one a round trip to Redis)."""

    def __init__(self, real) -> None:
        self.real = real
        self.calls: list[str] = []

    def __getattr__(self, name: str):
        attribute = getattr(self.real, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return call


def test_a_stored_value_costs_one_round_trip(monkeypatch):
    caching.cached("menu", Builds())
    counting = CountingCache(cache)
    monkeypatch.setattr(caching, "cache", counting)
    assert caching.cached("menu", Builds()) == "built 1"
    assert counting.calls == ["get_many"]
