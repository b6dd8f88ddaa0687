"""Let the page cache keep published Wagtail pages (previews never pass here; the impact page is live).

A page behind a view restriction is never stored: the stored copy would be the login or password form,
and signed-in visitors are served from the cache too. Adding or removing a restriction drops every
stored page (``storefront.signals``).
"""

from wagtail import hooks

from storefront.page_cache import mark_cacheable

UNCACHED_PAGE_TYPES = {"impactpage"}  # live figures, dropped on every ledger write


@hooks.register("before_serve_page")
def cache_published_page(page, request, serve_args, serve_kwargs) -> None:
    if page.specific_class._meta.model_name in UNCACHED_PAGE_TYPES:
        return
    if page.get_view_restrictions().exists():
        return
    mark_cacheable(request)
