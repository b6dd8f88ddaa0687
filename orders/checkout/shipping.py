"""The shipping fee, in integer fen: the operators' rule (Settings → Shop settings) and what it charges.

The free-shipping threshold compares the goods after a coupon's and a voucher's discount: what the shopper
pays for the goods, not their list price. A cart whose goods are wholly discounted still pays the fee below it.
"""

from dataclasses import dataclass

from django.core.cache import cache
from wagtail.models import Site

from orders.models import DeliveryMethod, ShopSettings, shipping_rule_key

RULE_CACHE_SECONDS = 300


@dataclass(frozen=True)
class ShippingRule:
    """A flat delivery fee, waived when the goods total reaches the threshold."""

    fee: int
    free_threshold: int

    def fee_for(self, subtotal: int, method: str, *, discount: int = 0) -> int:
        """The shipping fee for a goods total less its ``discount``: nothing for pickup, an empty cart or from the
        threshold on (the goods after the discount reaching it)."""
        if method != DeliveryMethod.DELIVERY or subtotal <= 0 or subtotal - discount >= self.free_threshold:
            return 0
        return self.fee


def shipping_rule(site: Site | None = None) -> ShippingRule:
    """The operators' shipping fee rule (Settings → Shop settings) of the given or default site.

    Kept in the cache per site (every cart and checkout prices with it; saving the settings forgets it, at once
    and again once committed, ``orders.models.settings``); read from the settings when the cache cannot answer."""
    site = site or Site.objects.filter(is_default_site=True).first()
    if site is None:
        shop = ShopSettings()
        return ShippingRule(fee=shop.shipping_fee, free_threshold=shop.free_shipping_threshold)
    key = shipping_rule_key(site.pk)
    kept = cache.get(key)
    if kept is None:
        shop = ShopSettings.for_site(site)
        kept = [shop.shipping_fee, shop.free_shipping_threshold]
        cache.set(key, kept, RULE_CACHE_SECONDS)
    return ShippingRule(fee=kept[0], free_threshold=kept[1])
