"""Template helpers for the editorial pages and the site chrome: navigation, footer, SEO tags."""

from typing import Any

from django import template
from django.conf import settings
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from wagtail.models import Locale, Page

from cms import bodies, selectors
from cms.caching import cached
from cms.chrome import render_part
from cms.querysets import active_language_code
from core.templatetags.links import translated_url
from core.templatetags.seo import absolute, json_ld

register = template.Library()

JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


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


@register.simple_tag(takes_context=True)
def chrome(context: template.Context, part: str, menus: dict[str, Any]) -> SafeString:
    """The site's ``header`` or ``footer`` (with the tab bar) for this page and visitor (``cms.chrome``), from
    ``menus`` (``site_chrome``)."""
    return render_part(context, part, menus)


@register.simple_tag(takes_context=True)
def alternate_links(context: template.Context) -> list[tuple[str, str]]:
    """(language, absolute URL) of this page in every language it exists in, for ``hreflang``."""
    request = context.get("request")
    if request is None:
        return []
    page = context.get("page")
    if isinstance(page, Page) and page.pk:
        return [(code, absolute(request, url)) for code, url in page_alternates(page, request)]
    path = request.get_full_path()
    return [(code, absolute(request, translated_url(path, code))) for code, _name in settings.LANGUAGES]


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
        "inLanguage": active_language_code(),
        "url": absolute(request, page.get_url(request=request) or ""),
        "publisher": {"@type": "Organization", "name": settings.WAGTAIL_SITE_NAME},
    }
    if page.merchant_id:
        data["about"] = {"@type": "Organization", "name": page.merchant.display_name}
    if page.hero_image_id:
        data["image"] = absolute(request, page.hero_image.file.url)
    return json_ld(data)


@register.simple_tag(takes_context=True)
def page_body(context: template.Context, body) -> SafeString:
    """A page's StreamField body, kept rendered until the page or a product in it changes (``cms.bodies``)."""
    return bodies.render(context.get("request"), body)
