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
- Refunds: ``services.refund_order`` writes the ``Refund`` first; its ``idempotency_key`` (45 characters of
  ``[a-z0-9-]``) is Alipay's ``out_request_no`` (at most 64). Alipay answers at once: ``10000`` with
  ``fund_change`` ``Y`` (or ``N`` for a request it had already made, confirmed by ``fastpay.refund.query``)
  completes it through ``services._complete_refund``, once, under the order and refund row locks; a business
  refusal fails it with Alipay's ``sub_msg`` (nothing debited); no answer (network, gateway, ``ACQ.SYSTEM_ERROR``)
  leaves it pending, and reconciliation queries it later: ``REFUND_SUCCESS`` completes it, no such refund fails
  it and flags the order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import fen_to_yuan, format_fen, yuan_to_fen
from core.text import site_text
from orders.models import Order, OrderStatus, Payment, PaymentProvider, Refund
from orders.payments import alipay
from orders.payments.attempts import PaidAttempt, attempt_pattern, payment_for_attempt
from orders.payments.errors import ProviderUnavailable
from orders.payments.services import PaymentError, _complete_refund, _flag, apply_intent_succeeded, check_payable
from orders.state import lock_order

logger = logging.getLogger(__name__)

OUT_TRADE_NO = attempt_pattern("A")
METHOD_TYPE = "alipay"
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
ENDED = (Payment.Status.SUCCEEDED, Payment.Status.CANCELED, Payment.Status.FAILED)
REFUND_REASON_MAX = 256  # Alipay's refund_reason: at most 256 characters
REFUND_SUCCESS = "REFUND_SUCCESS"
# Answers that say nothing of whether the refund was made: Alipay wants the same request again later.
REFUND_UNKNOWN = ("ACQ.SYSTEM_ERROR",)
# Pending refunds younger than this are left alone (Alipay may not list a refund queried too soon).
QUERY_REFUNDS_AFTER = timedelta(minutes=5)

NOTE_ALIPAY_REFUND_FAILED = gettext_lazy(
    "Alipay has no record of refund %(reference)s of %(amount)s: it is marked failed and nothing was debited;"
    " refund again if it is still due."
)


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
    paid = trade_paid(trade)
    if paid is None:
        return None
    payment = _payment_for(paid.number)
    if payment is None:
        logger.warning("Ignoring Alipay trade %s: not one of our orders", paid.number)
        return None
    return apply_intent_succeeded(payment, amount=paid.amount, currency=paid.currency, method_type=paid.method_type)


def trade_paid(trade: dict[str, Any]) -> PaidAttempt | None:
    """What a paid Alipay trade (``TRADE_SUCCESS`` / ``TRADE_FINISHED``) paid, in CNY; None for any other state."""
    if trade.get("trade_status") not in PAID:
        return None
    return PaidAttempt(
        number=str(trade.get("out_trade_no") or ""),
        amount=_fen(trade.get("total_amount")),
        currency="CNY",
        method_type=METHOD_TYPE,
    )


def notification_paid(form: dict[str, Any]) -> PaidAttempt | None:
    """``trade_paid`` for a stored notification of our app id (and seller id, when set); None for another's."""
    return trade_paid(form) if _ours(form) else None


def apply_notification(form: dict[str, Any]) -> Order | None:
    """Apply a stored notification: only one of our app id (and our seller id, when ``ALIPAY_SELLER_ID`` is set)
    — the notify view refused others already; checked again for notifications stored before a settings change."""
    if not _ours(form):
        logger.warning("Ignoring Alipay notification %s of another app or seller", form.get("notify_id"))
        return None
    return apply_trade(form)


