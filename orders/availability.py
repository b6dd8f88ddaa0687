"""What the shop sells, and how many of a variant one order could get.

One rule for the cart, checkout and the counter: a variant is sellable when it is active, its product
published, its merchant active, it is not taken off sale for an expired aid certificate, and, for a pre-sale's
variant, its orders are being taken now (``PreSale.is_selling``). A gift pack is sellable when it is published
and every one of its items is.
"""

from django.db import connection
from django.db.models import QuerySet

from catalog.models import Location, Pack, PackItem, Stock, Variant
from catalog.presales import not_selling_presale_variants, presale_of, unharvested_presale_variants
from orders.aid.certificates import hidden_for_expired_certificate, is_hidden_for_expired_certificate


def sellable_variants() -> QuerySet[Variant]:
    """Variants a customer may buy: active, of a published product of an active merchant, not taken off
    sale for an expired aid certificate, not a pre-sale outside its order window."""
    variants = Variant.objects.filter(
        is_active=True, product__is_published=True, product__merchant__is_active=True
    ).exclude(pk__in=not_selling_presale_variants())
    hidden = hidden_for_expired_certificate("product__")
    return variants if hidden is None else variants.exclude(hidden)


def is_sellable(variant: Variant) -> bool:
    """The same rule as ``sellable_variants`` for a variant loaded with its product and merchant (and its
    ``presale``, else one query)."""
    product = variant.product
    presale = presale_of(variant) if variant.is_active else None
    return (
        variant.is_active
        and product.is_published
        and product.merchant.is_active
        and (presale is None or presale.is_selling())
        and not is_hidden_for_expired_certificate(product)
    )


def stocked_variants() -> QuerySet[Variant]:
    """``sellable_variants`` whose stock is goods on a shelf: not a pre-sale before its harvest is in (counter
    walk-in sales and bulk orders sell only these)."""
    return sellable_variants().exclude(pk__in=unharvested_presale_variants())


def available_quantities(variant_ids: list[int]) -> dict[int, int]:
    """How many of each variant one order could get: all active warehouses together, or the best counter.

    One plain query (not the ORM's): the cart, checkout and a flash sale's refusals ask it on every request, and
    building the ORM's join cost more than PostgreSQL running it."""
    warehouse_total: dict[int, int] = {}
    best_counter: dict[int, int] = {}
    ids = sorted({int(pk) for pk in variant_ids})
    rows: list[tuple[int, str, int, int]] = []
    if ids:
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT s.variant_id, l.kind, s.on_hand, s.allocated FROM {Stock._meta.db_table} s "  # noqa: S608
            f"JOIN {Location._meta.db_table} l ON l.id = s.location_id "
            f"WHERE l.is_active = %s AND s.variant_id IN ({marks})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [True, *ids])
            rows = cursor.fetchall()
    for variant_id, kind, on_hand, allocated in rows:
        free = max(on_hand - allocated, 0)
        if kind == Location.Kind.WAREHOUSE:
            warehouse_total[variant_id] = warehouse_total.get(variant_id, 0) + free
        else:
            best_counter[variant_id] = max(best_counter.get(variant_id, 0), free)
    return {vid: max(warehouse_total.get(vid, 0), best_counter.get(vid, 0)) for vid in variant_ids}


def sellable_packs() -> QuerySet[Pack]:
    """Gift packs a customer may buy: published, with items, every one of them a sellable variant."""
    unsellable = PackItem.objects.exclude(variant__in=sellable_variants()).values("pack_id")
    return Pack.objects.filter(is_published=True, items__isnull=False).exclude(pk__in=unsellable).distinct()


def is_pack_sellable(pack: Pack, items: list[PackItem]) -> bool:
    """The same rule as ``sellable_packs`` for a pack and its items loaded with products and merchants."""
    return pack.is_published and bool(items) and all(is_sellable(item.variant) for item in items)


def packs_available(items: list[PackItem], available: dict[int, int]) -> int:
    """How many packs of these items one order could get, given each variant's ``available_quantities``."""
    return min((available.get(item.variant_id, 0) // item.quantity for item in items), default=0)
