"""Builders shared by the order tests."""

from catalog.models import Location, Stock, StockMovement
from catalog.services import receive_stock
from orders.cart import add_to_cart
from orders.checkout import Contact, Delivery, cart_summary, new_checkout_token, place_order
from orders.models import Cart
from tests import factories


def stocked_variant(*locations_and_quantities, price: int = 1000, merchant=None, published: bool = True):
    """A variant of a new product, received at each (location, quantity)."""
    variant = factories.make_product(merchant, price=price, published=published).variants.get()
    for location, quantity in locations_and_quantities:
        receive_stock(variant=variant, location=location, quantity=quantity, actor=None, reason="入库")
    return variant


def stock_of(variant, location) -> Stock:
    return Stock.objects.get(variant=variant, location=location)


def cart_with(*variants_and_quantities) -> Cart:
    cart = Cart.objects.create()
    for variant, quantity in variants_and_quantities:
        add_to_cart(cart, variant.pk, quantity)
    return cart


CONTACT = Contact(name="张伟", phone="13812345678", email="zhangwei@example.com")
ADDRESS = Delivery(
    method="delivery", province="山东省", city="德州市", district="德城区", street="天衢中路1号", postal_code="253000"
)


def pickup_at(location: Location) -> Delivery:
    return Delivery(method="pickup", pickup_location=location.pk)


def checkout(cart: Cart, delivery: Delivery = ADDRESS, *, contact: Contact = CONTACT, fingerprint=None, **extra):
    """Place the cart as the customer who just saw it (the fingerprint of what they saw)."""
    return place_order(
        cart=cart,
        contact=contact,
        delivery=delivery,
        checkout_token=extra.pop("checkout_token") if "checkout_token" in extra else new_checkout_token(),
        expected_fingerprint=fingerprint if fingerprint is not None else cart_summary(cart).fingerprint,
        **extra,
    )


def stock_snapshot():
    """Every stock row and the ledger size, to show that a refused checkout changed nothing."""
    rows = sorted(Stock.objects.values_list("variant_id", "location_id", "on_hand", "allocated"))
    return rows, StockMovement.objects.count()
