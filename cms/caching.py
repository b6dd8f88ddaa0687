"""The editorial cache: menus, footers, home-page facts and pages' translations, per generation.

Every key carries the current generation; ``invalidate()`` moves to the next one, so a page
published, moved or renamed, a footer, figure or counter changed, drops every entry at once. With
Redis away, every value is built afresh (``core.cache``).
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from core.cache import next_generation

GENERATION_KEY = "cms:generation"
TIMEOUT = 3600

T = TypeVar("T")


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = 1
        cache.add(GENERATION_KEY, generation, None)
    return generation


def cached(name: str, build: Callable[[], T]) -> T:
    """The value cached under ``name`` for the current generation, built when missing."""
    key = f"cms:{_generation()}:{name}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, TIMEOUT)
    return value


def invalidate() -> None:
    next_generation(GENERATION_KEY)
