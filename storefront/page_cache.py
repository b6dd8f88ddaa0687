"""Whole public pages cached in Redis, with the per-visitor parts punched out, dropped by what changed.

A view opts in with ``cache_public_page`` (Wagtail pages through the ``before_serve_page`` hook); the
middleware then stores the page rendered for an anonymous visitor once per scheme, host, language,
path and query string, and serves it to every later visitor, signed in or not, while nothing it
depends on has changed. Three parts differ per visitor and are filled in on every hit: the CSRF
token of each form, the header's cart link and the header's account links.

**What a page depends on** is recorded while it renders (``depends_on``): every product card adds its
product and merchant (``product_tags``), the product page its product, category and related cards,
lists the ``CATALOGUE`` (which products lists hold and in what order), searches ``SEARCH`` too (the
operators' synonyms), Wagtail pages themselves.
Every page depends on ``SITE`` (menus, footers, settings, counters). A change ``stamp``s its tags after
commit (``storefront.signals``, ``cms.signals``); an entry is current while none of its tags was
stamped after its render began (``core.cache`` tags). A sale stamps nothing unless the availability
a shopper sees changes (``storefront.availability``).

Never stored: pages rendered for a signed-in visitor, pages with a message, pages that added one,
anything but a 200 GET, responses that set a cookie (other than CSRF's), previews, pages behind a view
restriction. Never served: to staff who may edit pages (Wagtail's user bar), to visitors with a pending
message. Cached pages live ``PAGE_CACHE_SECONDS`` at most (0 turns the cache off), which also bounds
what changes with the date (seasons, certificates' expiry).

With Redis away every page is rendered afresh: the cache backend (``core.cache``) answers misses and
drops writes instead of raising. The probes ``/healthz`` and ``/readyz`` never look in the cache.
"""

import hashlib
import re
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import cc_delim_re
from django.utils.translation import get_language

from core.cache import get_with_marks, marks, stamp
from storefront.cart import COOKIE_NAME as CART_COOKIE
from storefront.cart import HeaderCart

SITE = "site"
CATALOGUE = "catalogue"
SEARCH = "search"  # what a query finds beyond the catalogue's rows: the operators' synonyms
CERTIFIED = "certified"  # the public register of certificates (``/certified/``): any certificate's change
CSRF_HOLE = "__dx_csrf__"
CART_START, CART_END = "<!--dx:cart-->", "<!--/dx:cart-->"
CART_HOLE = "<!--dx:cart-hole-->"
ACCOUNT_START, ACCOUNT_END = "<!--dx:account-->", "<!--/dx:account-->"
ACCOUNT_HOLE = "<!--dx:account-hole-->"
EDITOR_KEY = "_dx_edits_pages"  # in the session: [user id, whether that user may edit pages]
PLAIN_HEADERS = 64  # at most this many kept per process (one for each language and view)
CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
CART_REGION = re.compile(re.escape(CART_START) + ".*?" + re.escape(CART_END), re.S)
ACCOUNT_REGION = re.compile(re.escape(ACCOUNT_START) + ".*?" + re.escape(ACCOUNT_END), re.S)
# The liveness and readiness probes must not wait on the cache (config/urls.py).
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def product_tags(product_id: int, merchant_id: int | None = None) -> list[str]:
    """The tags of what a product card or page shows of a product (and of its merchant)."""
    tags = [f"product:{product_id}"]
    if merchant_id:
        tags.append(f"merchant:{merchant_id}")
    return tags


def depends_on(request: HttpRequest | None, tags: Iterable[str]) -> None:
    """Record that the page being rendered for ``request`` shows what ``tags`` name."""
    if request is not None:
        if not hasattr(request, "page_tags"):
            request.page_tags = set()
        request.page_tags.update(tags)


def changed(tags: Iterable[str]) -> None:
    """Pages (and fragments) depending on any of ``tags`` are stale from now on."""
    stamp(tags)


def changed_on_commit(tags: Iterable[str]) -> None:
    tags = list(tags)
    transaction.on_commit(lambda: changed(tags))


def bump() -> None:
    """Every cached page is stale from now on (menus, footers, settings: shown on every page)."""
    changed([SITE])


def mark_cacheable(request: HttpRequest) -> None:
    request.page_cacheable = True


