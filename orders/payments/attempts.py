"""What the providers paid through their own APIs share: their attempts' numbers and their notify addresses.

An attempt is one ``Payment``, numbered ``<order number>-<letter><n>`` (the provider's ``out_trade_no``). A
number the provider reports that we never recorded (its answer to us was lost) still names our order and
its attempt, so the payment row is made then; a number that names no order of ours is not ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from orders.models import Order, Payment


@dataclass(frozen=True)
class PaidAttempt:
    """What a provider says was paid: its attempt's number (``Payment.intent_id``), the amount in fen, the currency
    and the payment method's kind (each provider's notification read by its own module)."""

    number: str
    amount: int
    currency: str
    method_type: str


def attempt_pattern(letter: str) -> re.Pattern[str]:
    """The numbers of one provider's attempts (``W`` for WeChat Pay, ``A`` for Alipay)."""
    return re.compile(rf"(?P<number>.+)-{letter}(?P<attempt>\d+)")


def payment_for_attempt(provider: str, number: str, pattern: re.Pattern[str]) -> Payment | None:
    """Our payment for the attempt ``number`` of ``provider``; made if it names an attempt of one of our orders
    we did not record, None for a number that is not ours."""
    payment = Payment.objects.filter(provider=provider, intent_id=number).first()
    if payment is not None:
        return payment
    match = pattern.fullmatch(number)
    order = Order.objects.filter(number=match["number"]).first() if match else None
    if order is None:
        return None
    payment, _created = Payment.objects.get_or_create(
        intent_id=number,
        defaults={
            "order": order,
            "provider": provider,
            "attempt": int(match["attempt"]),
            "amount": order.total,
            "currency": order.currency,
        },
    )
    return payment


def public_notify_url(configured: str, route: str) -> str:
    """Where a provider posts its notifications: the address configured for it, else ``route`` on
    ``WAGTAILADMIN_BASE_URL`` when that is https (the providers post only to https); empty when neither."""
    if configured:
        return configured
    base = (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "").rstrip("/")
    return f"{base}{reverse(route)}" if base.startswith("https://") else ""
