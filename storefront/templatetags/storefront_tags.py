"""Template helpers for the storefront: money in yuan and product pictures as WebP renditions."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.safestring import SafeString
from wagtail.images.models import AbstractImage, ResponsiveImage
from wagtail.images.shortcuts import get_renditions_or_not_found

from storefront.selectors import PRODUCT_IMAGE_FILTERS

register = template.Library()


@register.filter
def money(fen: int | None) -> str:
    """An amount in integer fen as yuan with two decimals: 12345 → "¥123.45" (no floats involved)."""
    if fen is None:
        return ""
    try:
        amount = int(fen)
    except (TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    yuan, cents = divmod(abs(amount), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


@register.simple_tag
def product_image(image: AbstractImage | None, alt: str, sizes: str, loading: str = "lazy") -> SafeString | str:
    """An ``<img>`` with a WebP ``srcset`` of the product renditions (prefetched by the selectors)."""
    if image is None:
        return ""
    renditions = get_renditions_or_not_found(image, PRODUCT_IMAGE_FILTERS)
    attrs = {"alt": alt, "sizes": sizes, "loading": loading, "decoding": "async"}
    return ResponsiveImage(renditions, attrs).__html__()


@register.simple_tag(takes_context=True)
def default_language_url(context: template.Context) -> str:
    """This page's address in the default (unprefixed) language.

    The language switcher posts it as ``next``: ``set_language`` resolves ``next`` in the
    default language and turns it into the chosen language's address, query string kept.
    """
    request = context.get("request")
    if request is None:
        return "/"
    return translate_url(request.get_full_path(), settings.LANGUAGE_CODE)
