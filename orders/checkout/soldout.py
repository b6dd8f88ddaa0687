"""The cheap early answer to a checkout in a rush: is a line of this cart surely sold out?

Rule: a cart line asking for more of a variant than ``orders.availability.available_quantities`` gives one order
(all active warehouses together, or the best counter, as last committed) cannot be placed, whatever else the
cart holds. The checkout view asks this before reading the whole cart, so the buyers who come too late in a flash
sale are refused with two small queries instead of pricing the cart and queueing at ``place_order``. It only ever
refuses: a cart that passes is placed, or refused, by ``place_order`` as any other; gift packs and everything else
are left to it.
"""

from dataclasses import dataclass

from orders.availability import available_quantities
from orders.models import Cart, CartLine


@dataclass(frozen=True)
class SoldOutLine:
    name: str
    wanted: int
    available: int


def sold_out_lines(cart: Cart) -> list[SoldOutLine]:
    """The cart's lines that ask for more than one order could get now (``[]`` when all may be placed)."""
    lines = list(
        CartLine.objects.filter(cart=cart)
        .select_related("variant__product")
        .only("quantity", "variant__name", "variant__product__name", "variant__product__name_en")
    )
    if not lines:
        return []
    available = available_quantities([line.variant_id for line in lines])
    return [
        SoldOutLine(
            name=f"{line.variant.product.display_name} {line.variant.name}",
            wanted=line.quantity,
            available=available[line.variant_id],
        )
        for line in lines
        if line.quantity > available[line.variant_id]
    ]
