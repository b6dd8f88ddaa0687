"""Reads for the editorial views and tags: stories about a merchant, story search, menus and footers.

Query shaping lives with the models' managers (``cms.querysets``); products and merchants as pages
show them in ``cms.products``, counters in ``cms.counters``.
"""

from wagtail.models import Locale, Page

from catalog.models import Merchant
from catalog.search import search
from cms.models import Footer, HomePage, StoryPage
from cms.products import SEARCH_LIMIT
from cms.querysets import public


def stories_about(merchant: Merchant) -> list[StoryPage]:
    """Published stories about a merchant that the reader can read (see ``StoryPageQuerySet.readable``)."""
    return StoryPage.objects.readable().filter(merchant=merchant).cards()


def search_stories(query: str, limit: int = SEARCH_LIMIT) -> list[StoryPage]:
    """Published stories whose segmented text matches every word of ``query``, best first.

    Stories in the active language, and those of the default language not translated into it.
    """
    found = search(StoryPage.objects.readable(), query)
    if "search_rank" in found.query.annotations:
        found = found.order_by("-search_rank", "-date", "-pk")
    return found[:limit].cards()


def footer(locale: Locale | int) -> Footer | None:
    rows = Footer.objects.order_by("pk").localized(locale)
    return rows[0] if rows else None


def menu_pages(locale: Locale) -> list[Page]:
    """The live pages under the locale's home page marked "show in menus"."""
    home = HomePage.objects.filter(locale=locale, depth=2).first() or HomePage.objects.filter(depth=2).first()
    if home is None:
        return []
    return list(public(home.get_children().live().in_menu()))
