"""An order's history as the customer sees it: when it was placed and each change of status.

Internal notes (operators' remarks, stock movements) stay in the back office.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from orders.models import Fulfilment, Order, OrderEvent, OrderStatus
from orders.selectors import order_history

CUSTOMER_KINDS = (OrderEvent.Kind.PLACED, OrderEvent.Kind.STATUS, OrderEvent.Kind.FULFILMENT)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    title: str
    status: str  # the status reached, for styling


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _entry(event: OrderEvent) -> TimelineEntry:
    if event.kind == OrderEvent.Kind.PLACED:
        return TimelineEntry(event.created_at, _("Order placed"), event.to_status)
    if event.kind == OrderEvent.Kind.FULFILMENT and event.fulfilment is not None:
        title = _("%(merchant)s: %(status)s") % {
            "merchant": event.fulfilment.merchant.name,
            "status": _label(Fulfilment.Status, event.to_status),
        }
        return TimelineEntry(event.created_at, title, event.to_status)
    return TimelineEntry(event.created_at, _label(OrderStatus, event.to_status), event.to_status)


def customer_timeline(order: Order) -> list[TimelineEntry]:
    """The order's placed, status and parcel events, oldest first (one query); not the parts cancelled with it."""
    events = (
        order_history(order)
        .filter(kind__in=CUSTOMER_KINDS)
        # Parts are cancelled with their order: the order's own "cancelled" or "expired" says it once.
        .exclude(kind=OrderEvent.Kind.FULFILMENT, to_status=Fulfilment.Status.CANCELLED)
        .select_related("fulfilment__merchant")
    )
    return [_entry(event) for event in events]
