from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorefrontConfig(AppConfig):
    name = "storefront"
    verbose_name = _("Storefront")

    def ready(self) -> None:
        """The page cache's signals; the sign-in code's text message is registered with the outbox."""
        from storefront import signals  # noqa: F401
        from storefront.notifications import register_sms_templates

        register_sms_templates()
