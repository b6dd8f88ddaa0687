"""The orders' background work: payment events, expiry, reconciliation, counter digests, certificates.

Thin wrappers over services; the registered names are those the tasks had under ``worker``, so
queued messages and beat schedules survive the move. Idempotent tasks ack late.
"""

import logging

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from orders import notifications
from orders.aid.services import check_certificates as check_certificates_now
from orders.institutions.approval import expire_overdue_bulk_orders as expire_bulk_now
from orders.institutions.placement import place as place_bulk_now
from orders.institutions.placement import resume_placements
from orders.payments.batch import apply_payment_batch, apply_provider_payment_batch
from orders.payments.profit_sharing import share_profits as share_profits_now
from orders.payments.provider_events import process_pending_provider_events, provider_event_waiting
from orders.payments.provider_events import process_provider_event as process_provider_event_now
from orders.payments.reservation import expire_overdue_orders as expire_now
from orders.payments.services import (
    EventProcessingError,
    apply_held_events,
    event_waiting,
    process_event,
    process_pending_events,
)
from orders.payments.services import reconcile_payments as reconcile_now
from orders.presales.services import refund_pending_presales as refund_pending_presales_now
from worker.outbox import delivered_here
from worker.tasks import AFTER_DELIVERIES, BACKOFF, IDEMPOTENT

logger = logging.getLogger(__name__)


@shared_task(
    name="worker.process_stripe_event",
    autoretry_for=(EventProcessingError, DatabaseError),
    max_retries=8,
    # Behind the tasks of default priority (0 comes first on Redis): in a burst of payments, the
    # notifications of an order already paid are delivered before the next payments are applied.
    priority=AFTER_DELIVERIES,
    **IDEMPOTENT,
    **BACKOFF,
)
def process_stripe_event(event_id: str) -> bool:
    """Apply a stored Stripe event (a processed one is skipped); retried with backoff, recorded if it gives up.
    A payment is applied with the others waiting, as a batch (``orders.payments.batch``), when it can be.

    The messages of a payment it applies are delivered by this task after the commit (``delivered_here``): the
    counter's and the shopper's text first, then the e-mails, before the next payment is taken."""
    if not event_waiting(event_id):  # applied meanwhile (in a burst, most often by another task's batch)
        return False
    with delivered_here():
        applied = apply_payment_batch()  # this event and others of a burst, paid together when they can be
        if applied:
            apply_held_events()
        return event_id in applied or process_event(event_id)


def publish_stripe_event(event_id: str) -> bool:
    """Queue a stored event's processing; a broker that is down is logged, never raised (the sweeper applies it)."""
    try:
        process_stripe_event.delay(event_id)
    except Exception:  # the event row is stored: sweep_stripe_events picks it up
        logger.warning("Could not queue Stripe event %s; the sweeper will apply it", event_id, exc_info=True)
        return False
    return True


@shared_task(name="worker.sweep_stripe_events", **IDEMPOTENT)
def sweep_stripe_events() -> int:
    """Apply every stored Stripe event still unprocessed a few seconds after it arrived, in Stripe's order."""
    return process_pending_events()


@shared_task(
    name="worker.process_provider_event",
    autoretry_for=(EventProcessingError, DatabaseError),
    max_retries=8,
    priority=AFTER_DELIVERIES,
    **IDEMPOTENT,
    **BACKOFF,
)
def process_provider_event(event_pk: int) -> bool:
    """Apply a stored notification of WeChat Pay (or another provider but Stripe), once; retried with backoff.
    A payment is applied with the others waiting, as a batch, when it can be; its messages are delivered by this
    task after the commit, as for Stripe's events."""
    if not provider_event_waiting(event_pk):  # applied meanwhile (in a burst, most often by another's batch)
        return False
    with delivered_here():
        applied = apply_provider_payment_batch()  # this payment and others of a burst, paid together when they can be
        return event_pk in applied or process_provider_event_now(event_pk)


def publish_provider_event(event_pk: int) -> bool:
    """Queue a stored notification's processing; a broker that is down is logged, never raised (the sweeper)."""
    try:
        process_provider_event.delay(event_pk)
    except Exception:  # the event row is stored: sweep_provider_events picks it up
        logger.warning("Could not queue provider event %s; the sweeper will apply it", event_pk, exc_info=True)
        return False
    return True


@shared_task(name="worker.sweep_provider_events", **IDEMPOTENT)
def sweep_provider_events() -> int:
    """Apply every stored provider notification still unprocessed a few seconds after it arrived."""
    return process_pending_provider_events()


@shared_task(name="worker.expire_overdue_orders", **IDEMPOTENT)
def expire_overdue_orders() -> int:
    """Expire unpaid orders past their reservation and release their stock."""
    return expire_now()


@shared_task(name="orders.place_bulk_order", autoretry_for=(DatabaseError,), max_retries=5, **IDEMPOTENT, **BACKOFF)
def place_bulk_order(bulk_order_id: int, token: str) -> bool:
    """Place the orders of a submitted bulk order (a run that was taken over stops); retried on database errors."""
    return place_bulk_now(bulk_order_id, token)


@shared_task(name="orders.resume_bulk_placements", **IDEMPOTENT)
def resume_bulk_placements() -> int:
    """Take over bulk orders whose placing stalled (a worker died, the broker was down) and place them."""
    return resume_placements()


@shared_task(name="orders.expire_overdue_bulk_orders", **IDEMPOTENT)
def expire_overdue_bulk_orders() -> int:
    """Expire organisations' bulk orders not approved or paid while their units were held; release the units."""
    return expire_bulk_now()


@shared_task(name="orders.refund_pending_presales", **IDEMPOTENT)
def refund_pending_presales() -> int:
    """Ask again for the harvest-shortfall refunds a payment provider refused or could not take."""
    return refund_pending_presales_now()


@shared_task(name="worker.reconcile_payments", **IDEMPOTENT)
def reconcile_payments() -> int:
    """Ask Stripe and WeChat Pay about pending orders with an attempt and apply what they say."""
    return reconcile_now()


@shared_task(name="orders.share_profits", **IDEMPOTENT)
def share_profits() -> int:
    """Split settlement: write the WeChat Pay profit shares now due and request or query them (a no-op unless
    ``PROFIT_SHARING_ENABLED`` and WeChat Pay is configured)."""
    return share_profits_now()


@shared_task(name="worker.send_counter_digests", **IDEMPOTENT)
def send_counter_digests() -> int:
    """Each counter's daily digest, once a day, from its opening time."""
    return notifications.send_due_counter_digests(timezone.localtime())


@shared_task(name="worker.check_certificates", **IDEMPOTENT)
def check_certificates() -> int:
    """Warn operators once about each expired aid certificate (merchants' and products')."""
    return check_certificates_now()
