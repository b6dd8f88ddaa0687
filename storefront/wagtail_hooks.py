"""Let the page cache keep published Wagtail pages (previews never pass here). A page showing live figures says
what they depend on (the impact page: ``orders.aid.IMPACT_TAG``, stamped after every ledger write).

A page behind a view restriction is never stored: the stored copy would be the login or password form,
and signed-in visitors are served from the cache too. Wagtail's own check marks every answer of such a page
(the form, or the page for a visitor who passed) never to be cached, and the page cache keeps no answer marked
private or not to be stored (``PageCacheMiddleware``), so no second query is needed here. Adding or removing a
restriction drops every stored page (``storefront.signals``).
"""

from wagtail import hooks

from storefront.page_cache import mark_cacheable


@hooks.register("before_serve_page")
def cache_published_page(page, request, serve_args, serve_kwargs) -> None:
    mark_cacheable(request)
