"""Public product pages: the filterable list and the product page."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from storefront import selectors
from storefront.extensions import product_sections
from storefront.forms import ProductFilterForm
from storefront.page_cache import cache_public_page


def _page(request: HttpRequest, paginator: Paginator) -> Page:
    """The requested page: the first for a missing or garbled number, the last when past the end."""
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        messages.warning(request, _("Ignored an unknown page number."))
        number = 1
    return paginator.get_page(number)


@require_safe
@cache_public_page
def product_list(request: HttpRequest) -> HttpResponse:
    categories, merchants = selectors.filter_options()
    form = ProductFilterForm(request.GET, categories=categories, merchants=merchants)
    filters = form.filters
    if form.errors:
        messages.warning(request, _("Ignored an unknown filter value."))
    page = _page(request, Paginator(selectors.product_list(filters), settings.CATALOG_PAGE_SIZE))
    page.object_list = selectors.prepare_for_display(page.object_list)
    context = {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "products": page.object_list,
        "filters": filters,
        "filter_form": ProductFilterForm(initial=filters, categories=categories, merchants=merchants),
        "filter_query": form.query_string(),
        "merchant": next((m for m in merchants if m.slug == filters.get("merchant")), None),
        "category": next((c for c in categories if c.slug == filters.get("category")), None),
    }
    return render(request, "storefront/product_list.html", context)


@require_safe
@cache_public_page
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = selectors.product_detail(slug)
    context = {
        "product": product,
        "counters": selectors.pickup_counters(product),
        "related_products": selectors.related_products(product),
        "sections": product_sections(request, product),
    }
    return render(request, "storefront/product_detail.html", context)
