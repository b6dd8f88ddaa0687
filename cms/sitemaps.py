"""``/sitemap.xml``: Wagtail pages in every language, and products, merchants and the register of certificates
(``/certified/``) in both languages."""

from collections import defaultdict

from django.contrib.sitemaps import Sitemap
from django.db.models import Q
from django.urls import reverse
from wagtail.contrib.sitemaps import Sitemap as WagtailSitemap
from wagtail.models import Locale, Page

from catalog.models import Merchant, Product
from cms.products import public_merchants
from storefront.selectors import public_products


class PageSitemap(WagtailSitemap):
    """Live pages of the site's tree in every language (Wagtail's own covers the default one), each
    with its translations as ``hreflang`` alternates."""

    def items(self):
        root = self.get_wagtail_site().root_page
        roots = Page.objects.filter(translation_key=root.translation_key, depth=root.depth)
        under_a_root = Q()
        for tree in roots:
            under_a_root |= Q(path__startswith=tree.path)
        return Page.objects.live().public().filter(under_a_root).order_by("path").defer_streamfields().specific()

    def _urls(self, page, protocol, domain):
        pages = list(self.paginator.page(page).object_list)
        languages = dict(Locale.objects.values_list("pk", "language_code"))
        translations: dict = defaultdict(list)
        for item in pages:
            translations[item.translation_key].append(item)
        urls = []
        for item in pages:
            for url_info in item.get_sitemap_urls(self.request):
                versions = translations[item.translation_key]
                if len(versions) > 1:
                    url_info["alternates"] = [
                        {"lang_code": languages[version.locale_id], "location": version.get_full_url(self.request)}
                        for version in versions
                    ]
                urls.append(url_info)
        last_mods = {url_info.get("lastmod") for url_info in urls}
        if last_mods and None not in last_mods:
            self.latest_lastmod = max(last_mods)
        return urls


class ProductSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "daily"

    def items(self):
        return public_products().only("slug", "updated_at").order_by("pk")

    def lastmod(self, product: Product):
        return product.updated_at


class MerchantSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "weekly"

    def items(self):
        return public_merchants().only("slug").order_by("pk")

    def location(self, merchant: Merchant) -> str:
        return reverse("cms:merchant", kwargs={"slug": merchant.slug})


class RegisterSitemap(Sitemap):
    """The public register of certificates (``storefront.views.certified_register``)."""

    i18n = True
    alternates = True
    x_default = True
    changefreq = "daily"

    def items(self):
        return ["storefront:certified"]

    def location(self, name: str) -> str:
        return reverse(name)


SITEMAPS = {
    "pages": PageSitemap,
    "products": ProductSitemap,
    "merchants": MerchantSitemap,
    "register": RegisterSitemap,
}