def _ours(form: dict[str, Any]) -> bool:
    return form.get("app_id") == settings.ALIPAY_APP_ID and (
        not settings.ALIPAY_SELLER_ID or form.get("seller_id") == settings.ALIPAY_SELLER_ID
    )


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
    the open attempts of orders that expired or were cancelled; pending refunds are queried too
    (``reconcile_alipay_refunds``). An order Alipay cannot be asked about now is
    logged and left for the next run."""
    if not alipay.alipay_enabled():
        return 0
    reconcile_alipay_refunds()
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


# --- Refunds ----------------------------------------------------------------------------------------


def _refund_made(payment: Payment, refund: Refund) -> bool:
    """Whether Alipay's refund query says the refund was made (``ProviderUnavailable`` when it cannot answer)."""
    answer = alipay.query_refund(out_trade_no=payment.intent_id, out_request_no=refund.idempotency_key)
    if answer.get("code") != alipay.SUCCESS:
        raise alipay.failure("refund query", answer)
    return answer.get("refund_status") == REFUND_SUCCESS


def request_alipay_refund(payment: Payment, refund: Refund) -> str:
    """Ask Alipay for the refund written first by ``refund_order``; our status for its answer: succeeded when
    Alipay moved the money (or, for a request it had made already, its query says so), pending when there is no
    telling (Alipay unreachable: reconciliation asks later). ``PaymentError`` with Alipay's message when it
    refuses (``refund_order`` then marks the refund failed)."""
    try:
        answer = alipay.refund(
            out_trade_no=payment.intent_id,
            out_request_no=refund.idempotency_key,
            refund_amount=fen_to_yuan(refund.amount),
            refund_reason=refund.reason[:REFUND_REASON_MAX],
        )
        if answer.get("code") == alipay.SUCCESS:
            if answer.get("fund_change") == "Y" or _refund_made(payment, refund):
                return Refund.Status.SUCCEEDED
            return Refund.Status.PENDING
    except ProviderUnavailable as exc:
        logger.warning("Alipay refund %s left pending: %s", refund.idempotency_key, exc)
        return Refund.Status.PENDING
    if answer.get("sub_code") in REFUND_UNKNOWN or answer.get("code") != "40004":
        logger.warning("Alipay refund %s left pending: %s", refund.idempotency_key, alipay.failure("refund", answer))
        return Refund.Status.PENDING
    message = str(answer.get("sub_msg") or answer.get("msg") or answer.get("sub_code") or "")
    raise PaymentError(_("Alipay refused the refund: %(message)s") % {"message": message})


def settle_alipay_refund(refund: Refund, made: bool) -> Refund:
    """Settle a pending Alipay refund from what Alipay's query said, once (order and refund rows locked): made
    completes it (aid-ledger debit, the order's status, restock); not made fails it and flags the order."""
    with transaction.atomic():
        order = lock_order(Order(pk=refund.order_id))
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.Status.PENDING:
            return refund  # settled meanwhile
        refund.status = Refund.Status.SUCCEEDED if made else Refund.Status.FAILED
        refund.save(update_fields=["status", "updated_at"])
        if made:
            _complete_refund(order, refund)
        else:
            _flag(
                order,
                NOTE_ALIPAY_REFUND_FAILED,
                reference=refund.idempotency_key,
                amount=format_fen(refund.amount),
            )
    return refund


def reconcile_alipay_refunds(*, older_than: timedelta = QUERY_REFUNDS_AFTER) -> int:
    """Query Alipay about our refunds pending for more than ``older_than`` (its answer was lost) and settle them:
    ``REFUND_SUCCESS`` completes one, no such refund (never received) fails it. Returns how many were settled; a
    refund Alipay cannot be asked about now is left for the next run."""
    settled = 0
    pending = Refund.objects.filter(
        payment__provider=PaymentProvider.ALIPAY,
        status=Refund.Status.PENDING,
        created_at__lte=timezone.now() - older_than,
    ).select_related("payment")
    for refund in pending.order_by("pk"):
        try:
            made = _refund_made(refund.payment, refund)
        except ProviderUnavailable:
            logger.warning("Could not query Alipay refund %s", refund.idempotency_key, exc_info=True)
            continue
        settled += settle_alipay_refund(refund, made).status != Refund.Status.PENDING
    return settled
