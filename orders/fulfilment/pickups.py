"""Pickups: one per pickup order and counter, created with the order, each with a code for all its parts there.

The code is six digits from ``secrets`` (unguessable), and no other open pickup has it: the database refuses a
second open pickup with the same code (a partial unique index), so a taken code is simply drawn again.
"""

import secrets
from collections.abc import Iterable

from catalog.models import Location
from orders.models import Order, Pickup

CODE_DIGITS = 6
CODE_ATTEMPTS = 20


def new_pickup_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def open_pickups(order: Order, locations: Iterable[Location]) -> dict[int, Pickup]:
    """The order's pickup at each of ``locations`` (by location id), created now, each with a code no other open
    pickup has.

    Inserted with ``ON CONFLICT DO NOTHING`` (no savepoint): a code an open pickup holds — or one a concurrent
    checkout is inserting, once that commits — leaves the row out, and it is drawn again. Two queries when no
    code is taken.
    """
    wanted = sorted({location.pk for location in locations})
    pickups: dict[int, Pickup] = {}
    for _attempt in range(CODE_ATTEMPTS):
        missing = [pk for pk in wanted if pk not in pickups]
        if not missing:
            return pickups
        Pickup.objects.bulk_create(
            [Pickup(order=order, location_id=pk, code=new_pickup_code()) for pk in missing], ignore_conflicts=True
        )
        pickups = {pickup.location_id: pickup for pickup in Pickup.objects.filter(order=order)}
    if any(pk not in pickups for pk in wanted):
        raise RuntimeError(f"no free pickup code for order {order.pk} after {CODE_ATTEMPTS} attempts")
    return pickups
