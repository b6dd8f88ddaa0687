"""An order's history as the customer sees it: when it was placed and each change of status; and, for a paid
pickup order, at each counter: the pickup code and its QR, the progress (paid → being prepared → ready to collect
→ collected) and what happens next.

Internal notes (operators' remarks, stock movements, wrong pickup codes) stay in the back office.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from catalog.models import Location, Merchant
from core.qr import qr_svg
from orders.models import DeliveryMethod, Fulfilment, Order, OrderEvent, OrderStatus, Pickup
from orders.selectors import order_history, order_pickups

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


def _entry(at: datetime, kind: str, to_status: str, merchant: Merchant | None) -> TimelineEntry:
    if kind == OrderEvent.Kind.PLACED:
        return TimelineEntry(at, _("Order placed"), to_status)
    if kind == OrderEvent.Kind.FULFILMENT and merchant is not None:
        title = _("%(merchant)s: %(status)s") % {
            "merchant": merchant.display_name,
            "status": _label(Fulfilment.Status, to_status),
        }
        return TimelineEntry(at, title, to_status)
    return TimelineEntry(at, _label(OrderStatus, to_status), to_status)


def customer_timeline(order: Order) -> list[TimelineEntry]:
    """The order's placed, status and parcel events, oldest first (one query, of the columns shown); not the parts
    cancelled with it. An order awaiting payment has only been placed (nothing moves back to awaiting payment, and
    its parts are only ever cancelled with it): its history is its placing, with no query, as every buyer of a
    flash sale opens this page right after checkout."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        return [_entry(order.created_at, OrderEvent.Kind.PLACED, OrderStatus.PENDING_PAYMENT, None)]
    rows = (
        order_history(order)
        .filter(kind__in=CUSTOMER_KINDS)
        # Parts are cancelled with their order: the order's own "cancelled" or "expired" says it once.
        .exclude(kind=OrderEvent.Kind.FULFILMENT, to_status=Fulfilment.Status.CANCELLED)
        .values_list(
            "created_at",
            "kind",
            "to_status",
            "fulfilment_id",
            "fulfilment__merchant__name",
            "fulfilment__merchant__name_en",
        )
    )
    return [
        _entry(at, kind, to_status, Merchant(name=name, name_en=name_en) if part is not None else None)
        for at, kind, to_status, part, name, name_en in rows
    ]


# --- Pickup: the code, its QR and the progress at each counter ---------------------------------------------------

# Shown once the order is paid, until the money went back; the code and its QR until the pickup is handed over.
PICKUP_SHOWN = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.FULFILLING,
        OrderStatus.READY_FOR_PICKUP,
        OrderStatus.COMPLETED,
        OrderStatus.PARTIALLY_REFUNDED,
    }
)
PICKUP_STEPS = (
    ("paid", pgettext_lazy("pickup progress", "Paid")),
    ("preparing", pgettext_lazy("pickup progress", "Being prepared")),
    ("ready", pgettext_lazy("pickup progress", "Ready to collect")),
    ("collected", pgettext_lazy("pickup progress", "Collected")),
)


@dataclass(frozen=True)
class PickupStep:
    name: str
    label: str
    state: str  # done | current | todo


@dataclass(frozen=True)
class PickupCard:
    """What the order page shows at the top for one counter: the code and its QR while there is something to
    collect, the steps, and what happens next."""

    counter: Location
    stage: str  # preparing | ready | collected
    code: str
    qr: SafeString | None
    steps: list[PickupStep]
    next_step: str


def _stage(pickup: Pickup) -> str:
    if pickup.handed_over_at is not None:
        return "collected"
    return "ready" if pickup.ready_at is not None else "preparing"


def _steps(stage: str) -> list[PickupStep]:
    reached = [name for name, _label in PICKUP_STEPS].index(stage)
    return [
        PickupStep(
            name,
            str(label),
            "done" if index < reached or stage == "collected" else "current" if index == reached else "todo",
        )
        for index, (name, label) in enumerate(PICKUP_STEPS)
    ]


def _next_step(stage: str, pickup: Pickup, parts: list[Fulfilment]) -> str:
    counter = pickup.location
    if stage == "collected":
        return _("Collected at %(counter)s on %(date)s. Thank you!") % {
            "counter": counter.name,
            "date": date_format(timezone.localtime(pickup.handed_over_at), "DATE_FORMAT"),
        }
    if stage == "ready":
        if counter.opening_hours:
            return _("Everything is ready: come to %(counter)s (open %(hours)s) and show this code or its QR code.") % {
                "counter": counter.name,
                "hours": counter.opening_hours,
            }
        return _("Everything is ready: come to %(counter)s and show this code or its QR code.") % {
            "counter": counter.name
        }
    ready = sum(part.status == Fulfilment.Status.READY_FOR_PICKUP for part in parts)
    if ready:
        return ngettext(
            "%(ready)d of %(count)d part is ready at %(counter)s; we will text you when everything is.",
            "%(ready)d of %(count)d parts are ready at %(counter)s; we will text you when everything is.",
            len(parts),
        ) % {"ready": ready, "count": len(parts), "counter": counter.name}
    return _("%(counter)s is preparing your order; we will text you when everything is ready to collect.") % {
        "counter": counter.name
    }


def pickup_cards(order: Order) -> list[PickupCard]:
    """One card per counter the paid order is collected at (none before payment, or once the money went back)."""
    if order.delivery_method != DeliveryMethod.PICKUP or order.status not in PICKUP_SHOWN:
        return []
    parts_of: dict[int, list[Fulfilment]] = {}
    for part in order.fulfilments.all():
        if part.pickup_id is not None and part.status != Fulfilment.Status.CANCELLED:
            parts_of.setdefault(part.pickup_id, []).append(part)
    cards = []
    for pickup in order_pickups(order):
        stage = _stage(pickup)
        waiting = stage != "collected"
        cards.append(
            PickupCard(
                counter=pickup.location,
                stage=stage,
                code=pickup.code if waiting else "",
                qr=qr_svg(pickup.code, label=_("QR code of pickup code %(code)s") % {"code": pickup.code})
                if waiting
                else None,
                steps=_steps(stage),
                next_step=_next_step(stage, pickup, parts_of.get(pickup.pk, [])),
            )
        )
    return cards
