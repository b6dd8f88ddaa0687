"""Payments applied as a batch: a burst of payment notifications (Stripe's ``payment_intent.succeeded``, WeChat Pay's
``TRANSACTION.SUCCESS``, Alipay's paid trades) paid in one transaction.

A worker about to apply one stored event first takes up to ``BATCH_SIZE`` stored payment events of the same store
(``StripeEvent``, or ``ProviderEvent`` for the other providers) that nobody is applying (``FOR UPDATE SKIP
LOCKED``, as they arrived) and pays their orders together: one statement per table for all of them
(``mark_many_paid_locked``), one delivery of all their messages after the commit. Their own tasks then find them
processed. In a flash sale's burst this is what lets two worker processes keep up.

Rules:
- Only the plain case is batched: a payment row we recorded, not applied yet, of its order's amount and currency,
  for an order awaiting payment within its reservation, not part of an organisation's bulk order, and one
  payment per order in the batch. Any other event is left to its own task (``process_event``,
  ``process_provider_event``: flags, late payments, expiry, bulk orders, rows to create), as is every event of
  another type.
- The batch is all or nothing: if it fails (the database, broken stock counts), nothing of it is written and
  every event is applied alone by its own task, where a failure is recorded on the event.
- Locks are taken as everywhere else: events, then orders by primary key, then payments, then stock rows; an
  event, order or payment locked by someone else is skipped, not waited for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from orders.models import Order, OrderStatus, Payment, PaymentProvider, ProviderEvent, StripeEvent
from orders.payments.alipay_services import notification_paid
from orders.payments.attempts import PaidAttempt
from orders.payments.reservation import mark_many_paid_locked
from orders.payments.services import intent_paid
from orders.payments.wechat_services import transaction_paid

logger = logging.getLogger(__name__)

BATCH_SIZE = 25


def _stripe_paid(event: StripeEvent) -> PaidAttempt | None:
    try:
        intent = event.payload["data"]["object"]
    except (KeyError, TypeError):
        return None
    return intent_paid(intent) if isinstance(intent, dict) and isinstance(intent.get("id"), str) else None


def _wechat_paid(event: ProviderEvent) -> PaidAttempt | None:
    resource = event.payload.get("resource") if isinstance(event.payload, dict) else None
    return transaction_paid(resource) if isinstance(resource, dict) else None


def _alipay_paid(event: ProviderEvent) -> PaidAttempt | None:
    return notification_paid(event.payload) if isinstance(event.payload, dict) else None


# (provider, event type) of the other providers' payment notifications → what each says was paid.
PROVIDER_PAYMENTS: dict[tuple[str, str], Callable[[ProviderEvent], PaidAttempt | None]] = {
    (PaymentProvider.WECHAT, "TRANSACTION.SUCCESS"): _wechat_paid,
    (PaymentProvider.ALIPAY, "TRADE_SUCCESS"): _alipay_paid,
    (PaymentProvider.ALIPAY, "TRADE_FINISHED"): _alipay_paid,
}


def apply_payment_batch(limit: int = BATCH_SIZE) -> set[str]:
    """Pay together the orders of up to ``limit`` stored Stripe payment events nobody is applying; the ids of the
    events applied (none if there were not two to batch, or if the batch failed: their own tasks apply them)."""
    waiting = StripeEvent.objects.filter(type="payment_intent.succeeded")
    return _guarded(lambda: _apply(waiting, lambda event: (_stripe_paid(event), None), limit))


def apply_provider_payment_batch(limit: int = BATCH_SIZE) -> set[int]:
    """``apply_payment_batch`` for WeChat Pay's and Alipay's stored payment notifications."""
    kinds = Q()
    for provider, kind in PROVIDER_PAYMENTS:
        kinds |= Q(provider=provider, type=kind)

    def paid(event: ProviderEvent) -> tuple[PaidAttempt | None, str]:
        return PROVIDER_PAYMENTS[(event.provider, event.type)](event), event.provider

    return _guarded(lambda: _apply(ProviderEvent.objects.filter(kinds), paid, limit))


def _guarded(apply: Callable[[], set]) -> set:
    try:
        with transaction.atomic():
            return apply()
    except Exception:  # rolled back whole: each event's own task applies it, and records what fails
        logger.warning("A batch of payments failed; each is applied alone", exc_info=True)
        return set()


def _apply(
    waiting: models.QuerySet,
    paid: Callable[[Any], tuple[PaidAttempt | None, str | None]],
    limit: int,
) -> set:
    events = list(
        waiting.select_for_update(skip_locked=True)
        .filter(processed_at__isnull=True, error="")
        .order_by("received_at", "pk")[:limit]
    )
    notices = {}  # event pk → (what was paid, the provider its payment row must be of, or None for Stripe's)
    for event in events:
        attempt, provider = paid(event)
        if attempt is not None and attempt.number:
            notices[event.pk] = (attempt, provider)
    if len(notices) < 2:
        return set()  # nothing to batch: the event's own task applies it
    numbers = [attempt.number for attempt, _provider in notices.values()]
    order_ids = sorted(set(Payment.objects.filter(intent_id__in=numbers).values_list("order_id", flat=True)))
    # An order or payment someone else holds (a shopper cancelling, a late webhook) is left to its own task: the
    # batch never waits for one, nor makes the others wait with it.
    orders = {
        order.pk: order
        for order in Order.objects.select_for_update(skip_locked=True).filter(pk__in=order_ids).order_by("pk")
    }
    payments = {
        payment.intent_id: payment
        for payment in Payment.objects.select_for_update(skip_locked=True).filter(intent_id__in=numbers).order_by("pk")
    }
    paying: dict[int, int] = {}  # order pk → how many of the batch's payments are for it
    for attempt, _provider in notices.values():
        if attempt.number in payments:
            order_id = payments[attempt.number].order_id
            paying[order_id] = paying.get(order_id, 0) + 1
    now = timezone.now()
    batch: list[tuple[Any, PaidAttempt, Payment, Order]] = []
    for event_pk, (attempt, provider) in notices.items():
        payment = payments.get(attempt.number)
        order = orders.get(payment.order_id) if payment is not None else None
        if (
            order is None
            or (provider is not None and payment.provider != provider)
            or paying[order.pk] > 1
            or payment.status == Payment.Status.SUCCEEDED
            or attempt.amount != order.total
            or attempt.currency.lower() != order.currency.lower()
            or order.status != OrderStatus.PENDING_PAYMENT
            or order.expires_at <= now
            or order.bulk_order_id is not None
        ):
            continue  # applied alone by its own task
        batch.append((event_pk, attempt, payment, order))
    if len(batch) < 2:
        return set()
    by_method: dict[str, list[int]] = {}
    for _event_pk, attempt, payment, _order in batch:
        by_method.setdefault((attempt.method_type or payment.method_type)[:32], []).append(payment.pk)
    for method_type, pks in by_method.items():
        Payment.objects.filter(pk__in=pks).update(
            status=Payment.Status.SUCCEEDED, succeeded_at=now, method_type=method_type, updated_at=now
        )
    mark_many_paid_locked(
        [order for _e, _a, _p, order in batch],
        references={order.pk: payment.intent_id for _e, _a, payment, order in batch},
        paid_at=now,
    )
    applied = {event_pk for event_pk, _a, _p, _o in batch}
    waiting.model.objects.filter(pk__in=applied).update(processed_at=now, error="")
    return applied
