"""Payments applied as a batch: a burst of Stripe's ``payment_intent.succeeded`` events paid in one transaction.

A worker about to apply one stored event first takes up to ``BATCH_SIZE`` stored payment events that nobody is
applying (``FOR UPDATE SKIP LOCKED``, as they arrived) and pays their orders together: one statement per table
for all of them (``mark_many_paid_locked``), one delivery of all their messages after the commit. Their own
tasks then find them processed. In a flash sale's burst this is what lets two worker processes keep up.

Rules:
- Only the plain case is batched: a payment not applied yet, of its order's amount and currency, for an order
  awaiting payment within its reservation, not part of an organisation's bulk order, and one payment per order
  in the batch. Any other event is left to its own task (``process_event``: flags, late payments, expiry, bulk
  orders), as is every event of another type.
- The batch is all or nothing: if it fails (the database, broken stock counts), nothing of it is written and
  every event is applied alone by its own task, where a failure is recorded on the event.
- Locks are taken as everywhere else: events, then orders by primary key, then payments, then stock rows.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from orders.models import Order, OrderStatus, Payment, StripeEvent
from orders.payments.reservation import mark_many_paid_locked
from orders.payments.services import intent_method_type

logger = logging.getLogger(__name__)

BATCH_SIZE = 25
SUCCEEDED = "payment_intent.succeeded"


def _intent(event: StripeEvent) -> dict[str, Any] | None:
    try:
        intent = event.payload["data"]["object"]
    except (KeyError, TypeError):
        return None
    return intent if isinstance(intent, dict) and isinstance(intent.get("id"), str) else None


def _amount(intent: dict[str, Any]) -> int:
    received = intent.get("amount_received")
    return int(received if received is not None else intent.get("amount", 0) or 0)


def apply_payment_batch(limit: int = BATCH_SIZE) -> set[str]:
    """Pay together the orders of up to ``limit`` stored payment events nobody is applying; the ids of the events
    applied (none if there were none to batch, or if the batch failed: their own tasks apply them alone)."""
    try:
        with transaction.atomic():
            return _apply(limit)
    except Exception:  # rolled back whole: each event's own task applies it, and records what fails
        logger.warning("A batch of payments failed; each is applied alone", exc_info=True)
        return set()


def _apply(limit: int) -> set[str]:
    events = list(
        StripeEvent.objects.select_for_update(skip_locked=True)
        .filter(type=SUCCEEDED, processed_at__isnull=True, error="")
        .order_by("received_at", "pk")
        .only("pk", "payload")[:limit]
    )
    intents = {event.pk: intent for event in events if (intent := _intent(event)) is not None}
    if len(intents) < 2:
        return set()  # nothing to batch: the event's own task applies it
    by_intent = {
        payment.intent_id: payment
        for payment in Payment.objects.filter(intent_id__in=[intent["id"] for intent in intents.values()])
    }
    order_ids = sorted({payment.order_id for payment in by_intent.values()})
    orders = {order.pk: order for order in Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk")}
    payments = {
        payment.intent_id: payment
        for payment in Payment.objects.select_for_update()
        .filter(pk__in=[p.pk for p in by_intent.values()])
        .order_by("pk")
    }
    now = timezone.now()
    seen: dict[int, int] = {}
    for intent in intents.values():
        payment = payments.get(intent["id"])
        if payment is not None:
            seen[payment.order_id] = seen.get(payment.order_id, 0) + 1
    batch: list[tuple[str, dict[str, Any], Payment, Order]] = []
    for event_id, intent in intents.items():
        payment = payments.get(intent["id"])
        order = orders.get(payment.order_id) if payment is not None else None
        if (
            order is None
            or seen[order.pk] > 1
            or payment.status == Payment.Status.SUCCEEDED
            or _amount(intent) != order.total
            or str(intent.get("currency", "")).lower() != order.currency.lower()
            or order.status != OrderStatus.PENDING_PAYMENT
            or order.expires_at <= now
            or order.bulk_order_id is not None
        ):
            continue  # applied alone by its own task
        batch.append((event_id, intent, payment, order))
    if len(batch) < 2:
        return set()
    by_method: dict[str, list[int]] = {}
    for _event_id, intent, payment, _order in batch:
        by_method.setdefault((intent_method_type(intent) or payment.method_type)[:32], []).append(payment.pk)
    for method_type, pks in by_method.items():
        Payment.objects.filter(pk__in=pks).update(
            status=Payment.Status.SUCCEEDED, succeeded_at=now, method_type=method_type, updated_at=now
        )
    mark_many_paid_locked(
        [order for _e, _i, _p, order in batch],
        references={order.pk: payment.intent_id for _e, _i, payment, order in batch},
        paid_at=now,
    )
    applied = {event_id for event_id, _i, _p, _o in batch}
    StripeEvent.objects.filter(pk__in=applied).update(processed_at=now, error="")
    return applied
