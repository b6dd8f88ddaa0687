"""The stock listing grouped by product: each product with its totals, its variants and their locations.

Reads only: the rows come already scoped, filtered and searched (``StockIndexView``). Products are paged
and sorted by their totals (``ORDERINGS``: name, on hand, allocated, available); inside a product, variants
keep their catalogue order, and their locations follow the same sort (by code when sorting by name). A row
is *low* when its available units are at or below the product's low-stock threshold.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Sum

from catalog.models import Product, Stock, Variant

# ordering key → (the products' sort field, the rows' sort field)
ORDERINGS = {
    "product": ("variant__product__name", "location__code"),
    "on_hand": ("total_on_hand", "on_hand"),
    "allocated": ("total_allocated", "allocated"),
    "available": ("total_available", "available_units"),
}
DEFAULT_ORDERING = "product"


def valid_orderings() -> list[str]:
    return [f"{sign}{key}" for key in ORDERINGS for sign in ("", "-")]


def _split(ordering: str | None) -> tuple[str, bool]:
    key = (ordering or DEFAULT_ORDERING).lstrip("-")
    if key not in ORDERINGS:
        return DEFAULT_ORDERING, False
    return key, bool(ordering and ordering.startswith("-"))


def product_totals(rows: QuerySet[Stock], ordering: str | None) -> QuerySet:
    """One dict per product of ``rows``: ``product`` (its id) and the totals of its rows, sorted by ``ordering``
    (then by name and id, so pages never overlap)."""
    key, descending = _split(ordering)
    by = ORDERINGS[key][0]
    totals = (
        rows.order_by()
        .values("variant__product")
        .annotate(
            total_on_hand=Sum("on_hand"),
            total_allocated=Sum("allocated"),
            total_available=Sum(F("on_hand") - F("allocated")),
            low_rows=Count("pk", filter=Q(on_hand__lte=F("allocated") + F("variant__product__low_stock_threshold"))),
        )
    )
    return totals.order_by(f"-{by}" if descending else by, "variant__product__name", "variant__product")


@dataclass
class VariantStock:
    variant: Variant
    rows: list[Stock] = field(default_factory=list)


@dataclass
class ProductStock:
    product: Product
    on_hand: int
    allocated: int
    available: int
    low_rows: int
    variants: list[VariantStock] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(variant.rows) for variant in self.variants)

    @property
    def location_count(self) -> int:
        return len({row.location_id for variant in self.variants for row in variant.rows})


def group_rows(rows: QuerySet[Stock], totals: Iterable[dict], ordering: str | None) -> list[ProductStock]:
    """The products of ``totals`` (one page of ``product_totals``) in that order, with their rows of ``rows``."""
    totals = list(totals)
    key, descending = _split(ordering)
    row_key = ORDERINGS[key][1]
    product_ids = [entry["variant__product"] for entry in totals]
    loaded = (
        rows.filter(variant__product__in=product_ids)
        .annotate(available_units=F("on_hand") - F("allocated"))
        .select_related("variant__product__merchant", "location")
        .order_by(f"-{row_key}" if descending else row_key, "location__code", "pk")
    )
    groups = {
        entry["variant__product"]: ProductStock(
            product=None,
            on_hand=entry["total_on_hand"],
            allocated=entry["total_allocated"],
            available=entry["total_available"],
            low_rows=entry["low_rows"],
        )
        for entry in totals
    }
    variants: dict[int, VariantStock] = {}
    for row in loaded:
        product = row.variant.product
        row.is_low = row.available_units <= product.low_stock_threshold
        group = groups[product.pk]
        group.product = product
        if row.variant_id not in variants:
            variants[row.variant_id] = VariantStock(row.variant)
            group.variants.append(variants[row.variant_id])
        variants[row.variant_id].rows.append(row)
    for group in groups.values():
        group.variants.sort(key=lambda v: (v.variant.sort_order, v.variant.pk))
    return [group for group in groups.values() if group.product is not None]
