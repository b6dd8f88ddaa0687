"""The shop's settings operators change without a release: the shipping fee rule."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from orders.forms import ShopSettingsForm


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
