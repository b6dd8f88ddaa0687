"""Money rules, in integer fen: the shipping fee."""

from dataclasses import dataclass

from orders.models import DeliveryMethod


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
