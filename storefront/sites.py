"""The Wagtail site a shop request is on, remembered per host and port.

``Site.find_for_request`` asks the database on every request (a query Django takes longer to build than
PostgreSQL to run); the cart and checkout ask it for the site's shop settings (shipping fee, free-shipping
threshold) on each of their requests, a flash sale's orders included. Here the answer is kept per host and port,
tagged ``SITE`` (stamped whenever a site, a page or a setting changes: ``cms.signals``, ``storefront.signals``),
and put where Wagtail keeps it for the rest of the request (``request._wagtail_site``).
"""

import hashlib

from django.http import HttpRequest
from django.http.request import split_domain_port
from wagtail.models import Site

from core.cache import fragment
from storefront.page_cache import SITE

SITE_SECONDS = 3600


def site_for_request(request: HttpRequest) -> Site | None:
    """The site ``Site.find_for_request`` gives (the default site for an unknown host), remembered (see the
    module)."""
    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    # As Wagtail: the raw host (Django's ALLOWED_HOSTS check is CommonMiddleware's, before any view).
    hostname = split_domain_port(request._get_raw_host())[0]
    digest = hashlib.sha256(f"{hostname}:{request.get_port()}".encode()).hexdigest()[:32]
    site = fragment(f"site:{digest}", [SITE], lambda: Site.find_for_request(request), SITE_SECONDS)
    request._wagtail_site = site
    return site
