"""Reads for checkout: the cart priced as the customer sees it (with its fingerprint), the counters where it
could be collected, and whether it could be delivered.

Prices are always read from the variants, availability from the stock (``orders.availability``), the
shipping rule from the shop settings; the fingerprint changes when any of them changes.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _
from wagtail.models import Site

from catalog.models import Location, Merchant, Product, Stock, Variant
from orders.availability import available_quantities, is_sellable
from orders.checkout.shipping import ShippingRule, shipping_rule
from orders.models import Cart, CartLine, DeliveryMethod


@dataclass(frozen=True)
class CartItem:
    """One cart line priced from the current variant."""

    line: CartLine
    quantity: int
    unit_price: int
    available: int
    sellable: bool

    @property
    def variant(self) -> Variant:
        return self.line.variant

    @property
    def product(self) -> Product:
        return self.line.variant.product

    @property
    def merchant(self) -> Merchant:
        return self.line.variant.product.merchant

    @property
    def name(self) -> str:
        """The product and variant names, as the customer reads them in messages."""
        return f"{self.product.display_name} {self.variant.name}"

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def in_stock(self) -> bool:
        return self.quantity <= self.available

    @property
    def problem(self) -> str:
        """Why this line cannot be bought as it is ("" when it can)."""
        if not self.sellable:
            return _("This product is no longer available.")
        if self.available <= 0:
            return _("Sold out.")
        if not self.in_stock:
            return _("Only %(available)d left.") % {"available": self.available}
        return ""


@dataclass(frozen=True)
class CartSummary:
    """The cart as the customer sees it; ``fingerprint`` changes when anything they agreed to changes."""

    items: list[CartItem]
    rule: ShippingRule
    fingerprint: str = field(default="")

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def has_problems(self) -> bool:
        return any(item.problem for item in self.items)

    @property
    def can_check_out(self) -> bool:
        return not self.is_empty and not self.has_problems

    @property
    def quantities(self) -> dict[int, int]:
        return {item.line.variant_id: item.quantity for item in self.items}

    @property
    def subtotal(self) -> int:
        """The goods total of the lines that can be bought."""
        return sum(item.line_total for item in self.items if not item.problem)

    def shipping_fee_for(self, method: str) -> int:
        return self.rule.fee_for(self.subtotal, method)

    def total_for(self, method: str) -> int:
        return self.subtotal + self.shipping_fee_for(method)

    @property
    def shipping_fee(self) -> int:
        """The fee for delivery to an address (pickup is free)."""
        return self.shipping_fee_for(DeliveryMethod.DELIVERY)

    @property
    def total(self) -> int:
        return self.total_for(DeliveryMethod.DELIVERY)

    @property
    def amount_to_free_shipping(self) -> int:
        return max(self.rule.free_threshold - self.subtotal, 0)


def _fingerprint(items: list[CartItem], rule: ShippingRule) -> str:
    state = {
        "rule": [rule.fee, rule.free_threshold],
        "lines": sorted(
            [item.line.variant_id, item.quantity, item.unit_price, item.sellable, item.in_stock] for item in items
        ),
    }
    return hashlib.sha256(json.dumps(state, separators=(",", ":")).encode()).hexdigest()[:32]


def cart_summary(cart: Cart | None, *, site: Site | None = None) -> CartSummary:
    """Lines with current prices and availability, totals and the fingerprint (three queries)."""
    rule = shipping_rule(site)
    lines = list(cart.lines.select_related("variant__product__merchant")) if cart and cart.pk else []
    available = available_quantities([line.variant_id for line in lines])
    items = [
        CartItem(
            line=line,
            quantity=line.quantity,
            unit_price=line.variant.price,
            available=available[line.variant_id],
            sellable=is_sellable(line.variant),
        )
        for line in lines
    ]
    return CartSummary(items=items, rule=rule, fingerprint=_fingerprint(items, rule))


def pickup_counters(quantities: dict[int, int]) -> QuerySet[Location]:
    """Active counters holding enough available stock of every variant (variant id → quantity), in one query."""
    if not quantities:
        return Location.objects.none()
    enough = Q()
    for variant_id, quantity in quantities.items():
        enough |= Q(variant_id=variant_id, on_hand__gte=F("allocated") + quantity)
    # Only the cart's stock rows are read (by the variant index), not every row of every counter.
    holding = (
        Stock.objects.filter(enough, variant_id__in=list(quantities))
        .values("location_id")
        .annotate(lines_in_stock=Count("pk"))
        .filter(lines_in_stock=len(quantities))
        .values("location_id")
    )
    return Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True, pk__in=holding).order_by(
        "county", "name"
    )


def pickup_counters_for_cart(cart: Cart | None) -> QuerySet[Location]:
    """The counters where this cart could be collected."""
    if not cart or not cart.pk:
        return Location.objects.none()
    return pickup_counters(dict(cart.lines.values_list("variant_id", "quantity")))


def can_deliver(quantities: dict[int, int]) -> bool:
    """Whether the active warehouses together hold enough of every variant for home delivery."""
    if not quantities:
        return False
    free: dict[int, int] = {}
    rows = Stock.objects.filter(
        variant_id__in=list(quantities), location__kind=Location.Kind.WAREHOUSE, location__is_active=True
    ).values_list("variant_id", "on_hand", "allocated")
    for variant_id, on_hand, allocated in rows:
        free[variant_id] = free.get(variant_id, 0) + max(on_hand - allocated, 0)
    return all(free.get(variant_id, 0) >= quantity for variant_id, quantity in quantities.items())
