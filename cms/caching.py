"""The editorial cache: menus, footers, home-page facts and pages' translations, per generation.

Every entry carries the generation it was built in; ``invalidate()`` moves to the next one, so a page
published, moved or renamed, a footer, figure or counter changed, makes every entry stale at once. With
Redis away, every value is built afresh (``core.cache``).
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from core.cache import next_generation

GENERATION_KEY = "cms:generation"
TIMEOUT = 3600

T = TypeVar("T")


def cached(name: str, build: Callable[[], T]) -> T:
    """The value cached under ``name`` while the generation it was built in is current, else built now.

    The generation and the entry are read in one round trip; the entry keeps the generation read before it
    was built, so a value built while ``invalidate()`` ran is stale at the next read.
    """
    key = f"cms:{name}"
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        generation = 1
        cache.add(GENERATION_KEY, generation, None)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = build()
    cache.set(key, (generation, value), TIMEOUT)
    return value


def invalidate() -> None:
    next_generation(GENERATION_KEY)
