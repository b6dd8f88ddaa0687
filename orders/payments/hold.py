"""The hold an unpaid order keeps on its items, as its customer sees it: until when, how long is left, and
whether the order can be paid now. Reads only; the hold is ended by ``reservation.expire_order``."""

import math
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from orders.models import Order, OrderStatus
from orders.payments.providers import enabled_providers

# The order statuses a customer is told about a hold for: still awaiting payment, or expired unpaid.
HOLD_STATUSES = (OrderStatus.PENDING_PAYMENT, OrderStatus.EXPIRED)


@dataclass(frozen=True)
class PaymentHold:
    """An order's hold: ``expires_at``, and ``seconds_left`` (whole seconds, rounded up; 0 once ended).

    ``can_pay``: the hold is running and a payment provider (or the demo) is available;
    ``attempted``: a payment of the order was started (so paying now is paying again).
    """

    expires_at: datetime
    seconds_left: int
    can_pay: bool
    attempted: bool = False

    @property
    def running(self) -> bool:
        return self.seconds_left > 0


def payment_available() -> bool:
    """Whether the shop can take a payment at all: a provider is configured, or the demo method is on."""
    return bool(enabled_providers())


def seconds_left(order: Order, *, now: datetime | None = None) -> int:
    """Whole seconds until the order's hold ends (rounded up), 0 once it has ended or the order left
    ``pending_payment``. A hold ends at ``expires_at`` exactly, whether or not the expiry task has run yet."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        return 0
    remaining = (order.expires_at - (now or timezone.now())).total_seconds()
    return max(0, math.ceil(remaining))


def hold_is_running(order: Order, *, now: datetime | None = None) -> bool:
    """The order is awaiting payment and its items are still held for it."""
    return seconds_left(order, now=now) > 0


def can_pay_now(order: Order, *, now: datetime | None = None) -> bool:
    """The customer can pay the order now: its hold is running and a payment method is available."""
    return hold_is_running(order, now=now) and payment_available()


def payment_hold(order: Order, *, now: datetime | None = None) -> PaymentHold | None:
    """The hold of an order awaiting payment or expired unpaid (then ended); None for any other status.

    ``attempted`` (read only while the hold runs): a payment was started and did not complete — the customer
    is offered to pay again rather than to pay.
    """
    if order.status not in HOLD_STATUSES:
        return None
    left = seconds_left(order, now=now)
    can_pay = left > 0 and payment_available()
    attempted = can_pay and order.payments.exists()
    return PaymentHold(expires_at=order.expires_at, seconds_left=left, can_pay=can_pay, attempted=attempted)