def cache_public_page(view: Callable) -> Callable:
    """Let the page cache keep this view's GET responses (see the module docstring for when)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        mark_cacheable(request)
        return view(request, *args, **kwargs)

    return wrapped


def _eligible(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and request.path_info not in PROBE_PATHS
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _servable(request: HttpRequest) -> bool:
    """A visitor with a session may get a stored page, unless a message waits for them or they may
    edit pages (Wagtail's user bar is theirs alone)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    if request.user.is_authenticated and _may_edit_pages(request):
        return False
    messages = getattr(request, "_messages", None)
    return not (messages is not None and len(messages))


def _may_edit_pages(request: HttpRequest) -> bool:
    """Staff, or a user with Wagtail's admin access. The permission (two queries through the user's groups) is
    asked once per session and kept in it with the user's id: one granted meanwhile counts from the next sign-in,
    until which the editor is served the stored pages, without the user bar."""
    user = request.user
    if user.is_staff:
        return True
    known = request.session.get(EDITOR_KEY)
    if not isinstance(known, list) or known[:1] != [user.pk]:
        known = request.session[EDITOR_KEY] = [user.pk, user.has_perm("wagtailadmin.access_admin")]
    return bool(known[1])


def _key(request: HttpRequest) -> str:
    """Scheme, host, language, path and query: pages print absolute addresses from the host."""
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"pages:{request.LANGUAGE_CODE}:{digest}"


def _cart_link(request: HttpRequest) -> str:
    return render_to_string("storefront/includes/cart_link.html", {"header_cart": HeaderCart(request)}, request)


def _account_links(request: HttpRequest) -> str:
    return render_to_string("storefront/includes/account_links.html", {}, request)


def punch_csrf(content: str) -> str:
    """``content`` with each form's CSRF token replaced by a hole (``fill_csrf``)."""
    return CSRF_INPUT.sub(rf"\g<1>{CSRF_HOLE}\g<2>", content)


def fill_csrf(request: HttpRequest, content: str) -> str:
    """``content`` with its CSRF holes filled with ``request``'s token."""
    return content.replace(CSRF_HOLE, get_token(request)) if CSRF_HOLE in content else content


# The header's links of a visitor with neither a session nor a cart, per language and view (the cart link and
# "my orders" mark the page they lead to as current): the same for all of them.
_plain_headers: dict[tuple[str, str], tuple[str, str]] = {}


def _header(request: HttpRequest) -> tuple[str, str]:
    """The visitor's cart link and account links (worked out once per request: the header and the tab bar)."""
    header = getattr(request, "_visitor_header", None)
    if header is not None:
        return header
    plain = settings.SESSION_COOKIE_NAME not in request.COOKIES and CART_COOKIE not in request.COOKIES
    match = getattr(request, "resolver_match", None)
    key = (get_language(), match.view_name if match else "")
    header = _plain_headers.get(key) if plain else None
    if header is None:
        header = (_cart_link(request), _account_links(request))
        if plain and len(_plain_headers) < PLAIN_HEADERS:
            _plain_headers[key] = header
    request._visitor_header = header
    return header


def fill_visitor(request: HttpRequest, content: str) -> str:
    """``content`` with the visitor's parts filled in: CSRF tokens, the cart link, the account links."""
    content = fill_csrf(request, content)
    if CART_HOLE in content or ACCOUNT_HOLE in content:
        cart_link, account_links = _header(request)
        content = content.replace(CART_HOLE, cart_link).replace(ACCOUNT_HOLE, account_links)
    return content


def punch_visitor(content: str) -> str:
    """``content`` with the visitor's parts replaced by holes (``fill_visitor``); the regions' markers stay, so
    content punched and filled again (the site's chrome, ``cms.chrome``) can be punched again."""
    content = CART_REGION.sub(CART_START + CART_HOLE + CART_END, punch_csrf(content))
    return ACCOUNT_REGION.sub(ACCOUNT_START + ACCOUNT_HOLE + ACCOUNT_END, content)


def _private(response: HttpResponse) -> bool:
    """Marked by its view as private or not to be stored (Wagtail does so for a page behind a restriction)."""
    directives = {part.split("=")[0].strip().lower() for part in cc_delim_re.split(response.get("Cache-Control", ""))}
    return bool(directives & {"private", "no-store"})


class PageCacheMiddleware:
    """Serve and store public pages (after the session, locale, CSRF, auth and messages middleware, and
    inside the middleware that adds security headers, so hits carry them too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _eligible(request) or not _servable(request):
            return self.get_response(request)
        key = _key(request)
        # The clock is read with the entry: a page rendered now began after this reading.
        stored, _, built_at = get_with_marks([key], [])
        cached = stored.get(key)
        if cached is not None:
            stored_at, tags, content_type, content = cached
            if marks(tags) <= stored_at:
                response = HttpResponse(fill_visitor(request, content), content_type=content_type)
                response["X-Page-Cache"] = "hit"
                return response
        response = self.get_response(request)
        if self._storable(request, response):
            tags = sorted(getattr(request, "page_tags", set()) | {SITE})
            entry = (built_at, tags, response["Content-Type"], punch_visitor(response.content.decode()))
            cache.set(key, entry, settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponse) -> bool:
        messages = getattr(request, "_messages", None)
        return (
            getattr(request, "page_cacheable", False)
            and not request.user.is_authenticated
            and not (messages is not None and len(messages))
            and not getattr(request, "is_preview", False)
            and request.method == "GET"
            and response.status_code == 200
            and not response.streaming
            and all(name == settings.CSRF_COOKIE_NAME for name in response.cookies)
            and response["Content-Type"].startswith("text/html")
            and not _private(response)
        )
