"""Stored notifications of the providers other than Stripe (``ProviderEvent``): recorded first, applied by the
worker after the commit, swept when their task was lost — the same guarantees as Stripe's events.

Rules: an event is stored by (provider, its id) before anything else, so a replay does nothing; it is applied
under its row lock, so concurrent deliveries or workers apply it once; a failure is recorded on the event and
raised as ``EventProcessingError`` for the task to retry; the sweeper applies what is left, oldest first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from orders.models import PaymentProvider, ProviderEvent
from orders.payments.alipay_services import apply_notification as apply_alipay_notification
from orders.payments.services import SWEEP_AFTER_SECONDS, EventProcessingError
from orders.payments.wechat_services import apply_transaction, apply_wechat_refund

logger = logging.getLogger(__name__)


def _wechat_transaction(payload: dict[str, Any]) -> None:
    apply_transaction(payload.get("resource") or {})


def _wechat_refund(payload: dict[str, Any]) -> None:
    apply_wechat_refund(payload.get("resource") or {})


# (provider, event type) → what applies it; other types are stored and marked processed.
HANDLERS: dict[tuple[str, str], Callable[[dict[str, Any]], None]] = {
    (PaymentProvider.WECHAT, "TRANSACTION.SUCCESS"): _wechat_transaction,
    (PaymentProvider.ALIPAY, "TRADE_SUCCESS"): apply_alipay_notification,
    (PaymentProvider.ALIPAY, "TRADE_FINISHED"): apply_alipay_notification,
    (PaymentProvider.WECHAT, "REFUND.SUCCESS"): _wechat_refund,
    (PaymentProvider.WECHAT, "REFUND.ABNORMAL"): _wechat_refund,
    (PaymentProvider.WECHAT, "REFUND.CLOSED"): _wechat_refund,
}


def record_provider_event(
    provider: str, event_id: str, type: str, payload: dict[str, Any]
) -> tuple[ProviderEvent, bool]:
    """Store a verified notification by its id; ``created`` is False for a replay (which is then ignored)."""
    return ProviderEvent.objects.get_or_create(
        provider=provider, event_id=event_id[:255], defaults={"type": type[:100], "payload": payload}
    )


def provider_event_waiting(pk: int) -> bool:
    """Whether a stored event is still to be applied (one read, no lock: ``process_provider_event`` decides)."""
    return ProviderEvent.objects.filter(pk=pk, processed_at__isnull=True).exists()


def process_provider_event(pk: int) -> bool:
    """Apply a stored event once (False when already processed or unknown)."""
    event = None
    try:
        with transaction.atomic():
            event = ProviderEvent.objects.select_for_update().filter(pk=pk).first()
            if event is None or event.processed_at is not None:
                return False
            handler = HANDLERS.get((event.provider, event.type))
            if handler is not None:
                handler(event.payload)
            event.processed_at = timezone.now()
            event.error = ""
            event.save(update_fields=["processed_at", "error"])
    except Exception as exc:
        if event is None:  # the event could not even be read (the database): the task retries
            raise
        logger.exception("%s event %s failed", event.provider, event.event_id)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        ProviderEvent.objects.filter(pk=pk, processed_at__isnull=True).update(error=error)
        raise EventProcessingError(error) from exc
    return True


def process_pending_provider_events(*, older_than: float = SWEEP_AFTER_SECONDS) -> int:
    """Apply every stored, unprocessed event received more than ``older_than`` seconds ago, oldest first; returns
    how many were applied. Safe alongside the events' own tasks (the row lock)."""
    due = ProviderEvent.objects.filter(
        processed_at__isnull=True, received_at__lte=timezone.now() - timedelta(seconds=older_than)
    ).order_by("received_at", "pk")
    applied = 0
    for pk in due.values_list("pk", flat=True):
        try:
            applied += process_provider_event(pk)
        except EventProcessingError:
            continue  # recorded on the event; tried again on the next sweep
    return applied
