"""Public product pages: the filterable list and the product page."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from storefront import product_page, selectors
from storefront.cards import render_cards
from storefront.extensions import product_sections
from storefront.forms import ProductFilterForm
from storefront.page_cache import CATALOGUE, cache_public_page, depends_on, fragment

FILTER_OPTIONS_SECONDS = 3600


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
    categories, merchants = fragment("filter-options", [CATALOGUE], selectors.filter_options, FILTER_OPTIONS_SECONDS)
    form = ProductFilterForm(request.GET, categories=categories, merchants=merchants)
    filters = form.filters
    if form.errors:
        messages.warning(request, _("Ignored an unknown filter value."))
    page = _page(request, Paginator(selectors.product_refs(filters), settings.CATALOG_PAGE_SIZE))
    depends_on(request, [CATALOGUE])
    context = {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "cards": render_cards(request, page.object_list),
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
    product = selectors.public_product(slug)
    depends_on(request, product_page.tags(product))
    page = product_page.product_page(request, product)
    context = {
        "parts": page,
        "product": page.product or product,
        "related_cards": render_cards(request, selectors.related_refs(product)),
        "sections": product_sections(request, product),
    }
    return render(request, "storefront/product_detail.html", context)
