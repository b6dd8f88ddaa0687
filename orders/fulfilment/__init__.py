"""Fulfilment: a paid order's parts prepared, ready for pickup or shipped, then handed over or received."""

from orders.fulfilment.services import (
    complete_fulfilment,
    mark_fulfilling,
    mark_fulfilment_ready,
    mark_fulfilment_shipped,
)

__all__ = ["complete_fulfilment", "mark_fulfilling", "mark_fulfilment_ready", "mark_fulfilment_shipped"]
