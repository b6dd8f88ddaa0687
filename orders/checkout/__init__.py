"""Checkout: the cart priced with its fingerprint, the customer's details, where each unit comes from, and
placing the order (``place_order``), its units reserved until it is paid."""

from orders.checkout.allocation import Allocation, plan_allocation
from orders.checkout.details import Contact, Delivery, Invoice, normalize_phone, validate_checkout
from orders.checkout.errors import CartChanged, CheckoutError, SoldOut
from orders.checkout.selectors import (
    CartItem,
    CartSummary,
    can_deliver,
    cart_summary,
    coupon_quote,
    pickup_counters,
    pickup_counters_for_cart,
)
from orders.checkout.services import new_checkout_token, place_order
from orders.checkout.shipping import ShippingRule, shipping_rule

__all__ = [
    "Allocation",
    "CartChanged",
    "CartItem",
    "CartSummary",
    "CheckoutError",
    "Contact",
    "Delivery",
    "Invoice",
    "ShippingRule",
    "SoldOut",
    "can_deliver",
    "cart_summary",
    "coupon_quote",
    "new_checkout_token",
    "normalize_phone",
    "pickup_counters",
    "pickup_counters_for_cart",
    "place_order",
    "plan_allocation",
    "shipping_rule",
    "validate_checkout",
]
