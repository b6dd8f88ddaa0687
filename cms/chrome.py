"""The site's chrome: the header (search, menu, account, language) and the footer with the phone's tab bar.

Every page shows them, and rendering them was about a third of a product page's CPU. They differ only by the
language, the menu and footer (``site_chrome``, cached until pages or footers change), which link is current,
and a few parts of the visitor's own; so each part is rendered once per process for each language, menu and
current link, with holes where the visitor's parts go, and the holes are filled in for every page:

- the CSRF token of the language switcher, the cart link and the account links (``storefront.page_cache``,
  the same holes a cached page has; the regions keep their markers, so the page cache punches them again);
- the search box's words (``filters.q``) and the language switcher's ``next`` (this page's address).

The current link is worked out here, by the same rules the templates had: home on the home page, a fixed
link on its own view, a menu entry on its own address. A menu or footer change gives a new ``site_chrome``,
hence a new entry; translations, static files' addresses and the fixed links cannot change while a process
runs. Without a request (an error page rendered bare) a part is rendered afresh.
"""

import re
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from storefront.page_cache import fill_visitor, punch_visitor
from storefront.templatetags.storefront_tags import default_language_url

PARTS = {"header": "cms/chrome/header.html", "footer": "cms/chrome/footer.html"}
# The views whose own link the header or the tab bar marks as current; any other view marks none.
CURRENT_VIEWS = frozenset(
    {
        "storefront:product_list",
        "storefront:pack_list",
        "storefront:order_history",
        "storefront:login",
        "storefront:phone_sign_in",
    }
)
SEARCH_HOLE = "__dx_search__"
NEXT_HOLE = "__dx_next__"
HOLES = re.compile(f"{SEARCH_HOLE}|{NEXT_HOLE}")
KEPT = 256  # rendered parts kept per process at most (for each part, language, current link and menu)

_rendered: dict[tuple, str] = {}


def _current(request: Any, page: Any, menu: list[tuple[str, str]]) -> tuple[bool, str, str]:
    """(home, view, current_path): what the part marks as the current page."""
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match and match.view_name in CURRENT_VIEWS else ""
    path = request.path if any(url == request.path for _title, url in menu) else ""
    return getattr(page, "depth", None) == 2, view, path


def render_part(context: Any, name: str, chrome: dict[str, Any]) -> SafeString:
    """The chrome's part ``name`` for the page ``context`` renders, the visitor's own parts filled in."""
    request = context.get("request")
    filters = context.get("filters")
    search = (filters.get("q") if isinstance(filters, dict) else "") or ""  # the product list's search words
    if request is None:
        values = {"chrome": chrome, "home": False, "view": "", "current_path": "", "search_hole": search}
        return mark_safe(render_to_string(PARTS[name], {**values, "next_hole": default_language_url(context)}))  # noqa: S308
    home, view, path = _current(request, context.get("page"), chrome["menu"])
    key = (name, get_language(), home, view, path, repr(chrome))
    html = _rendered.get(key)
    if html is None:
        values = {"chrome": chrome, "home": home, "view": view, "current_path": path}
        html = render_to_string(PARTS[name], {**values, "search_hole": SEARCH_HOLE, "next_hole": NEXT_HOLE}, request)
        html = punch_visitor(html)
        if len(_rendered) >= KEPT:
            _rendered.clear()
        _rendered[key] = html
    fills = {SEARCH_HOLE: lambda: search, NEXT_HOLE: lambda: default_language_url(context)}
    # One pass, so that neither value is looked at again for the other's hole (a search for "__dx_next__").
    html = HOLES.sub(lambda hole: conditional_escape(str(fills[hole.group(0)]())), fill_visitor(request, html))
    return mark_safe(html)  # noqa: S308 (rendered by the template engine; the two values escaped here)
