"""The shop's products and merchants as the editorial pages show them (reads; no page model here).

Products embedded in a page's blocks come in one bulk query (``block_products``, see
``cms.blocks.products_prefetched``).
"""

import copy
from collections.abc import Sequence

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from catalog.models import Merchant, Product
from storefront import selectors as shop

SEARCH_LIMIT = 20


def block_products(pks: Sequence[int | None], renditions: bool = True) -> list[Product | None]:
    """Products for product blocks, in the order asked, shaped and prepared for display.

    Products the shop does not sell (``storefront.selectors.public_products``: unpublished, inactive
    merchant...) come with ``is_public`` false so the editor still sees them chosen; deleted ones are
    ``None``. With ``renditions`` false the pictures' renditions are left for ``attach_renditions``.
    """
    wanted = [pk for pk in pks if pk]
    if not wanted:
        return [None for _pk in pks]
    public = Exists(shop.public_products().filter(pk=OuterRef("pk")))
    chosen = Product.objects.filter(pk__in=wanted).annotate(is_public=public)
    found = {product.pk: product for product in shop.prepare_for_display(shop.shape_products(chosen, renditions))}
    return [copy.copy(found[pk]) if pk in found else None for pk in pks]


def merchant_or_404(slug: str) -> Merchant:
    """An active merchant with at least one public product, or 404."""
    has_products = Exists(shop.public_products().filter(merchant=OuterRef("pk")))
    return get_object_or_404(Merchant.objects.filter(is_active=True).filter(has_products), slug=slug)


def merchant_product_refs(merchant: Merchant) -> QuerySet:
    """(id, merchant id) of the merchant's public products, newest first, for cards."""
    products = shop.public_products().filter(merchant=merchant).order_by("-created_at", "-pk")
    return products.values_list("pk", "merchant_id")


def public_merchants() -> QuerySet[Merchant]:
    """Active merchants with public products (the ones that get a page)."""
    return Merchant.objects.filter(is_active=True).filter(
        Exists(shop.public_products().filter(merchant=OuterRef("pk")))
    )
