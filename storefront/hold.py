"""What the pay, pay-return and order pages show of an unpaid order's hold (``includes/hold.html``): the
hold (``orders.payments.hold``) and, for when it ends, the order's products still on sale to go back to."""

import hashlib
from typing import Any

from django.conf import settings
from django.utils import timezone

from catalog.models import Product
from core.cache import fragment
from orders.models import Order
from orders.payments.hold import payment_hold
from storefront.page_cache import CATALOGUE, SITE
from storefront.selectors import public_products


def products_to_return_to(order: Order) -> list[Product]:
    """The order's products that are still on sale (the order's lines are read once), remembered per day for the
    same goods: a flash sale's orders share one list. What is on sale changes only with a save that stamps
    ``CATALOGUE`` (a product, variant, merchant, certificate) or ``SITE`` (the aid settings), as for
    ``product_page.find``; certificates lapse by the day, which is in the key."""
    variant_ids = sorted({line.variant_id for line in order.lines.all()})

    def build() -> list[Product]:
        products = public_products().filter(variants__in=variant_ids).distinct()
        return list(products.order_by("name").only("name", "name_en", "slug"))

    digest = hashlib.sha256(",".join(map(str, variant_ids)).encode()).hexdigest()[:32]
    key = f"hold-products:{timezone.localdate().isoformat()}:{digest}"
    return fragment(key, [CATALOGUE, SITE], build, settings.FRAGMENT_CACHE_SECONDS)


def hold_context(order: Order) -> dict[str, Any]:
    """``hold`` (None unless the order awaits payment or expired unpaid) and ``hold_products``."""
    hold = payment_hold(order)
    return {"hold": hold, "hold_products": products_to_return_to(order) if hold is not None else []}
