"""Carts: a guest's (by a signed cookie) or a signed-in user's; lines change within the limit and the stock."""

from orders.cart.selectors import get_cart, item_count
from orders.cart.services import (
    CartError,
    add_pack_to_cart,
    add_to_cart,
    attach_guest_cart,
    get_or_create_cart,
    merge_carts,
    parse_quantity,
    remove_line,
    remove_pack_line,
    set_line_quantity,
    set_pack_quantity,
)

__all__ = [
    "CartError",
    "add_pack_to_cart",
    "add_to_cart",
    "attach_guest_cart",
    "get_cart",
    "get_or_create_cart",
    "item_count",
    "merge_carts",
    "parse_quantity",
    "remove_line",
    "remove_pack_line",
    "set_line_quantity",
    "set_pack_quantity",
]
