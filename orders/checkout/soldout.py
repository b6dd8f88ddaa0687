"""The cheap early answer to a checkout in a rush: is a line of this cart surely sold out?

Rule: a cart line asking for more of a variant than ``orders.availability.available_quantities`` gives one order
(all active warehouses together, or the best counter, as last committed) cannot be placed, whatever else the
cart holds. The checkout view asks this before reading the whole cart, so the buyers who come too late in a flash
sale are refused with two small queries instead of pricing the cart and queueing at ``place_order``. It only ever
refuses: a cart that passes is placed, or refused, by ``place_order`` as any other; gift packs and everything else
are left to it.
"""

from dataclasses import dataclass

from django.db import connection

from catalog.models import Product, Variant
from orders.availability import available_quantities
from orders.models import Cart, CartLine


@dataclass(frozen=True)
class SoldOutLine:
    name: str
    wanted: int
    available: int


def sold_out_lines(cart: Cart) -> list[SoldOutLine]:
    """The cart's lines that ask for more than one order could get now (``[]`` when all may be placed).

    Two plain queries (the lines with their names, then ``available_quantities``): in a rush this is all a late
    buyer's checkout asks, so it is written as SQL rather than built by the ORM."""
    sql = (
        f"SELECT l.variant_id, l.quantity, v.name, p.name, p.name_en FROM {CartLine._meta.db_table} l "  # noqa: S608
        f"JOIN {Variant._meta.db_table} v ON v.id = l.variant_id "
        f"JOIN {Product._meta.db_table} p ON p.id = v.product_id "
        "WHERE l.cart_id = %s ORDER BY l.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [cart.pk])
        lines = cursor.fetchall()
    if not lines:
        return []
    available = available_quantities([variant_id for variant_id, *_ in lines])
    return [
        SoldOutLine(
            name=f"{Product(name=name, name_en=name_en).display_name} {variant_name}",
            wanted=quantity,
            available=available[variant_id],
        )
        for variant_id, quantity, variant_name, name, name_en in lines
        if quantity > available[variant_id]
    ]
