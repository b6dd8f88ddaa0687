"""WeChat Pay writes: placing a transaction per attempt, applying what WeChat Pay says (a notification or our
query), reconciliation and closing.

Rules:
- One ``Payment`` per attempt: ``intent_id`` is our ``out_trade_no`` (``<order number>-W<attempt>``, 6 to 32 of
  letters, digits, ``_-|*``), ``method_type`` the trade type it was placed as (``native``/``h5``/``jsapi``) until
  it is paid (then ``wechat_pay``). A current attempt (unpaid, same amount, same trade type) is placed again with
  the very same request, which WeChat Pay answers as before (a JSAPI one for another openid is refused, so it is
  replaced); an attempt that cannot be reused is closed first, and one that turns out paid is applied instead, so
  nothing is charged twice.
- JSAPI transactions carry the official account's AppID (``wechat_oauth.oauth_appid``, the one the openid belongs
  to) and ``payer.openid``.
- Amount in fen, CNY; ``time_expire`` the end of the order's stock hold.
- An order becomes paid only through ``services.apply_intent_succeeded``, from a ``SUCCESS`` transaction of our
  merchant id and one of our AppIDs (``WECHATPAY_APPID``, or the official account's for JSAPI).
- Refunds: ``services.refund_order`` writes the ``Refund`` first; its ``idempotency_key`` is WeChat's
  ``out_refund_no``. WeChat answers ``PROCESSING``: the refund stays pending until a ``REFUND.SUCCESS``
  notification or our query says ``SUCCESS``, then ``services._complete_refund`` runs once, under the order and
  refund row locks; ``ABNORMAL``/``CLOSED`` fail it (nothing debited) and flag the order. A refund made in WeChat's
  merchant platform (an ``out_refund_no`` we do not know, of a payment of ours) is recorded like Stripe's
  dashboard refunds, without an author.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import format_fen
from core.text import site_text
from orders.models import Order, OrderStatus, Payment, PaymentProvider, Refund
from orders.payments import wechatpay
from orders.payments.attempts import PaidAttempt, attempt_pattern, payment_for_attempt
from orders.payments.errors import ProviderUnavailable
from orders.payments.profit_sharing import settle_info
from orders.payments.services import (
    EventHeld,
    PaymentError,
    _complete_refund,
    _dashboard_refund_lines,
    _flag,
    apply_intent_succeeded,
    check_payable,
)
from orders.payments.wechat_oauth import oauth_appid
from orders.state import lock_order

logger = logging.getLogger(__name__)

OUT_TRADE_NO = attempt_pattern("W")
METHOD_TYPE = "wechat_pay"
ENDED = (Payment.Status.SUCCEEDED, Payment.Status.CANCELED, Payment.Status.FAILED)
REASON_MAX = 80  # WeChat's refund reason: at most 80 characters
# WeChat's refund status → ours (PROCESSING: still pending; RESOURCE_NOT_EXISTS: our query's 404, never received).
REFUND_STATUS = {
    "SUCCESS": Refund.Status.SUCCEEDED,
    "ABNORMAL": Refund.Status.FAILED,
    "CLOSED": Refund.Status.FAILED,
    "RESOURCE_NOT_EXISTS": Refund.Status.FAILED,
}
# Pending refunds younger than this are left to their notification; reconciliation queries the rest.
QUERY_REFUNDS_AFTER = timedelta(minutes=5)

NOTE_REFUND_FAILED = gettext_lazy(
    "WeChat Pay could not complete refund %(reference)s of %(amount)s (%(status)s): nothing was debited; check it"
    " in WeChat Pay's merchant platform before refunding again."
)
NOTE_REFUND_LATE_SUCCESS = gettext_lazy(
    "WeChat Pay completed refund %(reference)s of %(amount)s, which was recorded as failed: it is now recorded as"
    " refunded; check that the customer was not refunded twice."
)
NOTE_CHOOSE_WECHAT_REFUND_LINES = gettext_lazy(
    "Refund %(reference)s of %(amount)s was made in WeChat Pay's merchant platform without naming items: the aid"
    " ledger debited the newest items first; check them."
)
REASON_WECHAT_REFUND = gettext_lazy("Refunded in WeChat Pay's merchant platform (%(reference)s).")


def out_trade_no(order: Order, attempt: int) -> str:
    """Our number for an attempt: ``DX20261130-000123-W1``."""
    return f"{order.number}-W{attempt}"


@dataclass(frozen=True)
class WeChatCheckout:
    """A placed transaction: the payment row and where to pay (Native ``code_url``, H5 ``h5_url``, or for JSAPI the
    ``prepay_id``); ``url`` is empty when the order turned out paid meanwhile."""

    payment: Payment
    url: str


def _request(order: Order, number: str, kind: str, client_ip: str, openid: str = "") -> dict[str, Any]:
    """The order request, the same every time for one attempt (so placing it again is answered as before)."""
    params: dict[str, Any] = {
        "description": site_text(gettext_lazy("Dexiu Market order %(number)s"), number=order.number)[:127],
        "out_trade_no": number,
        "amount": {"total": order.total, "currency": order.currency.upper()},
        "time_expire": wechatpay.rfc3339(order.expires_at),
        **settle_info(),  # shareable while profit sharing is on (orders.payments.profit_sharing)
    }
    if kind == "h5":
        params["scene_info"] = {"payer_client_ip": client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
    if kind == "jsapi":
        params["appid"] = oauth_appid()
        params["payer"] = {"openid": openid}
    return params


def _url(kind: str, answer: wechatpay.ApiAnswer) -> str:
    url = str(answer.data.get({"native": "code_url", "h5": "h5_url", "jsapi": "prepay_id"}[kind]) or "")
    if not url:
        raise ProviderUnavailable(f"WeChat Pay {kind} order answered without its URL: {answer.data}")
    return url


def _unavailable(what: str, answer: wechatpay.ApiAnswer) -> ProviderUnavailable:
    return ProviderUnavailable(f"WeChat Pay {what}: HTTP {answer.status} {answer.code} {answer.data.get('message')}")


def start_wechat_payment(order: Order, *, kind: str, client_ip: str = "", openid: str = "") -> WeChatCheckout:
    """The transaction the shopper should pay now (``kind`` native, h5, or jsapi for the shopper ``openid``), the
    current attempt's when it can be reused. ``PaymentError`` when the order cannot be paid;
    ``ProviderUnavailable`` when WeChat Pay fails.

    The order row stays locked meanwhile, so two visits cannot place two attempts.
    """
    with transaction.atomic():
        lock_order(order)
        check_payable(order)
        latest = order.payments.filter(provider=PaymentProvider.WECHAT).order_by("-attempt").first()
        if latest is not None and latest.status not in ENDED:
            if latest.method_type == kind and latest.amount == order.total:
                answer = wechatpay.create(kind, **_request(order, latest.intent_id, kind, client_ip, openid))
                if answer.ok:
                    return WeChatCheckout(latest, _url(kind, answer))
                if answer.status >= 500 or answer.status in (401, 403, 429):
                    raise _unavailable("order", answer)
            # Not reusable (another trade type, another amount, or refused again): close it before a new one.
            if _close_attempt(latest):
                return WeChatCheckout(latest, "")
        attempt = (latest.attempt + 1) if latest is not None else 1
        number = out_trade_no(order, attempt)
        answer = wechatpay.create(kind, **_request(order, number, kind, client_ip, openid))
        if not answer.ok:
            if answer.code == "ORDERPAID":  # placed and paid before our row was saved (a lost answer)
                payment = _new_payment(order, number, attempt, kind)
                if _apply_if_paid(payment):
                    return WeChatCheckout(payment, "")
            raise _unavailable("order", answer)
        payment = _new_payment(order, number, attempt, kind)
        return WeChatCheckout(payment, _url(kind, answer))


def _new_payment(order: Order, number: str, attempt: int, kind: str) -> Payment:
    return Payment.objects.create(
        order=order,
        provider=PaymentProvider.WECHAT,
        intent_id=number,
        attempt=attempt,
        amount=order.total,
        currency=order.currency,
        method_type=kind,
    )


def _close_attempt(payment: Payment) -> bool:
    """Close an attempt at WeChat Pay and mark it canceled; True when it was paid instead (then applied)."""
    answer = wechatpay.close(payment.intent_id)
    if answer.ok or answer.code in ("ORDER_NOT_EXIST", "ORDER_CLOSED"):
        Payment.objects.filter(pk=payment.pk).exclude(status=Payment.Status.SUCCEEDED).update(
            status=Payment.Status.CANCELED, updated_at=timezone.now()
        )
        return False
    if answer.code == "ORDERPAID" and _apply_if_paid(payment):
        return True
    raise _unavailable("close", answer)


def _apply_if_paid(payment: Payment) -> bool:
    """Query the attempt and apply it when WeChat Pay says it was paid; True then."""
    answer = wechatpay.query(payment.intent_id)
    if not answer.ok:
        if answer.code == "ORDER_NOT_EXIST":
            return False
        raise _unavailable("query", answer)
    return apply_transaction(answer.data) is not None


def _payment_for(number: str) -> Payment | None:
    """Our payment for an ``out_trade_no`` (see ``orders.payments.attempts``)."""
    return payment_for_attempt(PaymentProvider.WECHAT, number, OUT_TRADE_NO)


def apply_transaction(resource: dict[str, Any]) -> Order | None:
    """Apply a WeChat Pay transaction (a notification's decrypted ``resource``, or a query's answer): a ``SUCCESS``
    of our merchant id and one of our AppIDs pays the order through ``apply_intent_succeeded`` (amount and
    currency checked there; an expired or cancelled order is flagged). Returns the order, or None when nothing was
    applied."""
    number = str(resource.get("out_trade_no") or "")
    if not _ours(resource):
        logger.warning("Ignoring WeChat Pay transaction %s of another merchant or app", number)
        return None
    paid = transaction_paid(resource)
    if paid is None:
        return None
    payment = _payment_for(number)
    if payment is None:
        logger.warning("Ignoring WeChat Pay transaction %s: not one of our orders", number)
        return None
    return apply_intent_succeeded(payment, amount=paid.amount, currency=paid.currency, method_type=paid.method_type)


def _ours(resource: dict[str, Any]) -> bool:
    return resource.get("mchid") == settings.WECHATPAY_MCHID and resource.get("appid") in {
        settings.WECHATPAY_APPID,
        oauth_appid(),
    }


def transaction_paid(resource: dict[str, Any]) -> PaidAttempt | None:
    """What a WeChat Pay transaction paid; None unless it is a ``SUCCESS`` of our merchant id and one of our AppIDs."""
    if not _ours(resource) or resource.get("trade_state") != "SUCCESS":
        return None
    amount = resource.get("amount") or {}
    return PaidAttempt(
        number=str(resource.get("out_trade_no") or ""),
        amount=int(amount.get("total") or 0),
        currency=str(amount.get("currency") or ""),
        method_type=METHOD_TYPE,
    )


# --- Reconciliation and closing ---------------------------------------------------------------------


def reconcile_wechat_order(order: Order) -> bool:
    """Query WeChat Pay about the order's open attempts and apply a paid one; True if the order is now paid."""
    for payment in order.payments.filter(provider=PaymentProvider.WECHAT).exclude(status__in=ENDED):
        _apply_if_paid(payment)
    order.refresh_from_db()
    return order.status == OrderStatus.PAID


