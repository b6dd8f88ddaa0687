"""Alipay writes: an attempt per checkout, applying what Alipay says (a notification or our query), reconciliation
and closing.

Rules:
- One ``Payment`` per attempt: ``intent_id`` is our ``out_trade_no`` (``<order number>-A<attempt>``),
  ``method_type`` the way it was opened (``page``/``wap``) until it is paid (then ``alipay``). A current attempt
  (unpaid, same amount, same way) is offered again with the very same trade (Alipay accepts the same
  ``out_trade_no``, amount and subject again); one that cannot be reused is closed first, and one that turns out
  paid is applied instead, so nothing is charged twice.
- Before a cashier address is handed out, the attempt is queried: Alipay must answer (else the shopper is asked
  to try again, no payment row is left), and a trade paid meanwhile is applied.
- Amount as a yuan string (``core.money``), CNY; ``time_expire`` the end of the order's stock hold (Beijing time).
- An order becomes paid only through ``services.apply_intent_succeeded``, from a ``TRADE_SUCCESS`` /
  ``TRADE_FINISHED`` trade: a verified notification of our app id (and seller id, when set) or our own query.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.money import fen_to_yuan, yuan_to_fen
from core.text import site_text
from orders.models import Order, OrderStatus, Payment, PaymentProvider
from orders.payments import alipay
from orders.payments.attempts import attempt_pattern, payment_for_attempt
from orders.payments.errors import ProviderUnavailable
from orders.payments.services import apply_intent_succeeded, check_payable
from orders.state import lock_order

logger = logging.getLogger(__name__)

OUT_TRADE_NO = attempt_pattern("A")
METHOD_TYPE = "alipay"
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
ENDED = (Payment.Status.SUCCEEDED, Payment.Status.CANCELED, Payment.Status.FAILED)


def out_trade_no(order: Order, attempt: int) -> str:
    """Our number for an attempt: ``DX20261130-000123-A1``."""
    return f"{order.number}-A{attempt}"


@dataclass(frozen=True)
class AlipayCheckout:
    """An attempt to pay: the payment row and Alipay's cashier address; ``url`` is empty when the order turned
    out paid meanwhile."""

    payment: Payment
    url: str


def _params(order: Order, number: str, return_url: str) -> dict[str, Any]:
    """The trade, the same every time for one attempt (so Alipay accepts it again)."""
    return {
        "subject": site_text(gettext_lazy("Dexiu Market order %(number)s"), number=order.number)[:256],
        "out_trade_no": number,
        "total_amount": fen_to_yuan(order.total),
        "time_expire": alipay.beijing(order.expires_at),
        "return_url": return_url,
        "notify_url": alipay.notify_url(),
    }


def start_alipay_payment(order: Order, *, kind: str, return_url: str) -> AlipayCheckout:
    """The attempt the shopper should pay now (``kind`` page or wap), the current one when it can be reused.
    ``PaymentError`` when the order cannot be paid; ``ProviderUnavailable`` when Alipay fails.

    The order row stays locked meanwhile, so two visits cannot open two attempts.
    """
    with transaction.atomic():
        lock_order(order)
        check_payable(order)
        latest = order.payments.filter(provider=PaymentProvider.ALIPAY).order_by("-attempt").first()
        if latest is not None and latest.status not in ENDED:
            if latest.method_type == kind and latest.amount == order.total:
                trade = _trade(latest.intent_id)
                if _applied(trade):
                    return AlipayCheckout(latest, "")
                if trade.get("trade_status") != "TRADE_CLOSED":  # waiting, or not opened yet
                    return AlipayCheckout(latest, alipay.pay_url(kind, **_params(order, latest.intent_id, return_url)))
                _mark_canceled(latest)
            elif _close_attempt(latest):  # another way or amount: closed first (or it was paid: applied)
                return AlipayCheckout(latest, "")
        attempt = (latest.attempt + 1) if latest is not None else 1
        number = out_trade_no(order, attempt)
        trade = _trade(number)  # Alipay must answer before the shopper is sent there
        payment = _new_payment(order, number, attempt, kind)
        if _applied(trade):  # opened and paid though our row was lost (a rolled-back visit)
            return AlipayCheckout(payment, "")
        return AlipayCheckout(payment, alipay.pay_url(kind, **_params(order, number, return_url)))


def _new_payment(order: Order, number: str, attempt: int, kind: str) -> Payment:
    return Payment.objects.create(
        order=order,
        provider=PaymentProvider.ALIPAY,
        intent_id=number,
        attempt=attempt,
        amount=order.total,
        currency=order.currency,
        method_type=kind,
    )


def _trade(number: str) -> dict[str, Any]:
    """The query's answer for a trade; ``{}`` when Alipay has none (never opened); ``ProviderUnavailable`` for any
    other failure."""
    answer = alipay.query(number)
    if answer.get("code") == alipay.SUCCESS:
        return answer
    if answer.get("sub_code") == NOT_EXIST:
        return {}
    raise alipay.failure("query", answer)


def _applied(trade: dict[str, Any]) -> bool:
    """Apply a queried trade when it is paid; True then."""
    return trade.get("trade_status") in PAID and apply_trade(trade) is not None


def _mark_canceled(payment: Payment) -> None:
    Payment.objects.filter(pk=payment.pk).exclude(status=Payment.Status.SUCCEEDED).update(
        status=Payment.Status.CANCELED, updated_at=timezone.now()
    )


def _close_attempt(payment: Payment) -> bool:
    """Close an attempt at Alipay and mark it canceled; True when it was paid instead (then applied)."""
    answer = alipay.close(payment.intent_id)
    if answer.get("code") == alipay.SUCCESS or answer.get("sub_code") == NOT_EXIST:
        _mark_canceled(payment)
        return False
    if answer.get("sub_code") != "ACQ.TRADE_STATUS_ERROR":
        raise alipay.failure("close", answer)
    trade = _trade(payment.intent_id)  # paid, or closed already
    if _applied(trade):
        return True
    if trade.get("trade_status") == "TRADE_CLOSED":
        _mark_canceled(payment)
        return False
    raise alipay.failure("close", answer)


def _payment_for(number: str) -> Payment | None:
    """Our payment for an ``out_trade_no`` (see ``orders.payments.attempts``)."""
    return payment_for_attempt(PaymentProvider.ALIPAY, number, OUT_TRADE_NO)


def _fen(total_amount: Any) -> int:
    """Alipay's yuan string (``"12.80"``) as fen, exactly; -1 (a mismatch, flagged) for anything unreadable."""
    try:
        return yuan_to_fen(str(total_amount))
    except ValidationError:
        return -1


