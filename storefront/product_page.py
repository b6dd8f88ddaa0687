"""The product page's own parts, rendered once per product, language and host and kept until it changes.

The parts are the head (Open Graph, JSON-LD) and the main section (pictures and thumbnails, the variant
picker, availability, the aid certificate, the delivery promise, the buy buttons, details, the counters
with their stock of each variant, the merchant). They depend on the product, its merchant and its category
(``tags``), and on the site (counters' addresses and hours, the operators' delivery promise), so a change to
any of them, or a sale that changes what shoppers see (a counter's stock included,
``storefront.availability``), renders them again; nothing else does. The add-to-cart form's CSRF token is a
hole, filled for each visitor. Kept ``FRAGMENT_CACHE_SECONDS`` at most (0: every page is rendered afresh),
and per day, as certificates and seasons follow the date.

Nothing in them is per visitor: the counter a shopper chose is remembered by their browser
(``storefront/js/product.js``), not by the page.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from catalog.models import Product
from core.cache import fragment
from storefront import selectors
from storefront.page_cache import CATALOGUE, SITE, fill_csrf, punch_csrf

# Counters listed before the rest are folded away.
COUNTERS_SHOWN = 3


@dataclass(frozen=True)
class ProductPage:
    name: str
    description: str
    head: SafeString
    main: SafeString
    product: Product | None  # shaped for display when rendered now (None when the parts were stored)


def find(slug: str) -> Product:
    """The public product ``slug`` names (``selectors.public_product``: 404 if none), remembered per day.

    Which product a slug names, and its row with its merchant's and category's, change only with a save that
    stamps ``CATALOGUE`` (a product, variant, merchant, category, certificate or pre-sale) or ``SITE`` (the aid
    settings, which hide products whose certificate expired); the day is in the key, as certificates expire by
    the day. A slug that names no public product is never kept. The pre-sale edges follow the clock: read afresh
    (one plain query) for a remembered product that has pre-sales.
    """
    found: list[Product] = []

    def build() -> Product:
        found.append(selectors.public_product(slug))
        return found[0]

    digest = hashlib.sha256(slug.encode()).hexdigest()[:32]
    key = f"product-slug:{timezone.localdate().isoformat()}:{digest}"
    product = fragment(key, [CATALOGUE, SITE], build, settings.FRAGMENT_CACHE_SECONDS)
    if not found and product.presale_edges:
        product.presale_edges = selectors.presale_edges(product.pk)
    return product


def tags(product: Product) -> list[str]:
    return [f"product:{product.pk}", f"merchant:{product.merchant_id}", f"category:{product.category_id}"]


def _render(request: HttpRequest, product: Product, rendered: list[Product]) -> dict[str, str]:
    (shaped,) = selectors.prepare_for_display([selectors.shape_product(product)])
    rendered.append(shaped)
    counters = selectors.pickup_counters(shaped)
    context = {
        "product": shaped,
        # Preselected in the picker: the first variant on sale.
        "chosen": next((v for v in shaped.active_variants if v.availability.status != "sold_out"), None),
        "certificate": selectors.aid_certificate(shaped),
        "delivery_promise": selectors.delivery_promise(request),
        "counters": counters,
        "counters_first": counters[:COUNTERS_SHOWN],
        "counters_more": counters[COUNTERS_SHOWN:],
        "presales": selectors.presale_blocks(shaped),
    }
    return {
        "name": shaped.display_name,
        "description": shaped.display_summary or shaped.display_name,
        "head": render_to_string("storefront/product/head.html", context, request),
        "main": punch_csrf(render_to_string("storefront/product/main.html", context, request)),
    }


def product_page(request: HttpRequest, product: Product) -> ProductPage:
    """The parts of ``product``'s page (a public product from ``find``), from the cache
    when still current."""
    rendered: list[Product] = []
    key = f"product-page:{timezone.localdate().isoformat()}:{get_language()}:{request.scheme}://{request.get_host()}:{product.pk}{selectors.presale_phase(product)}"
    parts = fragment(
        key, [*tags(product), SITE], lambda: _render(request, product, rendered), settings.FRAGMENT_CACHE_SECONDS
    )
    return ProductPage(
        name=parts["name"],
        description=parts["description"],
        head=mark_safe(parts["head"]),  # noqa: S308 (rendered from templates)
        main=mark_safe(fill_csrf(request, parts["main"])),  # noqa: S308 (rendered from templates)
        product=rendered[0] if rendered else None,
    )
