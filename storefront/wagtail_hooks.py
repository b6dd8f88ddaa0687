"""Let the page cache keep published Wagtail pages (previews never pass here; the impact page is live).

A page with a view restriction is safe too: a visitor who passed it has a session, which the cache
never serves, and one who has not gets the same password form or login redirect as everyone else.
"""

from wagtail import hooks

from storefront.page_cache import mark_cacheable

UNCACHED_PAGE_TYPES = {"impactpage"}  # live figures, dropped on every ledger write


@hooks.register("before_serve_page")
def cache_published_page(page, request, serve_args, serve_kwargs) -> None:
    if page.specific_class._meta.model_name not in UNCACHED_PAGE_TYPES:
        mark_cacheable(request)
