"""The shop's settings operators change without a release: the shipping fee rule."""

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from orders.forms import ShopSettingsForm


def shipping_rule_key(site_id: int) -> str:
    """The cache key of a site's shipping rule (``orders.checkout.shipping.shipping_rule``)."""
    return f"shop:shipping-rule:v1:{site_id}"


@register_setting(icon="cogs", name="shop-settings")  # a fixed name: the label is translated
class ShopSettings(BaseSiteSetting):
    """What operators may change without a release: the shipping fee rule for home delivery."""

    shipping_fee = models.PositiveIntegerField(
        _("shipping fee (fen)"), default=1200, help_text=_("Flat fee for delivery, in fen: 1 yuan = 100 fen.")
    )
    free_shipping_threshold = models.PositiveIntegerField(
        _("free shipping from (fen)"),
        default=9900,
        help_text=_("Delivery is free when the goods total reaches this amount, in fen."),
    )

    base_form_class = ShopSettingsForm  # staff type the amounts in yuan

    class Meta:
        verbose_name = _("shop settings")


@receiver(post_save, sender=ShopSettings)
@receiver(post_delete, sender=ShopSettings)
def _forget_cached_shipping_rule(sender, instance: ShopSettings, **kwargs) -> None:
    # At once, and again once committed: a checkout reading the settings meanwhile would keep the old rule.
    key = shipping_rule_key(instance.site_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
