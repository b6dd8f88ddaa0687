"""Template context for every storefront page."""

from django.conf import settings
from django.http import HttpRequest

from storefront.cart import HeaderCart


def cart(request: HttpRequest) -> dict[str, object]:
    """``header_cart.count`` (the items in the visitor's cart, counted only when a page shows it)
    and ``cart_max_quantity``, the most of one item a cart line may hold."""
    return {"header_cart": HeaderCart(request), "cart_max_quantity": settings.CART_MAX_LINE_QUANTITY}
