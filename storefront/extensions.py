"""Extension points of the shop's pages: what layers above the shop add without the shop knowing them.

The shop sits below the editorial pages (``cms`` uses the shop's product selectors and page cache,
never the reverse). Where a shop page shows editorial content — the stories about a product's
merchant, the stories a search finds — the editorial app registers a section from its ``AppConfig.ready``.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from catalog.models import Product

ProductSection = Callable[[HttpRequest, Product], SafeString | str]
SearchSection = Callable[[HttpRequest, str], SafeString | str]

PRODUCT_SECTIONS: list[ProductSection] = []
SEARCH_SECTIONS: list[SearchSection] = []


def register_product_section(section: ProductSection) -> None:
    """Add a section (HTML, rendered after the product's details) to every product page."""
    if section not in PRODUCT_SECTIONS:
        PRODUCT_SECTIONS.append(section)


def product_sections(request: HttpRequest, product: Product) -> list[SafeString | str]:
    """The registered sections for this product, in registration order; empty ones left out."""
    return [html for section in PRODUCT_SECTIONS if (html := section(request, product))]


def register_search_section(section: SearchSection) -> None:
    """Add a section (HTML, rendered after the matching products) to the product list searched by a query."""
    if section not in SEARCH_SECTIONS:
        SEARCH_SECTIONS.append(section)


def search_sections(request: HttpRequest, query: str) -> list[SafeString | str]:
    """The registered search sections for ``query``, in registration order; empty ones left out."""
    return [html for section in SEARCH_SECTIONS if (html := section(request, query))]
