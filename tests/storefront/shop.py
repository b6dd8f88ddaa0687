"""Builders shared by the cart, checkout, order and account page tests."""

from django.http import HttpResponse
from django.test import Client

from catalog.models import Location, Stock, StockMovement, Variant
from catalog.services import receive_stock
from orders.cart import add_to_cart
from orders.models import Cart, Order
from storefront.cart import COOKIE_NAME, COOKIE_SALT
from tests import factories

ADDRESS = {
    "province": "山东省",
    "city": "德州市",
    "district": "德城区",
    "street": "天衢中路1号",
    "postal_code": "253000",
}
CONTACT = {"name": "张伟", "phone": "138 1234 5678", "email": "zhangwei@example.com"}


def stocked_variant(*locations_and_quantities, price: int = 1000, merchant=None, **product_fields) -> Variant:
    """The single variant of a new published product, received at each (location, quantity)."""
    variant = factories.make_product(merchant, price=price, **product_fields).variants.get()
    for location, quantity in locations_and_quantities:
        receive_stock(variant=variant, location=location, quantity=quantity, actor=None, reason="入库")
    return variant


def make_counter(**extra) -> Location:
    return factories.make_location(
        kind=Location.Kind.COUNTER, host="德百超市", opening_hours="09:00–21:00", phone="0534-2220000", **extra
    )


def guest_cart(client: Client, *variants_and_quantities) -> Cart:
    """A guest cart holding these lines, with ``client`` carrying its signed cookie."""
    cart = Cart.objects.create()
    for variant, quantity in variants_and_quantities:
        add_to_cart(cart, variant.pk, quantity)
    set_cart_cookie(client, cart)
    return cart


def set_cart_cookie(client: Client, cart: Cart) -> None:
    response = HttpResponse()
    response.set_signed_cookie(COOKIE_NAME, str(cart.token), salt=COOKIE_SALT)
    client.cookies[COOKIE_NAME] = response.cookies[COOKIE_NAME].value


def world_snapshot():
    """Stock rows, ledger size and order count: a refused request must leave all three alone."""
    stock = sorted(Stock.objects.values_list("variant_id", "location_id", "on_hand", "allocated"))
    return stock, StockMovement.objects.count(), Order.objects.count()


def checkout_data(page_context, **fields) -> dict[str, str]:
    """A checkout POST as the page just shown would send it: its token and fingerprint, contact, address."""
    data = {
        "checkout_token": page_context["checkout_token"],
        "fingerprint": page_context["summary"].fingerprint,
        "method": "delivery",
        **CONTACT,
        **ADDRESS,
    }
    data.update(fields)
    return data
