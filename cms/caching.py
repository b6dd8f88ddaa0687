"""The editorial cache: menus, footers, home-page facts and pages' translations.

Each value is a fragment tagged with the whole site (``storefront.page_cache.SITE``): ``cms.signals`` stamps
the tag when a page is published, unpublished, moved, renamed or deleted, or a footer, figure or counter
changes, so every value (and every stored page showing it) is stale at once. With Redis away, every value is
built afresh (``core.cache``).
"""

from collections.abc import Callable
from typing import TypeVar

from core.cache import fragment
from storefront.page_cache import SITE

TIMEOUT = 3600

T = TypeVar("T")


def cached(name: str, build: Callable[[], T]) -> T:
    """The value cached under ``name`` while the site is unchanged since it was built, else built now (one round
    trip to read it with the site's mark)."""
    return fragment(f"cms:{name}", [SITE], build, TIMEOUT)
