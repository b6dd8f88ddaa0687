"""Public product pages: the filterable list (which is also the search's results), the product page, and
the suggestions offered while a shopper types in the header's search field."""

import hashlib
from dataclasses import asdict
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from catalog.models import Product
from catalog.regions import XiushanTownship
from catalog.search import plan_search
from core.cache import fragment
from storefront import product_page, selectors
from storefront.cards import render_cards
from storefront.extensions import product_sections, search_sections
from storefront.forms import SEARCH_MAX_LENGTH, ProductFilterForm
from storefront.listing import kept_refs
from storefront.page_cache import CATALOGUE, CERTIFIED, SEARCH, cache_public_page, depends_on

FILTER_OPTIONS_SECONDS = 3600
# Suggestions: browsers and proxies may keep an answer a minute; the server keeps it ten at most (and
# drops it as soon as the catalogue or the operators' synonyms change).
SUGGEST_MAX_AGE = 60
SUGGEST_CACHE_SECONDS = 600
EMPTY_STATE_SUGGESTIONS = 4


def _page(request: HttpRequest, paginator: Paginator) -> Page:
    """The requested page: the first for a missing or garbled number, the last when past the end."""
    raw = request.GET.get("page", "1")
    try:
        number = int(raw)
    except ValueError:
        messages.warning(request, _("Ignored an unknown page number."))
        number = 1
    return paginator.get_page(number)


def filter_fields(request: HttpRequest, filters: dict, categories: list, merchants: list) -> SafeString:
    """The filter form's visible fields showing ``filters``, rendered; kept per language and filters (the search
    words aside, in a field of their own) until the catalogue changes (its categories and merchants)."""
    chosen = {name: value for name, value in filters.items() if name != "q"}

    def build() -> str:
        form = ProductFilterForm(initial=chosen, categories=categories, merchants=merchants)
        return render_to_string("storefront/includes/filter_fields.html", {"filter_form": form}, request)

    digest = hashlib.sha256(urlencode(sorted(chosen.items())).encode()).hexdigest()[:32]
    key = f"filter-fields:{get_language()}:{digest}"
    return mark_safe(fragment(key, [CATALOGUE], build, FILTER_OPTIONS_SECONDS))  # noqa: S308 (rendered by the engine)


@require_safe
@cache_public_page
def product_list(request: HttpRequest) -> HttpResponse:
    categories, merchants = fragment("filter-options", [CATALOGUE], selectors.filter_options, FILTER_OPTIONS_SECONDS)
    form = ProductFilterForm(request.GET, categories=categories, merchants=merchants)
    filters = form.filters
    if form.errors:
        messages.warning(request, _("Ignored an unknown filter value."))
    query = filters.get("q", "")
    plan = cache(lambda: plan_search(query) if query else None)  # read only when the list is (or finds nothing)
    page = _page(request, Paginator(kept_refs(filters, plan, settings.CATALOG_PAGE_SIZE), settings.CATALOG_PAGE_SIZE))
    depends_on(request, [CATALOGUE, SEARCH] if query else [CATALOGUE])
    context = {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "cards": render_cards(request, page.object_list),
        "filters": filters,
        "filter_fields": filter_fields(request, filters, categories, merchants),
        "filter_query": form.query_string(),
        "active_filter_count": sum(1 for name in filters if name != "q"),
        "categories": categories,
        "merchant": next((m for m in merchants if m.slug == filters.get("merchant")), None),
        "category": next((c for c in categories if c.slug == filters.get("category")), None),
        "search_sections": search_sections(request, query) if query else [],
    }
    if query and not page.paginator.count:
        context.update(
            suggested_words=selectors.search_words(query, plan()),
            suggested_products=selectors.suggestions(query, EMPTY_STATE_SUGGESTIONS)[0],
            popular_cards=render_cards(request, selectors.popular_refs()),
        )
    return render(request, "storefront/product_list.html", context)


def _related_refs(product: Product) -> list[tuple[int, int]]:
    """Other public products of the same category, newest first: the category's list is read once per day (as
    certificates expire) and kept while the catalogue is unchanged (any product's change, sell-out or return
    stamps ``CATALOGUE``)."""
    key = f"related:{timezone.localdate().isoformat()}:{product.category_id}"
    refs = fragment(
        key,
        [CATALOGUE, f"category:{product.category_id}"],
        lambda: selectors.category_refs(product.category_id, selectors.RELATED_LIMIT + 1),
        settings.FRAGMENT_CACHE_SECONDS,
    )
    return [ref for ref in refs if ref[0] != product.pk][: selectors.RELATED_LIMIT]


@require_safe
@cache_public_page
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = product_page.find(slug)
    depends_on(request, product_page.tags(product))
    page = product_page.product_page(request, product)
    context = {
        "parts": page,
        "product": page.product or product,
        "related_cards": render_cards(request, _related_refs(product)),
        "sections": product_sections(request, product),
    }
    return render(request, "storefront/product_detail.html", context)


@require_safe
@cache_public_page
def certified_register(request: HttpRequest) -> HttpResponse:
    """``/certified/``: the certificates valid today by producer, as counties publish them (公示);
    ``?township=`` shows one township's producers (an unknown one: all of them)."""
    entries = selectors.certified_register()
    depends_on(request, [CERTIFIED, CATALOGUE])
    present = {entry.merchant.township for entry in entries}
    townships = [(value, label) for value, label in XiushanTownship.choices if value in present]
    township = request.GET.get("township", "")
    if township in present:
        entries = [entry for entry in entries if entry.merchant.township == township]
    else:
        township = ""
    context = {"entries": entries, "townships": townships, "township": township, "today": timezone.localdate()}
    return render(request, "storefront/certified.html", context)


@require_safe
def search_suggest(request: HttpRequest) -> JsonResponse:
    """``?q=`` what the shopper has typed so far: ``{"query", "synonyms", "products": [{"name", "url", "via"}]}``
    (up to eight products; ``via``: the synonym a product was found by). Public and cacheable: no session,
    no cookie; kept in the fragment cache until the catalogue or the synonyms change."""
    raw = request.GET.get("q", "")[:SEARCH_MAX_LENGTH].lstrip()
    query = " ".join(raw.split()) + (" " if raw[-1:].isspace() else "")  # a trailing space ends the last word
    data = {"query": query.strip(), "synonyms": [], "products": []}
    if query.strip():

        def build() -> dict:
            found, synonyms = selectors.suggestions(query)
            return {**data, "synonyms": synonyms, "products": [asdict(suggestion) for suggestion in found]}

        digest = hashlib.sha256(query.encode()).hexdigest()[:32]
        keep = min(settings.FRAGMENT_CACHE_SECONDS, SUGGEST_CACHE_SECONDS)
        data = fragment(f"suggest:{get_language()}:{digest}", [CATALOGUE, SEARCH], build, keep)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=SUGGEST_MAX_AGE)
    return response


@require_safe
def trace_batch(request: HttpRequest, code: str) -> HttpResponse:
    """``/trace/<code>/``, where a counter pack's QR label leads: the batch (product, code, harvest or production
    date, origin), its producer's story and the certificate that covered it when received. Unknown code: 404.
    Not page-cached (a certificate's register entry can change the page); nothing private is shown."""
    trace = selectors.batch_trace(code)
    if trace is None:
        raise Http404
    return render(request, "storefront/trace.html", {"trace": trace, "batch": trace.batch})
