"""Forms of the orders' settings; this module imports no model of ``orders`` (``orders.models`` uses it)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.money import YuanField


class ShopSettingsForm(WagtailAdminModelForm):
    """The shipping rule, typed in yuan ("12.00") and stored in fen."""

    shipping_fee = YuanField(label=_("Shipping fee (yuan)"), help_text=_("Flat fee for delivery, for example 12.00."))
    free_shipping_threshold = YuanField(
        label=_("Free shipping from (yuan)"),
        help_text=_("Delivery is free when the goods total reaches this amount, for example 99.00."),
    )
