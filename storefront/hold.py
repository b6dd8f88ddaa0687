"""What the pay, pay-return and order pages show of an unpaid order's hold (``includes/hold.html``): the
hold (``orders.payments.hold``) and, for when it ends, the order's products still on sale to go back to."""

from typing import Any

from catalog.models import Product
from orders.models import Order
from orders.payments.hold import payment_hold
from storefront.selectors import public_products


def products_to_return_to(order: Order) -> list[Product]:
    """The order's products that are still on sale (one query; the order's lines are read once)."""
    variant_ids = {line.variant_id for line in order.lines.all()}
    return list(
        public_products().filter(variants__in=variant_ids).distinct().order_by("name").only("name", "name_en", "slug")
    )


def hold_context(order: Order) -> dict[str, Any]:
    """``hold`` (None unless the order awaits payment or expired unpaid) and ``hold_products``."""
    hold = payment_hold(order)
    return {"hold": hold, "hold_products": products_to_return_to(order) if hold is not None else []}