def apply_trade(trade: dict[str, Any]) -> Order | None:
    """Apply a paid Alipay trade (a verified notification, or our query's answer): ``TRADE_SUCCESS`` /
    ``TRADE_FINISHED`` pays the order through ``apply_intent_succeeded`` (amount and currency checked there; an
    expired or cancelled order is flagged). Returns the order, or None when nothing was applied."""
    number = str(trade.get("out_trade_no") or "")
    if trade.get("trade_status") not in PAID:
        return None
    payment = _payment_for(number)
    if payment is None:
        logger.warning("Ignoring Alipay trade %s: not one of our orders", number)
        return None
    return apply_intent_succeeded(
        payment, amount=_fen(trade.get("total_amount")), currency="CNY", method_type=METHOD_TYPE
    )


def apply_notification(form: dict[str, Any]) -> Order | None:
    """Apply a stored notification: only one of our app id (and our seller id, when ``ALIPAY_SELLER_ID`` is set)
    — the notify view refused others already; checked again for notifications stored before a settings change."""
    if form.get("app_id") != settings.ALIPAY_APP_ID or (
        settings.ALIPAY_SELLER_ID and form.get("seller_id") != settings.ALIPAY_SELLER_ID
    ):
        logger.warning("Ignoring Alipay notification %s of another app or seller", form.get("notify_id"))
        return None
    return apply_trade(form)


# --- Reconciliation and closing ---------------------------------------------------------------------


def reconcile_alipay_order(order: Order) -> bool:
    """Query Alipay about the order's open attempts and apply a paid one; True if the order is now paid."""
    for payment in order.payments.filter(provider=PaymentProvider.ALIPAY).exclude(status__in=ENDED):
        trade = _trade(payment.intent_id)
        if not _applied(trade) and trade.get("trade_status") == "TRADE_CLOSED":  # expired at Alipay
            _mark_canceled(payment)
    order.refresh_from_db()
    return order.status == OrderStatus.PAID


def _with_open_attempts(*statuses: str):
    return Order.objects.filter(
        status__in=statuses,
        payments__provider=PaymentProvider.ALIPAY,
        payments__status__in=[s for s in Payment.Status.values if s not in ENDED],
    ).distinct()


def reconcile_alipay_payments() -> int:
    """Reconcile every order awaiting payment that has an open Alipay attempt (how many became paid), and close
    the open attempts of orders that expired or were cancelled. An order Alipay cannot be asked about now is
    logged and left for the next run."""
    if not alipay.alipay_enabled():
        return 0
    paid = 0
    for order in _with_open_attempts(OrderStatus.PENDING_PAYMENT):
        try:
            paid += reconcile_alipay_order(order)
        except ProviderUnavailable:
            logger.warning("Could not reconcile order %s with Alipay", order.number, exc_info=True)
    for order in _with_open_attempts(OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        try:
            close_alipay_attempts(order.pk)
        except ProviderUnavailable:
            logger.warning("Could not close the Alipay attempts of order %s", order.number, exc_info=True)
    return paid


def close_alipay_attempts(order_id: int) -> int:
    """Close the open Alipay attempts of an order that can no longer be paid (expired, cancelled), so the shopper
    cannot pay them any more; one paid meanwhile is applied (and flagged, the order being over). Returns how many
    were closed."""
    closed = 0
    order = Order.objects.get(pk=order_id)
    for payment in order.payments.filter(provider=PaymentProvider.ALIPAY).exclude(status__in=ENDED):
        with transaction.atomic():
            lock_order(order)
            closed += not _close_attempt(payment)
    return closed
