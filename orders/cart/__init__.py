"""Carts: a guest's (by a signed cookie) or a signed-in user's; lines change within the limit and the stock."""

from orders.cart.selectors import get_cart
from orders.cart.services import (
    CartError,
    add_to_cart,
    attach_guest_cart,
    get_or_create_cart,
    merge_carts,
    parse_quantity,
    remove_line,
    set_line_quantity,
)

__all__ = [
    "CartError",
    "add_to_cart",
    "attach_guest_cart",
    "get_cart",
    "get_or_create_cart",
    "merge_carts",
    "parse_quantity",
    "remove_line",
    "set_line_quantity",
]
