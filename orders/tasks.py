"""The orders' background work: payment events, expiry, reconciliation, counter digests, certificates.

Thin wrappers over services; the registered names are those the tasks had under ``worker``, so
queued messages and beat schedules survive the move. Idempotent tasks ack late.
"""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from orders import notifications
from orders.aid.services import check_certificates as check_certificates_now
from orders.payments.reservation import expire_overdue_orders as expire_now
from orders.payments.services import EventProcessingError, process_event
from orders.payments.services import reconcile_payments as reconcile_now
from worker.tasks import BACKOFF, IDEMPOTENT


@shared_task(
    name="worker.process_stripe_event",
    autoretry_for=(EventProcessingError, DatabaseError),
    max_retries=8,
    **IDEMPOTENT,
    **BACKOFF,
)
def process_stripe_event(event_id: str) -> bool:
    """Apply a stored Stripe event (a processed one is skipped); retried with backoff, recorded if it gives up."""
    return process_event(event_id)


@shared_task(name="worker.expire_overdue_orders", **IDEMPOTENT)
def expire_overdue_orders() -> int:
    """Expire unpaid orders past their reservation and release their stock."""
    return expire_now()


@shared_task(name="worker.reconcile_payments", **IDEMPOTENT)
def reconcile_payments() -> int:
    """Ask Stripe about pending orders with an intent and apply what it says."""
    return reconcile_now()


@shared_task(name="worker.send_counter_digests", **IDEMPOTENT)
def send_counter_digests() -> int:
    """Each counter's daily digest, once a day, from its opening time."""
    return notifications.send_due_counter_digests(timezone.localtime())


@shared_task(name="worker.check_certificates", **IDEMPOTENT)
def check_certificates() -> int:
    """Warn operators once about each expired aid certificate (merchants' and products')."""
    return check_certificates_now()
