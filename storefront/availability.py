"""What shoppers are shown of a product's stock, and stamping its pages only when that changes.

Every sale allocates stock, but a page changes only when what it says changes: a variant or the product
going from in stock to "only N left" (and each N) to sold out, or one counter's stock of a variant doing the
same (the product page shows each counter's stock per variant, ``selectors.pickup_counters``), a counter
starting or stopping to hold it included. ``refresh`` runs after the commit of each stock change
(``storefront.signals``): it computes the product's shown availability afresh, compares it with the last
one seen (in the cache) and, when they differ, stamps the product (its page and every card of it) and,
when the product sold out or came back, the catalogue (lists filtered to what is in stock, and their counts).

Refreshes of one product are serialised with a PostgreSQL advisory lock, so the last one to finish has
read the latest stock. With no earlier reading (a new product, a flushed cache) the change is stamped.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import PreSale, Variant
from storefront.page_cache import CATALOGUE, changed, product_tags
from storefront.selectors import active_variants, availability, counter_availability, counter_stocks

LOCK_NAMESPACE = 7_314_001  # pg_advisory_xact_lock(namespace, product id)
SEEN_TIMEOUT = 7 * 24 * 3600


def _key(product_id: int) -> str:
    return f"shown:{product_id}"


def _shown(status: str, quantity: int) -> str:
    return f"{status}:{quantity}" if status == "low" else status


def shown_availability(product_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Per product: (its status, a fingerprint of everything shown about its stock)."""
    ids = list(product_ids)
    variants: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for product_id, pk, available in (
        active_variants().filter(product_id__in=ids).values_list("product_id", "pk", "available")
    ):
        variants[product_id].append((pk, available))
    counters: dict[int, list[str]] = defaultdict(list)
    rows = (
        counter_stocks()
        .filter(variant__product_id__in=ids)
        .annotate(free=F("on_hand") - F("allocated"))
        .order_by()
        .values_list("variant__product_id", "location_id", "variant_id", "free")
    )
    for product_id, location_id, variant_id, free in rows:
        each = counter_availability(free)
        counters[product_id].append(f"{location_id}:{variant_id}={_shown(each.status, each.quantity)}")
    presale_variants = set(PreSale.objects.filter(variant__product_id__in=ids).values_list("variant_id", flat=True))
    shown = {}
    for product_id in ids:
        total = availability(sum(available for _pk, available in variants[product_id]))
        parts = [_shown(total.status, total.quantity)]
        for pk, available in variants[product_id]:
            each = availability(available)
            parts.append(f"v{pk}={_shown(each.status, each.quantity)}")
        parts.append("c" + ",".join(sorted(counters[product_id])))
        # A pre-sale's page shows exactly how much of its plan is left: every sale changes it.
        parts.extend(f"ps{pk}={available}" for pk, available in variants[product_id] if pk in presale_variants)
        shown[product_id] = (total.status, "|".join(parts))
    return shown


def _lock(product_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, product_id])


def refresh(product_ids: Iterable[int]) -> None:
    """Stamp the products whose shown availability changed since it was last seen (see the module)."""
    for product_id in sorted(set(product_ids)):
        with transaction.atomic():
            _lock(product_id)
            status, fingerprint = shown_availability([product_id])[product_id]
            seen = cache.get(_key(product_id))
            if seen == [status, fingerprint]:
                continue
            tags = product_tags(product_id)
            if seen is None or (seen[0] == "sold_out") != (status == "sold_out"):
                tags.append(CATALOGUE)
            changed(tags)
            cache.set(_key(product_id), [status, fingerprint], SEEN_TIMEOUT)


PRESALE_EDGES_KEY = "presale-edges-checked"


def stamp_presale_edges(now: datetime.datetime | None = None) -> int:
    """Stamp the products (and the catalogue) of pre-sales whose order window opened or closed since the last
    check (two minutes back at first): their availability follows the clock, not a stock change, so cards and
    lists would otherwise wait for the day's key. Run every minute by beat; returns the products stamped."""
    now = now or timezone.now()
    since = cache.get(PRESALE_EDGES_KEY) or now - datetime.timedelta(minutes=2)
    edges = Q(opens_at__gt=since, opens_at__lte=now) | Q(closes_at__gt=since, closes_at__lte=now)
    product_ids = set(PreSale.objects.filter(edges).values_list("variant__product_id", flat=True))
    if product_ids:
        changed([CATALOGUE, *(tag for pk in sorted(product_ids) for tag in product_tags(pk))])
    cache.set(PRESALE_EDGES_KEY, now, SEEN_TIMEOUT)
    return len(product_ids)


def refresh_variants(variant_ids: Iterable[int]) -> None:
    product_ids = Variant.objects.filter(pk__in=list(variant_ids)).values_list("product_id", flat=True)
    refresh(set(product_ids))