def _with_open_attempts(*statuses: str):
    return Order.objects.filter(
        status__in=statuses,
        payments__provider=PaymentProvider.WECHAT,
        payments__status__in=[s for s in Payment.Status.values if s not in ENDED],
    ).distinct()


def reconcile_wechat_payments() -> int:
    """Reconcile every order awaiting payment that has an open WeChat Pay attempt (how many became paid), and
    close the open attempts of orders that expired or were cancelled; pending refunds are queried too
    (``reconcile_wechat_refunds``). An order WeChat Pay cannot be asked about
    now is logged and left for the next run."""
    if not wechatpay.wechatpay_enabled():
        return 0
    reconcile_wechat_refunds()
    paid = 0
    for order in _with_open_attempts(OrderStatus.PENDING_PAYMENT):
        try:
            paid += reconcile_wechat_order(order)
        except ProviderUnavailable:
            logger.warning("Could not reconcile order %s with WeChat Pay", order.number, exc_info=True)
    for order in _with_open_attempts(OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        try:
            close_wechat_attempts(order.pk)
        except ProviderUnavailable:
            logger.warning("Could not close the WeChat Pay attempts of order %s", order.number, exc_info=True)
    return paid


def close_wechat_attempts(order_id: int) -> int:
    """Close the open WeChat Pay attempts of an order that can no longer be paid (expired, cancelled), so the
    shopper cannot pay them any more; one paid meanwhile is applied (and flagged, the order being over).
    Returns how many were closed."""
    closed = 0
    order = Order.objects.get(pk=order_id)
    for payment in order.payments.filter(provider=PaymentProvider.WECHAT).exclude(status__in=ENDED):
        with transaction.atomic():
            lock_order(order)
            closed += not _close_attempt(payment)
    return closed


# --- Refunds ----------------------------------------------------------------------------------------


def request_wechat_refund(payment: Payment, refund: Refund) -> str:
    """Ask WeChat Pay for the refund written first by ``refund_order``; our status for its answer (pending for
    ``PROCESSING``). ``PaymentError`` with a clear message when WeChat Pay refuses it, fails it at once or cannot
    be reached (``refund_order`` then marks the refund failed)."""
    try:
        answer = wechatpay.refund(
            out_refund_no=refund.idempotency_key,
            out_trade_no=payment.intent_id,
            amount={"refund": refund.amount, "total": payment.amount, "currency": payment.currency.upper()},
            reason=refund.reason[:REASON_MAX],
            notify_url=wechatpay.notify_url(),
        )
    except ProviderUnavailable as exc:
        logger.warning("WeChat Pay refund %s: %s", refund.idempotency_key, exc)
        raise PaymentError(_("WeChat Pay could not be reached: nothing was refunded; try again later.")) from exc
    if not answer.ok:
        message = str(answer.data.get("message") or answer.code or answer.status)
        raise PaymentError(_("WeChat Pay refused the refund: %(message)s") % {"message": message})
    status = str(answer.data.get("status") or "")
    if REFUND_STATUS.get(status) == Refund.Status.FAILED:
        raise PaymentError(_("WeChat Pay refused the refund: %(message)s") % {"message": status})
    return REFUND_STATUS.get(status, Refund.Status.PENDING)


def apply_wechat_refund(resource: dict[str, Any]) -> Refund | None:
    """Apply what WeChat Pay says of a refund (a ``REFUND.*`` notification's resource, or a query's answer, whose
    status is ``status`` rather than ``refund_status``), once: ``SUCCESS`` completes it (aid-ledger debit, the
    order's status, restock), ``ABNORMAL``/``CLOSED`` fail it and flag the order. An unknown ``out_refund_no`` of a
    payment of ours is a refund made in WeChat's merchant platform: recorded. Returns the refund, or None."""
    if resource.get("mchid", settings.WECHATPAY_MCHID) != settings.WECHATPAY_MCHID:
        logger.warning("Ignoring WeChat Pay refund %s of another merchant", resource.get("out_refund_no"))
        return None
    number = str(resource.get("out_refund_no") or "")
    status = REFUND_STATUS.get(str(resource.get("refund_status") or resource.get("status") or ""))
    if not number or status is None:
        return None  # still processing
    amount = int((resource.get("amount") or {}).get("refund") or 0)
    with transaction.atomic():
        known = Refund.objects.filter(idempotency_key=number, payment__provider=PaymentProvider.WECHAT).first()
        if known is None:
            return _record_platform_refund(resource, number, amount, status)
        order = lock_order(Order(pk=known.order_id))
        refund = Refund.objects.select_for_update().get(pk=known.pk)
        if refund.status == status or refund.status == Refund.Status.SUCCEEDED:
            return refund  # applied already (a replay, a retry, or the query after the notification)
        was = refund.status
        refund.status = status
        refund.save(update_fields=["status", "updated_at"])
        params = {"reference": number, "amount": format_fen(refund.amount)}
        if status == Refund.Status.SUCCEEDED:
            _complete_refund(order, refund)
            if was == Refund.Status.FAILED:  # we gave up on it (WeChat seemed down), yet WeChat made it
                _flag(order, NOTE_REFUND_LATE_SUCCESS, **params)
        else:
            _flag(order, NOTE_REFUND_FAILED, status=resource.get("refund_status") or resource.get("status"), **params)
    return refund


def _record_platform_refund(resource: dict[str, Any], number: str, amount: int, status: str) -> Refund | None:
    """Record a successful refund made in WeChat Pay's merchant platform, of a payment of ours (the order locked),
    its lines chosen as for Stripe's dashboard refunds; one of a payment we do not know is ignored."""
    payment = Payment.objects.filter(
        provider=PaymentProvider.WECHAT, intent_id=str(resource.get("out_trade_no") or "")
    ).first()
    if payment is None or status != Refund.Status.SUCCEEDED or amount <= 0:
        logger.warning("Ignoring WeChat Pay refund %s: not of a payment of ours, or not made", number)
        return None
    order = lock_order(Order(pk=payment.order_id))
    payment.refresh_from_db()
    if payment.status != Payment.Status.SUCCEEDED:  # its payment notification is not applied yet: retried later
        raise EventHeld(f"payment {payment.intent_id} not applied yet")
    if Refund.objects.filter(idempotency_key=number).exists():  # recorded meanwhile (we waited for the lock)
        return Refund.objects.get(idempotency_key=number)
    lines, check = _dashboard_refund_lines(order, payment, amount)
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        lines=lines,
        reason=site_text(REASON_WECHAT_REFUND, reference=number)[:500],
        idempotency_key=number[:64],
        status=Refund.Status.SUCCEEDED,
    )
    if check:
        _flag(order, NOTE_CHOOSE_WECHAT_REFUND_LINES, reference=number, amount=format_fen(amount))
    _complete_refund(order, refund)
    return refund


