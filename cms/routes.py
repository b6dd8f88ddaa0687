"""Remembered page routes: which page an address shows, found once and kept until the site changes.

Wagtail finds the page for ``/stories/aikou-weavers/`` by walking the tree from the site's root: the site for
the host (a query Django takes longer to build than PostgreSQL to run), the root's translation, each page on the
way (an English address of an untranslated story also looks up the Chinese original). ``RouteMemoMiddleware``
keeps the answer — the site, the page's model and key, and whether it is behind a view restriction — per host,
port, language and path, tagged with the whole site (``storefront.page_cache.SITE``, stamped by ``cms.signals``
whenever a page is published, unpublished, moved, renamed or deleted, or a site changes, and by
``storefront.signals`` whenever a view restriction is saved or deleted). A remembered address then costs one
query: the page itself, loaded only while it is live.

Rules: only routes without arguments are kept; an address that finds no page (404) is never kept; a kept page
that is no longer live is routed afresh. Every ``before_serve_page`` hook still runs on each request, Wagtail's
view-restriction check included: a page remembered behind a restriction reads its restrictions each time (the
password or sign-in it asks for is checked against them), one remembered without any reads none
(``cms.restrictions``).
"""

import hashlib

from django.apps import apps
from django.http import Http404, HttpRequest
from django.http.request import split_domain_port
from django.utils.translation import get_language
from wagtail import views as wagtail_views
from wagtail.models import Page, Site
from wagtail.url_routing import RouteResult

from core.cache import fragment
from storefront.page_cache import SITE

ROUTE_SECONDS = 3600
LONGEST_PATH = 300  # longer addresses are routed every time rather than kept


def route(request: HttpRequest, path: str) -> RouteResult | None:
    """The page (with its arguments) that ``path`` shows on this request's site, or ``None`` (404)."""
    if len(path) > LONGEST_PATH:
        return Page.route_for_request(request, path)
    found: list[RouteResult | None] = []

    def build() -> tuple[Site, str, int] | None:
        result = Page.route_for_request(request, path)
        found.append(result)
        if result is None:
            raise Http404  # not kept: unknown addresses would fill the cache
        page, args, kwargs = result
        if args or kwargs:
            return None  # kept as "route every time"
        return Site.find_for_request(request), page._meta.label_lower, page.pk, page.get_view_restrictions().exists()

    hostname = split_domain_port(request.get_host())[0]
    digest = hashlib.sha256(f"{hostname}:{request.get_port()}:{get_language()}:{path}".encode()).hexdigest()[:32]
    try:
        kept = fragment(f"page-route:v2:{digest}", [SITE], build, ROUTE_SECONDS)
    except Http404:
        return None
    if found:
        return found[0]
    if kept is not None:
        site, label, pk, restricted = kept
        model = apps.get_model(label)
        related = getattr(model, "route_related", ())  # what the page's template reads at once
        page = model.objects.select_related(*related).filter(pk=pk, live=True).first()
        if page is not None:
            page._unrestricted_when_routed = not restricted
            # Wagtail keeps the request's site here (``Site.find_for_request``): its links read it.
            request._wagtail_site = site
            return RouteResult(page)
    return Page.route_for_request(request, path)


class RouteMemoMiddleware:
    """Hands Wagtail's page view the remembered route (``route``); every other view is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if view_func is wagtail_views.serve and not hasattr(request, "_wagtail_route_for_request"):
            path = view_kwargs.get("path", view_args[0] if view_args else "")
            # Wagtail's own view reads the route from here (``Page.route_for_request`` keeps it per request).
            request._wagtail_route_for_request = route(request, path)
        return None
