"""Editorial sections the shop's pages show (registered with ``storefront.extensions``)."""

import hashlib

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.models import Merchant, Product
from cms import selectors
from core.cache import fragment
from storefront.page_cache import SEARCH, SITE

STORIES_SECONDS = 3600
SEARCH_STORIES = 4


def merchant_stories(request: HttpRequest, product: Product) -> SafeString | str:
    """The published stories about the product's merchant, as story cards; nothing when there are none."""
    return merchant_section(request, product.merchant)


def merchant_section(request: HttpRequest, merchant: Merchant) -> SafeString | str:
    """The published stories about ``merchant``, as story cards (on its products' pages and its own); nothing
    when there are none."""

    def build() -> str:
        stories = selectors.stories_about(merchant)
        if not stories:
            return ""
        heading = _("Stories about %(merchant)s") % {"merchant": merchant.display_name}
        context = {"stories": stories, "name": "merchant-stories", "heading": heading}
        return render_to_string("cms/includes/story_grid.html", context, request)

    # Stories change only when pages are published (the site's mark) or the merchant changes.
    key = f"merchant-stories:{get_language()}:{merchant.pk}"
    return mark_safe(fragment(key, [SITE, f"merchant:{merchant.pk}"], build, STORIES_SECONDS))  # noqa: S308


def search_stories(request: HttpRequest, query: str) -> SafeString | str:
    """The published stories a product search's query finds (the best few), as story cards; nothing when none."""

    def build() -> str:
        stories = selectors.search_stories(query, limit=SEARCH_STORIES)
        if not stories:
            return ""
        heading = _("Stories about “%(query)s”") % {"query": query}
        context = {"stories": stories, "name": "search-stories", "heading": heading}
        return render_to_string("cms/includes/story_grid.html", context, request)

    # Found stories change when pages are published (the site's mark) or the operators' synonyms change.
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    key = f"search-stories:{get_language()}:{digest}"
    return mark_safe(fragment(key, [SITE, SEARCH], build, STORIES_SECONDS))  # noqa: S308
