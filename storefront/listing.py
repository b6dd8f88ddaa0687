"""A product list's order, kept: its count and its first pages of (product id, merchant id).

A list page (a filtered list, a search) asked the database twice, for its count and for its page: two queries
that Django takes longer to build than PostgreSQL to run. ``kept_refs`` keeps the count and the first
``KEPT_PAGES`` pages per day (certificates and quality marks follow the date) and per filters, sort and search
words, tagged as the page cache tags the list page itself (``CATALOGUE``, a search ``SEARCH`` too): a product,
variant, merchant, category, certificate or pre-sale saved, a product selling out or coming back, a pre-sale
window opening or closing, or a search synonym changed reads it again. Deeper pages are read from the database
each time, as before.
"""

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from catalog.search import SearchPlan
from core.cache import fragment
from storefront import selectors
from storefront.page_cache import CATALOGUE, SEARCH

KEPT_PAGES = 10


class KeptRefs:
    """What ``django.core.paginator.Paginator`` reads of a list: its ``count()`` and slices of its refs."""

    def __init__(self, count: int, head: list[tuple[int, int]], refs: Callable[[], QuerySet]):
        self._count = count
        self.head = head
        self._refs = refs

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: slice) -> list[tuple[int, int]]:
        if self._count <= len(self.head) or (index.stop is not None and index.stop <= len(self.head)):
            return self.head[index]
        return list(self._refs()[index])


def kept_refs(filters: dict[str, Any], plan: Callable[[], SearchPlan | None], page_size: int) -> KeptRefs:
    """The list for validated ``filters``, its first pages kept (see the module); ``plan`` makes the search's plan
    (``catalog.search.plan_search``: it reads the synonyms), called only when the list is read."""

    def refs() -> QuerySet:
        return selectors.product_refs(filters, plan())

    kept = KEPT_PAGES * page_size

    def build() -> tuple[int, list[tuple[int, int]]]:
        head = list(refs()[: kept + 1])  # one row more tells whether the count needs a query of its own
        return (len(head) if len(head) <= kept else refs().count()), head[:kept]

    digest = hashlib.sha256(urlencode(sorted(filters.items())).encode()).hexdigest()[:32]
    key = f"list:{timezone.localdate().isoformat()}:{page_size}:{digest}"
    tags = [CATALOGUE, SEARCH] if filters.get("q") else [CATALOGUE]
    count, head = fragment(key, tags, build, settings.FRAGMENT_CACHE_SECONDS)
    return KeptRefs(count, head, refs)
