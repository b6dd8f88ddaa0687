"""Template helpers for the storefront: product pictures and thumbnails as WebP renditions, product JSON-LD
and share picture, the language switcher's address.

Money is ``{% load money %}`` (``core.templatetags.money``).
"""

from django import template
from django.conf import settings
from django.utils.safestring import SafeString
from wagtail.images.models import AbstractImage, ResponsiveImage
from wagtail.images.shortcuts import get_renditions_or_not_found

from core.money import fen_to_yuan
from core.templatetags.links import translated_url
from core.templatetags.seo import absolute, json_ld
from storefront.cards import render_card
from storefront.page_cache import depends_on, product_tags
from storefront.selectors import PRODUCT_IMAGE_FILTERS, THUMBNAIL_FILTER

register = template.Library()


@register.simple_tag
def product_image(image: AbstractImage | None, alt: str, sizes: str, loading: str = "lazy") -> SafeString | str:
    """An ``<img>`` with a WebP ``srcset`` of the product renditions (prefetched by the selectors)."""
    if image is None:
        return ""
    renditions = get_renditions_or_not_found(image, PRODUCT_IMAGE_FILTERS)
    attrs = {"alt": alt, "sizes": sizes, "loading": loading, "decoding": "async"}
    return ResponsiveImage(renditions, attrs).__html__()


@register.simple_tag
def product_thumbnail(image: AbstractImage | None) -> SafeString | str:
    """A small square ``<img>`` of a product picture (its thumbnail rendition, prefetched by the selectors);
    the link around it names the picture, so its own alternative text is empty."""
    if image is None:
        return ""
    rendition = get_renditions_or_not_found(image, (THUMBNAIL_FILTER,))[THUMBNAIL_FILTER]
    return rendition.img_tag({"alt": "", "loading": "lazy", "decoding": "async"})


@register.simple_tag(takes_context=True)
def product_card(context: template.Context, product) -> SafeString:
    """A product's card; the page being rendered now depends on the product and its merchant."""
    depends_on(context.get("request"), product_tags(product.pk, product.merchant_id))
    return render_card(product)


@register.simple_tag(takes_context=True)
def default_language_url(context: template.Context) -> str:
    """This page's address in the default (unprefixed) language.

    The language switcher posts it as ``next``: ``set_language`` resolves ``next`` in the
    default language and turns it into the chosen language's address, query string kept.
    """
    request = context.get("request")
    if request is None:
        return "/"
    return translated_url(request.get_full_path(), settings.LANGUAGE_CODE)


@register.filter
def product_share_url(image) -> str:
    """The largest product rendition's address (already prefetched by the storefront selectors)."""
    if not image:
        return ""
    renditions = get_renditions_or_not_found(image, PRODUCT_IMAGE_FILTERS)
    return renditions[PRODUCT_IMAGE_FILTERS[-1]].url


@register.simple_tag(takes_context=True)
def product_json_ld(context: template.Context, product) -> SafeString:
    """schema.org ``Product`` with one ``Offer`` per active variant (price in yuan, availability)."""
    request = context.get("request")
    offers = [
        {
            "@type": "Offer",
            "sku": variant.sku,
            "name": variant.name,
            "price": fen_to_yuan(variant.price),
            "priceCurrency": "CNY",
            "availability": "https://schema.org/InStock" if variant.available > 0 else "https://schema.org/OutOfStock",
            "url": absolute(request, product.get_absolute_url()),
        }
        for variant in product.active_variants
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.display_name,
        "description": product.display_summary,
        "sku": product.active_variants[0].sku if product.active_variants else product.slug,
        "brand": {"@type": "Organization", "name": product.merchant.display_name},
        "category": product.category.display_name,
        "url": absolute(request, product.get_absolute_url()),
        "offers": offers,
    }
    if product.cover is not None:
        data["image"] = absolute(request, product_share_url(product.cover.image))
    return json_ld(data)
