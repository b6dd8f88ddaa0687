"""Template helpers for the editorial pages and the site chrome: navigation, footer, SEO tags."""

import json
from typing import Any

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from wagtail.images.shortcuts import get_renditions_or_not_found
from wagtail.models import Locale, Page

from cms import selectors
from cms.caching import cached
from cms.richtext import render_rich_text
from storefront.selectors import PRODUCT_IMAGE_FILTERS

register = template.Library()

JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def safe_richtext(html: str | None) -> SafeString:
    """Stored rich text cleaned of anything the editor cannot produce, then expanded for display."""
    return render_rich_text(html or "")


def _chrome(language: str) -> dict[str, Any]:
    """Menu entries and footer for one language."""
    locale = Locale.objects.filter(language_code=language).first() or Locale.get_default()
    footer = selectors.footer(locale)
    return {
        "menu": [(page.title, page.get_url()) for page in selectors.menu_pages(locale)],
        "footer_text": footer.text if footer else "",
        "footer_links": [
            (link.value["label"], link.value["page"].get_url() if link.value["page"] else link.value["url"])
            for link in (footer.links if footer else [])
            if link.value["page"] or link.value["url"]
        ],
    }


@register.simple_tag
def site_chrome() -> dict[str, Any]:
    """The menu and footer of the active language (cached until pages or footers change)."""
    language = get_language() or settings.LANGUAGE_CODE
    return cached(f"chrome:{language}", lambda: _chrome(language))


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


@register.simple_tag(takes_context=True)
def alternate_links(context: template.Context) -> list[tuple[str, str]]:
    """(language, absolute URL) of this page in every language it exists in, for ``hreflang``."""
    request = context.get("request")
    if request is None:
        return []
    page = context.get("page")
    if isinstance(page, Page) and page.pk:
        return [(code, _absolute(request, url)) for code, url in page_alternates(page, request)]
    path = request.get_full_path()
    return [(code, _absolute(request, translate_url(path, code))) for code, _name in settings.LANGUAGES]


def page_alternates(page: Page, request) -> list[tuple[str, str]]:
    """(language, address) of the page's live translations, cached until a page is published or moved."""

    def build() -> list[tuple[str, str]]:
        translations = page.get_translations(inclusive=True).live().select_related("locale")
        return sorted(
            (translation.locale.language_code, url)
            for translation in translations
            if (url := translation.get_url(request=request))
        )

    return cached(f"alternates:{page.translation_key}", build)


@register.simple_tag(takes_context=True)
def canonical_url(context: template.Context) -> str:
    """This page's address without query string (page numbers and filters excepted)."""
    request = context.get("request")
    if request is None:
        return ""
    page = context.get("page")
    if isinstance(page, Page) and page.pk:
        return _absolute(request, page.get_url(request=request) or request.path)
    return request.build_absolute_uri(request.path)


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, url: str) -> str:
    return _absolute(context.get("request"), url)


def _json_ld(data: dict[str, Any]) -> SafeString:
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


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
            "price": f"{variant.price // 100}.{variant.price % 100:02d}",
            "priceCurrency": "CNY",
            "availability": "https://schema.org/InStock" if variant.available > 0 else "https://schema.org/OutOfStock",
            "url": _absolute(request, product.get_absolute_url()),
        }
        for variant in product.active_variants
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.summary,
        "sku": product.active_variants[0].sku if product.active_variants else product.slug,
        "brand": {"@type": "Organization", "name": product.merchant.name},
        "category": product.category.name,
        "url": _absolute(request, product.get_absolute_url()),
        "offers": offers,
    }
    if product.cover is not None:
        data["image"] = _absolute(request, product_share_url(product.cover.image))
    return _json_ld(data)


@register.simple_tag(takes_context=True)
def article_json_ld(context: template.Context, page) -> SafeString:
    """schema.org ``Article`` for a story."""
    request = context.get("request")
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": page.title,
        "description": page.seo_description(),
        "datePublished": page.date.isoformat(),
        "dateModified": (page.last_published_at or page.latest_revision_created_at or page.first_published_at),
        "inLanguage": selectors.active_language_code(),
        "url": _absolute(request, page.get_url(request=request) or ""),
        "publisher": {"@type": "Organization", "name": settings.WAGTAIL_SITE_NAME},
    }
    if page.producer_id:
        data["about"] = {"@type": "Organization", "name": page.producer.name}
    if page.hero_image_id:
        data["image"] = _absolute(request, page.hero_image.file.url)
    return _json_ld(data)
