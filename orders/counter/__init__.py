"""The counter console: pickup orders from preparation to hand-over, and walk-in counter sales."""

from orders.counter.selectors import (
    CONSOLE_PERMISSION,
    counter_fulfilments,
    counter_pickups,
    counter_sales,
    counters_for_user,
    has_counter_access,
    pickups_ready,
    pickups_to_prepare,
    recently_handed_over,
    sales_totals,
    sellable_stock_at,
)
from orders.counter.services import (
    CounterError,
    HandOverLocked,
    WrongPickupCode,
    hand_over,
    hand_over_by_code,
    record_counter_sale,
)

__all__ = [
    "CONSOLE_PERMISSION",
    "CounterError",
    "HandOverLocked",
    "WrongPickupCode",
    "counter_fulfilments",
    "counter_pickups",
    "counter_sales",
    "counters_for_user",
    "hand_over",
    "hand_over_by_code",
    "has_counter_access",
    "pickups_ready",
    "pickups_to_prepare",
    "recently_handed_over",
    "record_counter_sale",
    "sales_totals",
    "sellable_stock_at",
]
