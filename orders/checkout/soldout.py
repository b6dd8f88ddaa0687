"""The cheap early answer to a checkout in a rush: is a line of this cart surely sold out?

Rule: a cart line asking for more of a variant than ``orders.availability.available_quantities`` gives one order
(all active warehouses together, or the best counter, as last committed) cannot be placed, whatever else the
cart holds. The checkout view asks this before reading the whole cart, so the buyers who come too late in a flash
sale are refused with two small queries instead of pricing the cart and queueing at ``place_order``. It only ever
refuses: a cart that passes is placed, or refused, by ``place_order`` as any other; gift packs and everything else
are left to it.
"""

import uuid
from dataclasses import dataclass

from django.db import connection

from catalog.models import Product, Variant, shown_name
from core.scopes import User
from orders.availability import available_quantities
from orders.cart.selectors import cart_id_query
from orders.models import CartLine


@dataclass(frozen=True)
class SoldOutLine:
    name: str
    wanted: int
    available: int


def sold_out_lines(*, token: str | uuid.UUID | None = None, user: User | None = None) -> list[SoldOutLine]:
    """The lines of the cart ``orders.cart.get_cart`` gives for ``token`` or ``user`` that ask for more than one
    order could get now (``[]`` when all may be placed, or there is no cart).

    Two plain queries (the cart's lines with their names, the cart found in the same statement; then
    ``available_quantities``): in a rush this is all a late buyer's checkout asks, so it is written as SQL rather
    than built by the ORM."""
    cart = cart_id_query(token=token, user=user)
    if cart is None:
        return []
    cart_sql, params = cart
    sql = (
        f"SELECT l.variant_id, l.quantity, v.name, p.name, p.name_en FROM {CartLine._meta.db_table} l "  # noqa: S608
        f"JOIN {Variant._meta.db_table} v ON v.id = l.variant_id "
        f"JOIN {Product._meta.db_table} p ON p.id = v.product_id "
        f"WHERE l.cart_id = ({cart_sql}) ORDER BY l.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        lines = cursor.fetchall()
    if not lines:
        return []
    available = available_quantities([variant_id for variant_id, *_ in lines])
    return [
        SoldOutLine(
            name=f"{shown_name(name, name_en)} {variant_name}",
            wanted=quantity,
            available=available[variant_id],
        )
        for variant_id, quantity, variant_name, name, name_en in lines
        if quantity > available[variant_id]
    ]
