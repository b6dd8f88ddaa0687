"""Split settlement through WeChat Pay profit sharing (分账, API v3): each merchant's part of a WeChat Pay payment
is paid by WeChat Pay to the merchant's own merchant number, the platform's remainder unfrozen to the platform.

Rules (see docs/payments.md, "Split settlement"):
- Only when ``PROFIT_SHARING_ENABLED`` and WeChat Pay is configured; otherwise every function here is a no-op.
- A payment is shared once its refund window has passed (``PROFIT_SHARING_AFTER_DAYS`` after it succeeded), no
  refund of its order is pending, and it is the payment that paid the order (a late or second payment is refunded,
  never shared). Each merchant gets its lines' totals less the lines refunded, less the platform fee of the aid
  settings (the same basis points as the statements), which stays unsplit with the shipping fee.
- ``out_order_no`` is ``<out_trade_no>-S<merchant id>`` (the remainder ``<out_trade_no>-U``): WeChat Pay treats
  the same number again as the same request, so a retry never pays twice. Merchant shares are requested with
  ``unfreeze_unsplit`` false (the next merchant's share would be refused otherwise); the remainder is unfrozen
  (``/v3/profitsharing/orders/unfreeze``) only once every merchant share of the payment is finished.
- Workers claim due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (as the outbox does) and push their next try
  out by a lease before calling WeChat Pay, so two workers never request one share at the same time; a worker
  that dies leaves the row due again after the lease, and the repeated request is answered as the first.
- WeChat Pay down, a 5xx or ``FREQUENCY_LIMITED``: tried again later with backoff. A refusal (4xx) fails the
  share with WeChat's message and flags the order for an operator. An accepted request (``PROCESSING``) is
  queried until its receiver's result is ``SUCCESS`` (finished) or ``CLOSED`` (failed, flagged).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Merchant
from core.money import format_fen
from core.scopes import User
from core.text import site_text
from orders.aid.services import paying_payment
from orders.aid.settings import aid_settings
from orders.aid.statements import platform_fee
from orders.models import Order, OrderStatus, Payment, PaymentProvider, ProfitShare, Refund
from orders.payments import wechatpay
from orders.payments.errors import ProviderUnavailable
from orders.payments.services import _flag
from orders.state import lock_order

logger = logging.getLogger(__name__)

# Orders whose paying payment is shared: paid and not (wholly) given back.
SHAREABLE = (
    OrderStatus.PAID,
    OrderStatus.FULFILLING,
    OrderStatus.READY_FOR_PICKUP,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
    OrderStatus.PARTIALLY_REFUNDED,
)
BATCH = 20
LEASE = timedelta(minutes=5)  # a claimed row is not due again for this long (the call has a 13 s timeout)
QUERY_AFTER = timedelta(minutes=2)  # WeChat Pay usually finishes a share within a few minutes
BACKOFF_SECONDS, BACKOFF_MAX_SECONDS = 60, 6 * 3600
DESCRIPTION_MAX = 80
RETRYABLE_CODES = {"SYSTEM_ERROR", "FREQUENCY_LIMITED"}

NOTE_SHARE_FAILED = gettext_lazy(
    "WeChat Pay profit sharing %(reference)s of %(amount)s failed: %(error)s. The money stays frozen at WeChat"
    " Pay: fix the cause, then try it again."
)
NOTE_SHARE_MISMATCH = gettext_lazy(
    "Profit sharing of payment %(reference)s was not started: the merchants' parts (%(shares)s) exceed what is"
    " left of the payment (%(left)s). Check the order's refunds."
)
DESCRIPTION = gettext_lazy("Dexiu Market order %(number)s")
UNFREEZE_DESCRIPTION = gettext_lazy("Dexiu Market order %(number)s: the platform's part")


def profit_sharing_enabled() -> bool:
    """Whether shares are made and requested: ``PROFIT_SHARING_ENABLED`` and WeChat Pay configured."""
    return bool(settings.PROFIT_SHARING_ENABLED) and wechatpay.wechatpay_enabled()


def out_order_no(payment: Payment, merchant_id: int | None) -> str:
    """Our profit-sharing number: ``DX20261130-000123-W1-S7`` (merchant 7), ``…-W1-U`` (the remainder)."""
    return f"{payment.intent_id}-S{merchant_id}" if merchant_id is not None else f"{payment.intent_id}-U"


def settle_info() -> dict[str, Any]:
    """What a WeChat Pay order request must carry for its money to be shareable: ``settle_info.profit_sharing``
    true while profit sharing is enabled (WeChat Pay then freezes the money until it is shared or unfrozen);
    nothing otherwise. A transaction placed without it cannot be shared (非分账订单不支持分账)."""
    return {"settle_info": {"profit_sharing": True}} if profit_sharing_enabled() else {}


def add_receiver(merchant: Merchant, *, legal_name: str) -> None:
    """Add the merchant's WeChat Pay merchant number as a receiver (``/v3/profitsharing/receivers/add``, relation
    ``SUPPLIER``); ``legal_name`` is the full registered name of that merchant number (商户全称), sent encrypted.
    Adding one already added is harmless. ``ProviderUnavailable`` when WeChat Pay fails or refuses it."""
    if not merchant.wechatpay_merchant_id:
        raise ValueError("the merchant has no WeChat Pay merchant number")
    answer = wechatpay.call(
        "profitsharing_add_receiver",
        account_type="MERCHANT_ID",
        account=merchant.wechatpay_merchant_id,
        relation_type="SUPPLIER",
        name=legal_name,
    )
    if not answer.ok:
        raise ProviderUnavailable(
            f"WeChat Pay receivers/add {merchant.wechatpay_merchant_id}: HTTP {answer.status} {answer.code}"
            f" {answer.data.get('message', '')}"
        )


# --- Making the shares ----------------------------------------------------------------------------------


def merchant_parts(order: Order) -> dict[int, int]:
    """Each merchant's part of the order in fen: what was paid for its lines (their totals less any coupon
    discount) less what was refunded of them (succeeded refunds), less the platform fee on that; merchants left
    with nothing are left out."""
    refunded: dict[int, int] = {}
    for refund in order.refunds.filter(status=Refund.Status.SUCCEEDED):
        for item in refund.lines:
            refunded[item["line"]] = refunded.get(item["line"], 0) + item["quantity"]
    goods: dict[int, int] = {}
    for line in order.lines.all():
        gone = min(refunded.get(line.pk, 0), line.quantity)
        goods[line.merchant_id] = goods.get(line.merchant_id, 0) + line.paid_total - line.paid_share(gone)
    basis_points = aid_settings()["platform_fee_basis_points"]
    parts = {merchant: amount - platform_fee(amount, basis_points) for merchant, amount in goods.items()}
    return {merchant: amount for merchant, amount in parts.items() if amount > 0}


def _due_payments(now: datetime):
    cutoff = now - timedelta(days=settings.PROFIT_SHARING_AFTER_DAYS)
    return (
        Payment.objects.filter(
            provider=PaymentProvider.WECHAT,
            status=Payment.Status.SUCCEEDED,
            succeeded_at__lte=cutoff,
            order__status__in=SHAREABLE,
        )
        .exclude(Exists(ProfitShare.objects.filter(payment=OuterRef("pk"))))
        .exclude(Exists(Refund.objects.filter(order=OuterRef("order"), status=Refund.Status.PENDING)))
        .order_by("succeeded_at", "pk")
    )


def due_profit_shares(*, now: datetime | None = None) -> list[ProfitShare]:
    """Write the shares of every WeChat Pay payment whose refund window has passed (pending, to be requested):
    one per merchant with a part, and the platform's remainder when there is one. Returns the shares written.

    Each payment is handled under its order's lock, so a refund cannot slip in between the amounts and the rows,
    and two workers cannot both write them (the second finds them written).
    """
    if not profit_sharing_enabled():
        return []
    now = now or timezone.now()
    made: list[ProfitShare] = []
    for payment in _due_payments(now):
        with transaction.atomic():
            order = lock_order(Order(pk=payment.order_id))
            if order.status not in SHAREABLE or payment.profit_shares.exists():
                continue
            if order.refunds.filter(status=Refund.Status.PENDING).exists():
                continue
            paying = paying_payment(order)
            if paying is None or paying.pk != payment.pk:
                continue
            made.extend(_make_shares(order, payment))
    return made


def _make_shares(order: Order, payment: Payment) -> list[ProfitShare]:
    parts = merchant_parts(order)
    refunded = payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0
    left = payment.amount - refunded
    if sum(parts.values()) > left:
        _flag(
            order,
            NOTE_SHARE_MISMATCH,
            reference=payment.intent_id,
            shares=format_fen(sum(parts.values())),
            left=format_fen(left),
        )
        return []
    accounts = dict(Merchant.objects.filter(pk__in=parts).values_list("pk", "wechatpay_merchant_id"))
    shares = [
        ProfitShare(
            order=order,
            payment=payment,
            merchant_id=merchant,
            account=accounts.get(merchant) or "",
            amount=amount,
            out_order_no=out_order_no(payment, merchant),
        )
        for merchant, amount in sorted(parts.items())
    ]
    remainder = left - sum(parts.values())
    if remainder > 0:
        shares.append(
            ProfitShare(
                order=order,
                payment=payment,
                merchant=None,
                account=settings.WECHATPAY_MCHID,
                amount=remainder,
                out_order_no=out_order_no(payment, None),
            )
        )
    return ProfitShare.objects.bulk_create(shares)


# --- Claiming and requesting -------------------------------------------------------------------------------


def _unfinished_merchant_shares() -> Exists:
    return Exists(
        ProfitShare.objects.filter(payment=OuterRef("payment"), merchant__isnull=False).exclude(
            state=ProfitShare.State.FINISHED
        )
    )


def claim_due_shares(
    *, limit: int = BATCH, now: datetime | None = None, exclude: set[int] | frozenset[int] = frozenset()
) -> list[ProfitShare]:
    """Claim up to ``limit`` shares due now (pending ones to request, requested ones to query), oldest first: locked
    with SKIP LOCKED and re-checked, then leased (next try pushed out, one attempt more) in the same transaction,
    so another worker neither waits for them nor takes them. A remainder is due only once every merchant share of
    its payment is finished."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            ProfitShare.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state__in=[ProfitShare.State.PENDING, ProfitShare.State.REQUESTED], next_try_at__lte=now)
            .filter(Q(merchant__isnull=False) | ~_unfinished_merchant_shares())
            .exclude(pk__in=exclude)
            .select_related("payment", "order")
            .order_by("next_try_at", "pk")[:limit]
        )
        if claimed:
            ProfitShare.objects.filter(pk__in=[share.pk for share in claimed]).update(
                next_try_at=now + LEASE, attempts=F("attempts") + 1, updated_at=now
            )
    for share in claimed:
        share.next_try_at = now + LEASE
        share.attempts += 1
    return claimed


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def _save(share: ProfitShare, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(share, name, value)
    share.save(update_fields=[*fields, "updated_at"])


def _retry_later(share: ProfitShare, error: str) -> None:
    logger.warning("Profit sharing %s: %s; trying again later", share.out_order_no, error)
    _save(share, next_try_at=timezone.now() + _backoff(share.attempts), last_error=error[:500])


def _fail(share: ProfitShare, error: str) -> None:
    """Fail the share with WeChat Pay's message and flag its order for an operator."""
    with transaction.atomic():
        order = lock_order(Order(pk=share.order_id))
        _save(share, state=ProfitShare.State.FAILED, last_error=error[:500], finished_at=timezone.now())
        _flag(order, NOTE_SHARE_FAILED, reference=share.out_order_no, amount=format_fen(share.amount), error=error)


def _transaction_id(share: ProfitShare) -> str:
    """WeChat Pay's transaction id of the share's payment (asked once, kept on every share of the payment)."""
    if share.transaction_id:
        return share.transaction_id
    answer = wechatpay.query(share.payment.intent_id)
    number = str(answer.data.get("transaction_id") or "") if answer.ok else ""
    if not number:
        raise ProviderUnavailable(f"WeChat Pay query {share.payment.intent_id}: HTTP {answer.status} {answer.code}")
    ProfitShare.objects.filter(payment_id=share.payment_id).update(transaction_id=number)
    share.transaction_id = number
    return number


def _description(share: ProfitShare) -> str:
    template = DESCRIPTION if share.merchant_id is not None else UNFREEZE_DESCRIPTION
    return site_text(template, number=share.order.number)[:DESCRIPTION_MAX]


def _ask(share: ProfitShare) -> wechatpay.ApiAnswer:
    """The request (a merchant share) or the unfreeze (the remainder); the same every time for one share."""
    transaction_id = _transaction_id(share)
    if share.merchant_id is None:
        return wechatpay.call(
            "profitsharing_unfreeze",
            transaction_id=transaction_id,
            out_order_no=share.out_order_no,
            description=_description(share),
        )
    receiver = {"type": "MERCHANT_ID", "account": share.account, "amount": share.amount}
    return wechatpay.call(
        "profitsharing_order",
        transaction_id=transaction_id,
        out_order_no=share.out_order_no,
        receivers=[{**receiver, "description": _description(share)}],
        unfreeze_unsplit=False,
    )


def _apply(share: ProfitShare, data: dict[str, Any]) -> None:
    """Apply WeChat Pay's answer about the share (a request's, or a query's): its receiver's result decides."""
    receivers = [r for r in data.get("receivers") or [] if isinstance(r, dict)]
    mine = [r for r in receivers if r.get("account") == share.account] or receivers[:1]
    result = str(mine[0].get("result") or "") if mine else ""
    fields: dict[str, Any] = {"order_id_at_provider": str(data.get("order_id") or "")[:64], "result": result}
    if share.requested_at is None:
        fields["requested_at"] = timezone.now()
    if result == "SUCCESS":
        _save(share, state=ProfitShare.State.FINISHED, finished_at=timezone.now(), last_error="", **fields)
    elif result == "CLOSED":
        _save(share, **fields)
        _fail(share, str(mine[0].get("fail_reason") or "CLOSED"))
    else:  # PENDING: WeChat Pay is still at it (the order PROCESSING); asked again shortly
        _save(share, state=ProfitShare.State.REQUESTED, next_try_at=timezone.now() + QUERY_AFTER, **fields)


def request_profit_share(share: ProfitShare) -> str:
    """Ask WeChat Pay for a claimed pending share and record the answer; returns the share's state.

    Idempotent by ``out_order_no``; WeChat Pay unreachable, 5xx or rate-limited: pending, tried again later with
    backoff (nothing lost); refused: failed with WeChat's message, the order flagged.
    """
    if share.merchant_id is not None and not share.account:
        _fail(share, _("the merchant has no WeChat Pay merchant number"))
        return share.state
    try:
        answer = _ask(share)
    except ProviderUnavailable as exc:
        _retry_later(share, str(exc))
        return share.state
    if answer.ok:
        _apply(share, answer.data)
    elif answer.status >= 500 or answer.status == 429 or answer.code in RETRYABLE_CODES:
        _retry_later(share, f"HTTP {answer.status} {answer.code} {answer.data.get('message', '')}")
    else:
        _fail(share, f"{answer.code}: {answer.data.get('message', '')}" if answer.code else f"HTTP {answer.status}")
    return share.state


def query_profit_share(share: ProfitShare) -> str:
    """Ask WeChat Pay how a requested share (or unfreeze) went and record it; returns the share's state. One
    WeChat Pay never received (404 ``RESOURCE_NOT_EXISTS``, its request lost) is requested again."""
    try:
        answer = wechatpay.call(
            "profitsharing_order_query", transaction_id=_transaction_id(share), out_order_no=share.out_order_no
        )
    except ProviderUnavailable as exc:
        _retry_later(share, str(exc))
        return share.state
    if answer.ok:
        _apply(share, answer.data)
    elif answer.status == 404 and answer.code == "RESOURCE_NOT_EXISTS":
        return request_profit_share(share)
    else:
        _retry_later(share, f"HTTP {answer.status} {answer.code} {answer.data.get('message', '')}")
    return share.state


def process_due_shares(*, now: datetime | None = None) -> int:
    """Request or query every share due now, each at most once per pass, batch by batch; returns how many were
    handled."""
    seen: set[int] = set()
    while claimed := claim_due_shares(now=now, exclude=seen):
        for share in claimed:
            seen.add(share.pk)
            if share.state == ProfitShare.State.REQUESTED:
                query_profit_share(share)
            else:
                request_profit_share(share)
    return len(seen)


def share_profits() -> int:
    """The periodic pass: write the shares now due, then request or query every share due. A no-op (0) when
    profit sharing or WeChat Pay is not configured."""
    if not profit_sharing_enabled():
        return 0
    due_profit_shares()
    return process_due_shares()


def retry_profit_share(share: ProfitShare, *, actor: User | None) -> bool:
    """An operator asks again for a failed share (after adding the merchant's number, or raising WeChat Pay's
    ratio): pending now, with the merchant's current number. False when it was not failed."""
    with transaction.atomic():
        share = ProfitShare.objects.select_for_update(of=("self",)).select_related("merchant").get(pk=share.pk)
        if share.state != ProfitShare.State.FAILED:
            return False
        account = share.merchant.wechatpay_merchant_id or "" if share.merchant is not None else share.account
        _save(
            share,
            state=ProfitShare.State.PENDING,
            account=account,
            next_try_at=timezone.now(),
            finished_at=None,
            retried_by=actor,
        )
    return True
