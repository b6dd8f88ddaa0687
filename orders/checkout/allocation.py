"""Where each unit of an order comes from: the chosen counter, or the active warehouses.

In a rush every buyer of a product waits for the same stock row, so ``place_order`` chooses the plan
without locks first (``provisional_allocation``) and writes the order, its fulfilments and lines, checks
the plan's rows once more without locks (``still_holds``: a buyer whose units went meanwhile does not
queue for the row); only then does reserving the units (``catalog.services.apply_stock_changes``) lock
the rows the plan takes from, in primary-key order, and check under the lock that they still hold
enough. A hot row is thus locked only for the stock update, its ledger entry and the commit, and the
last unit still goes to exactly one buyer. When the rows ran short in between, ``replan_allocation``
chooses again from every row that could serve the cart (under their locks, ``plan_allocation``, when
the lock found them short): the line is ``SoldOut``, or the order is placed again from the rows that
can serve it.
"""

from typing import NoReturn

from django.utils.translation import gettext as _

from catalog.models import Location, Stock
from catalog.services import lock_stocks
from orders.checkout.errors import SoldOut
from orders.checkout.selectors import CartItem, CartSummary

# One line's share: the cart item, the location it is taken from, how many units.
Allocation = tuple[CartItem, Location, int]


class PlanChanged(Exception):
    """Under the lock the provisional plan no longer holds, but another one does: place again, rows locked first."""


def _locations(pickup_location: Location | None) -> dict[int, Location]:
    if pickup_location is not None:
        return {pickup_location.pk: pickup_location}
    return {loc.pk: loc for loc in Location.objects.filter(kind=Location.Kind.WAREHOUSE, is_active=True)}


def _choose(
    summary: CartSummary,
    stocks: dict[tuple[int, int], Stock],
    locations: dict[int, Location],
    pickup_location: Location | None,
) -> list[Allocation]:
    """Choose from ``stocks`` (no query): pickup takes everything from the chosen counter; delivery takes
    each line from one warehouse holding enough (the first by id), or splits it over several. ``SoldOut``
    if short."""
    plan = []
    taken: dict[int, int] = {}  # units of each stock row (pk) the plan takes already: a variant may be in several items

    def free(stock: Stock) -> int:
        return stock.available - taken.get(stock.pk, 0)

    def take(item: CartItem, stock: Stock, quantity: int) -> None:
        plan.append((item, locations[stock.location_id], quantity))
        taken[stock.pk] = taken.get(stock.pk, 0) + quantity

    for item in summary.stock_items:
        candidates = sorted(
            (s for (variant_id, _loc), s in stocks.items() if variant_id == item.line.variant_id and free(s) > 0),
            key=lambda s: s.pk,
        )
        whole = [s for s in candidates if free(s) >= item.quantity]
        if whole:
            take(item, whole[0], item.quantity)
            continue
        if sum(free(s) for s in candidates) < item.quantity:
            if pickup_location is not None:
                raise SoldOut(
                    _("Sorry, %(counter)s no longer has enough %(name)s. Choose another counter or delivery.")
                    % {"counter": pickup_location.name, "name": item.name}
                )
            raise SoldOut(
                _("Sorry, %(name)s is sold out or not enough is left. Please check your cart.") % {"name": item.name}
            )
        needed = item.quantity
        for stock in sorted(candidates, key=lambda s: (-free(s), s.pk)):
            units = min(needed, free(stock))
            take(item, stock, units)
            needed -= units
            if needed == 0:
                break
    return plan


def plan_allocation(summary: CartSummary, pickup_location: Location | None) -> list[Allocation]:
    """Lock every stock row that could serve the cart (by pk) and choose where each unit comes from."""
    locations = _locations(pickup_location)
    pairs = Stock.objects.filter(variant_id__in=list(summary.quantities), location_id__in=list(locations)).order_by()
    stocks = lock_stocks(pairs.values_list("variant_id", "location_id"))
    return _choose(summary, stocks, locations, pickup_location)


def provisional_allocation(summary: CartSummary, pickup_location: Location | None) -> list[Allocation]:
    """Choose from the stock as last committed, locking nothing (one query: the rows with their warehouses, in no
    order, as ``_choose`` orders them itself); ``SoldOut`` if short already.

    Reserving the plan (``catalog.services.apply_stock_changes``) locks its rows and checks them again.
    """
    rows = Stock.objects.filter(variant_id__in=list(summary.quantities)).order_by()
    if pickup_location is not None:
        stocks = {(s.variant_id, s.location_id): s for s in rows.filter(location=pickup_location)}
        return _choose(summary, stocks, {pickup_location.pk: pickup_location}, pickup_location)
    rows = rows.filter(location__kind=Location.Kind.WAREHOUSE, location__is_active=True).select_related("location")
    stocks = {(s.variant_id, s.location_id): s for s in rows}
    return _choose(summary, stocks, {s.location_id: s.location for s in stocks.values()}, pickup_location)


def still_holds(plan: list[Allocation]) -> bool:
    """Whether the plan's stock rows, as last committed, still hold its units (one query, no lock).

    Checked just before the rows are locked: a buyer whose units went while the order was being written
    is refused without queueing for a hot row (``replan_allocation`` then says why, or finds other rows).
    """
    wanted: dict[tuple[int, int], int] = {}
    for item, location, quantity in plan:
        pair = (item.line.variant_id, location.pk)
        wanted[pair] = wanted.get(pair, 0) + quantity
    rows = (
        Stock.objects.filter(
            variant_id__in={variant_id for variant_id, _loc in wanted}, location_id__in={loc for _v, loc in wanted}
        )
        .order_by()  # no joins for the default ordering
        .values_list("variant_id", "location_id", "on_hand", "allocated")
    )
    available = {(variant_id, loc): on_hand - allocated for variant_id, loc, on_hand, allocated in rows}
    return all(available.get(pair, 0) >= quantity for pair, quantity in wanted.items())


def replan_allocation(summary: CartSummary, pickup_location: Location | None, *, locked: bool) -> NoReturn:
    """The provisional plan's rows ran short: choose again from every row that could serve the cart, with
    those rows ``locked`` (by pk) or as last committed. ``SoldOut`` if the cart cannot be served, else
    ``PlanChanged`` (``place_order`` then places it again, every candidate row locked first)."""
    if locked:
        plan_allocation(summary, pickup_location)
    else:
        provisional_allocation(summary, pickup_location)
    raise PlanChanged
