"""Whole public pages cached in Redis for anonymous visitors, with the per-visitor parts punched out.

A view opts in with ``cache_public_page`` (Wagtail pages through the ``before_serve_page`` hook); the
middleware then stores the rendered page once per language, path and query string and serves it to
every later visitor until the content generation moves on. Two parts differ per visitor and are
filled in on every hit: the CSRF token of each form and the header's cart link.

Never cached: signed-in visitors or any visitor with a session (their header differs, and session
messages may be pending), visitors with pending flash messages, pages that added one, anything but
a 200 GET, responses that set a cookie (other than CSRF's), and previews. Cached pages live ``PAGE_CACHE_SECONDS`` at
most (0 turns the cache off), which also bounds what changes with the date (seasons, campaigns).

``bump()`` moves the generation on: it runs after commit of every change to what public pages show
(products, variants, pictures, stock, merchants, categories, locations, shop and aid settings); the
editorial pages call it too whenever they move their own generation (``cms.caching``).

With Redis away every page is rendered afresh: the cache backend (``core.cache``) answers misses and
drops writes instead of raising. The probes ``/healthz`` and ``/readyz`` never look in the cache.
"""

import hashlib
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from core.cache import next_generation
from storefront.cart import HeaderCart

GENERATION_KEY = "pages:generation"
CSRF_HOLE = "__dx_csrf__"
CART_START, CART_END = "<!--dx:cart-->", "<!--/dx:cart-->"
CART_HOLE = "<!--dx:cart-hole-->"
CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
CART_REGION = re.compile(re.escape(CART_START) + ".*?" + re.escape(CART_END), re.S)
# The liveness and readiness probes must not wait on the cache (config/urls.py).
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def bump() -> None:
    """Every cached page is stale from now on."""
    next_generation(GENERATION_KEY)


def bump_on_commit() -> None:
    transaction.on_commit(bump)


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
    cookies = request.COOKIES
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and request.path_info not in PROBE_PATHS
        and settings.SESSION_COOKIE_NAME not in cookies
        and CookieStorage.cookie_name not in cookies
    )


def _key(request: HttpRequest) -> str:
    """Language, path and query, under the current page generation."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, None)
        generation = cache.get(GENERATION_KEY, 1)
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"pages:{generation}:{request.LANGUAGE_CODE}:{digest}"


def _cart_link(request: HttpRequest) -> str:
    return render_to_string("storefront/includes/cart_link.html", {"header_cart": HeaderCart(request)}, request)


def _fill(request: HttpRequest, content: str) -> str:
    if CSRF_HOLE in content:
        content = content.replace(CSRF_HOLE, get_token(request))
    if CART_HOLE in content:
        content = content.replace(CART_HOLE, _cart_link(request))
    return content


def _punch(content: str) -> str:
    """The page with the per-visitor parts replaced by holes."""
    content = CSRF_INPUT.sub(rf"\g<1>{CSRF_HOLE}\g<2>", content)
    return CART_REGION.sub(CART_HOLE, content)


class PageCacheMiddleware:
    """Serve and store public pages (after the session, locale, CSRF, auth and messages middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _eligible(request):
            return self.get_response(request)
        key = _key(request)
        cached = cache.get(key)
        if cached is not None:
            content_type, content = cached
            response = HttpResponse(_fill(request, content), content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if self._storable(request, response):
            cache.set(key, (response["Content-Type"], _punch(response.content.decode())), settings.PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponse) -> bool:
        messages = getattr(request, "_messages", None)
        return (
            getattr(request, "page_cacheable", False)
            and not (messages is not None and len(messages))
            and not getattr(request, "is_preview", False)
            and request.method == "GET"
            and response.status_code == 200
            and not response.streaming
            and all(name == settings.CSRF_COOKIE_NAME for name in response.cookies)
            and response["Content-Type"].startswith("text/html")
        )
