"""The shipping fee, in integer fen: the operators' rule (Settings → Shop settings) and what it charges."""

from dataclasses import dataclass

from wagtail.models import Site

from orders.models import DeliveryMethod, ShopSettings


@dataclass(frozen=True)
class ShippingRule:
    """A flat delivery fee, waived when the goods total reaches the threshold."""

    fee: int
    free_threshold: int

    def fee_for(self, subtotal: int, method: str) -> int:
        """The shipping fee for a goods total: nothing for pickup, an empty cart or from the threshold on."""
        if method != DeliveryMethod.DELIVERY or subtotal <= 0 or subtotal >= self.free_threshold:
            return 0
        return self.fee


def shipping_rule(site: Site | None = None) -> ShippingRule:
    """The operators' shipping fee rule (Settings → Shop settings) of the given or default site."""
    site = site or Site.objects.filter(is_default_site=True).first()
    shop = ShopSettings.for_site(site) if site else ShopSettings()
    return ShippingRule(fee=shop.shipping_fee, free_threshold=shop.free_shipping_threshold)
