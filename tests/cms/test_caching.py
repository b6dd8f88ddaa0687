"""The editorial cache: one round trip a read, and no value outliving a change to the site made after it was built."""

from django.core.cache import cache

from cms import caching
from storefront import page_cache


class Builds:
    """A build that counts its calls and can invalidate the cache while it runs (a page published meanwhile)."""

    def __init__(self, invalidate_while_building: bool = False) -> None:
        self.calls = 0
        self.invalidate_while_building = invalidate_while_building

    def __call__(self) -> str:
        self.calls += 1
        if self.invalidate_while_building:
            self.invalidate_while_building = False
            page_cache.bump()
        return f"built {self.calls}"


def test_a_cached_value_is_built_once_until_the_site_changes():
    build = Builds()
    assert caching.cached("menu", build) == "built 1"
    assert caching.cached("menu", build) == "built 1"
    page_cache.bump()
    assert caching.cached("menu", build) == "built 2"
    assert caching.cached("menu", build) == "built 2"


def test_a_value_built_while_the_cache_was_invalidated_is_built_again_at_the_next_read():
    build = Builds(invalidate_while_building=True)
    assert caching.cached("menu", build) == "built 1"  # read from the tree as it was before the publish
    assert caching.cached("menu", build) == "built 2"
    assert caching.cached("menu", build) == "built 2"


def test_a_stored_value_costs_one_round_trip(monkeypatch):
    caching.cached("menu", Builds())
    calls: list[str] = []
    inside: list[str] = []  # a backend's get_many may call its own get (LocMem does); one call is one trip

    def counting(name, real):
        def call(*args, **kwargs):
            if not inside:
                calls.append(name)
            inside.append(name)
            try:
                return real(*args, **kwargs)
            finally:
                inside.pop()

        return call

    for name in ("get", "get_many", "set", "add"):
        monkeypatch.setattr(cache, name, counting(name, getattr(cache, name)))
    assert caching.cached("menu", Builds()) == "built 1"
    assert calls == ["get_many"]