def reconcile_wechat_refunds(*, older_than: timedelta = QUERY_REFUNDS_AFTER) -> int:
    """Query WeChat Pay about our refunds pending for more than ``older_than`` (a lost notification) and apply
    the answer; one WeChat Pay never received (its request was lost) is failed and its order flagged. Returns how
    many were settled; a refund WeChat Pay cannot be asked about now is left for the next run."""
    settled = 0
    pending = Refund.objects.filter(
        payment__provider=PaymentProvider.WECHAT,
        status=Refund.Status.PENDING,
        created_at__lte=timezone.now() - older_than,
    ).order_by("pk")
    for refund in pending:
        try:
            answer = wechatpay.query_refund(refund.idempotency_key)
        except ProviderUnavailable:
            logger.warning("Could not query WeChat Pay refund %s", refund.idempotency_key, exc_info=True)
            continue
        if answer.status == 404 and answer.code == "RESOURCE_NOT_EXISTS":
            resource = {"out_refund_no": refund.idempotency_key, "status": answer.code}
        elif answer.ok:
            resource = answer.data
        else:
            logger.warning("WeChat Pay refund query %s: HTTP %s %s", refund.idempotency_key, answer.status, answer.code)
            continue
        applied = apply_wechat_refund(resource)
        settled += applied is not None and applied.status != Refund.Status.PENDING
    return settled
