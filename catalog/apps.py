from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        """Keep search text current (signals), scope the catalogue's models per user, sign counters' webhooks,
        register the back-in-stock text messages, and load the word segmenter's dictionary now rather than in a
        shopper's first search."""
        from catalog import signals  # noqa: F401 - connects the receivers
        from catalog.notifications import register_sms_templates, webhook_endpoint
        from catalog.search import warm_up
        from catalog.selectors import register_scopes
        from worker.channels import register_webhook_audience

        register_scopes()
        register_webhook_audience("location", webhook_endpoint)
        register_sms_templates()
        warm_up()
