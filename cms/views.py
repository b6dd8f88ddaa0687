"""Public views outside the page tree: merchant pages, robots.txt and the former site search's address."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from cms import products, sections
from storefront.cards import render_cards
from storefront.forms import SEARCH_MAX_LENGTH
from storefront.page_cache import CATALOGUE, cache_public_page, depends_on


@require_safe
def search(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """``/search/?q=``, the former site search: 301 to the product list searched by the same words, in the
    same language (the one search; it also lists the stories found, ``cms.sections.search_stories``)."""
    url = reverse("storefront:product_list")
    query = request.GET.get("q", "")[:SEARCH_MAX_LENGTH]
    return HttpResponsePermanentRedirect(f"{url}?{urlencode({'q': query})}" if query.strip() else url)


@require_safe
@cache_public_page
def merchant(request: HttpRequest, slug: str) -> HttpResponse:
    merchant = products.merchant_or_404(slug)
    refs = products.merchant_product_refs(merchant)
    shown = list(refs[: settings.CATALOG_PAGE_SIZE])
    depends_on(request, [CATALOGUE, f"merchant:{merchant.pk}"])
    context = {
        "merchant": merchant,
        "cards": render_cards(request, shown),
        "product_count": len(shown) if len(shown) < settings.CATALOG_PAGE_SIZE else refs.count(),
        "stories_section": sections.merchant_section(request, merchant),
    }
    return render(request, "cms/merchant.html", context)


@require_safe
def merchant_moved(request: HttpRequest, slug: str) -> HttpResponsePermanentRedirect:
    """``/producers/<slug>/``, a merchant page's former address: 301 to ``/merchants/<slug>/`` in the same
    language, keeping the query string."""
    url = reverse("cms:merchant", kwargs={"slug": slug})
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /cart/",
        "Disallow: /checkout/",
        "Disallow: /orders/",
        "Disallow: /account/",
        "Disallow: /en/cart/",
        "Disallow: /en/checkout/",
        "Disallow: /en/orders/",
        "Disallow: /en/account/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
