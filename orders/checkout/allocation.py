"""Where each unit of an order comes from: the chosen counter, or the active warehouses.

Called inside ``place_order``'s transaction: the stock rows that could serve the cart are locked in
primary-key order (``catalog.services.lock_stocks``) before anything is chosen, so the last unit goes
to exactly one buyer.
"""

from django.utils.translation import gettext as _

from catalog.models import Location, Stock
from catalog.services import lock_stocks
from orders.checkout.errors import SoldOut
from orders.checkout.selectors import CartItem, CartSummary

# One line's share: the cart item, the location it is taken from, how many units.
Allocation = tuple[CartItem, Location, int]


def plan_allocation(summary: CartSummary, pickup_location: Location | None) -> list[Allocation]:
    """Lock the stock rows that could serve the cart and choose where each unit comes from.

    Pickup takes everything from the chosen counter. Delivery takes each line from one active
    warehouse holding enough (the first by id), or splits it over several. ``SoldOut`` if short.
    """
    if pickup_location is not None:
        locations = {pickup_location.pk: pickup_location}
    else:
        locations = {loc.pk: loc for loc in Location.objects.filter(kind=Location.Kind.WAREHOUSE, is_active=True)}
    pairs = Stock.objects.filter(variant_id__in=list(summary.quantities), location_id__in=list(locations))
    stocks = lock_stocks(pairs.values_list("variant_id", "location_id"))
    plan = []
    for item in summary.items:
        candidates = sorted(
            (s for (variant_id, _loc), s in stocks.items() if variant_id == item.line.variant_id and s.available > 0),
            key=lambda s: s.pk,
        )
        whole = [s for s in candidates if s.available >= item.quantity]
        if whole:
            plan.append((item, locations[whole[0].location_id], item.quantity))
            continue
        if sum(s.available for s in candidates) < item.quantity:
            if pickup_location is not None:
                raise SoldOut(
                    _("Sorry, %(counter)s no longer has enough %(name)s. Choose another counter or delivery.")
                    % {"counter": pickup_location.name, "name": item.name}
                )
            raise SoldOut(
                _("Sorry, %(name)s is sold out or not enough is left. Please check your cart.") % {"name": item.name}
            )
        needed = item.quantity
        for stock in sorted(candidates, key=lambda s: (-s.available, s.pk)):
            take = min(needed, stock.available)
            plan.append((item, locations[stock.location_id], take))
            needed -= take
            if needed == 0:
                break
    return plan
