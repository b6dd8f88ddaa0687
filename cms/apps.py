from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Pages")

    def ready(self) -> None:
        """Keep caches and search text current (signals); show merchants' stories on product pages and the
        stories a search finds on the searched product list."""
        from cms import signals  # noqa: F401 - connects the receivers
        from cms.sections import merchant_stories, search_stories
        from storefront.extensions import register_product_section, register_search_section

        register_product_section(merchant_stories)
        register_search_section(search_stories)
