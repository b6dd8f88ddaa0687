"""Page bodies (StreamField) rendered once and kept until the page or a product in it changes.

A story's or campaign's body costs more to render than the rest of its page: every product block needs
its product shaped for display. ``ProductBlocksMixin.serve`` looks the body up first (``stored``); only
when it is missing or stale are the products fetched and the body rendered (``render``), and then kept.

A body depends on the site's mark (every publish stamps it, ``cms.signals``) and on each product it
names (``storefront.page_cache.product_tags``). Forms in product blocks keep their CSRF token as a
hole, filled for each visitor. Kept ``FRAGMENT_CACHE_SECONDS`` at most (0: always rendered), per day
(product cards follow the date), never for previews.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from core.cache import clock, marks
from storefront.page_cache import SITE, fill_csrf, product_tags, punch_csrf

TEMPLATE = "cms/includes/stream.html"


def _key(request: HttpRequest, page) -> str:
    host = f"{request.scheme}://{request.get_host()}"
    return f"body:{timezone.localdate().isoformat()}:{get_language()}:{host}:{page.pk}"


def tags(product_ids: list[int]) -> list[str]:
    return [SITE, *(tag for pk in product_ids for tag in product_tags(pk))]


def stored(request: HttpRequest, page, product_ids: list[int]) -> bool:
    """Whether ``page``'s current body is stored; if not, the request is set to store the one it renders."""
    if not settings.FRAGMENT_CACHE_SECONDS:
        return False
    key = _key(request, page)
    entry = cache.get(key)
    if entry is not None and marks(tags(product_ids)) <= entry[0]:
        request.page_body = entry[1]
        return True
    request.page_body_to_store = (key, clock())
    return False


def render(request: HttpRequest | None, body) -> SafeString:
    """The body's HTML: the stored one for this request if there is one, else rendered (and stored when
    the request was set to)."""
    if request is not None and getattr(request, "page_body", None) is not None:
        return mark_safe(fill_csrf(request, request.page_body))  # noqa: S308 (rendered from templates)
    html = render_to_string(TEMPLATE, {"body": body}, request)
    to_store = getattr(request, "page_body_to_store", None)
    if to_store is not None and not getattr(request, "is_preview", False):
        key, built_at = to_store
        cache.set(key, (built_at, punch_csrf(html)), settings.FRAGMENT_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 (rendered from templates)
