"""Fulfilment: a paid order's parts prepared, ready for pickup or shipped, then handed over or received; a pickup
order's parts at one counter share one pickup and its code."""

from orders.fulfilment.services import (
    complete_fulfilment,
    complete_pickup,
    mark_fulfilling,
    mark_fulfilment_ready,
    mark_fulfilment_shipped,
)

__all__ = [
    "complete_fulfilment",
    "complete_pickup",
    "mark_fulfilling",
    "mark_fulfilment_ready",
    "mark_fulfilment_shipped",
]
