"""Stripe payments: PaymentIntents, verified webhooks, reconciliation, refunds, and the demo stand-in; and
the end of an order's reservation: paid, cancelled or expired (``reservation``)."""

from orders.payments.client import demo_payments_enabled, stripe_client, stripe_enabled
from orders.payments.reservation import cancel_order, expire_order, expire_overdue_orders, mark_paid
from orders.payments.services import (
    EventProcessingError,
    PaymentError,
    PaymentSession,
    apply_intent_succeeded,
    pay_demo,
    process_event,
    reconcile_order,
    reconcile_payments,
    record_event,
    refund_order,
    start_payment,
)

__all__ = [
    "EventProcessingError",
    "PaymentError",
    "PaymentSession",
    "apply_intent_succeeded",
    "cancel_order",
    "demo_payments_enabled",
    "expire_order",
    "expire_overdue_orders",
    "mark_paid",
    "pay_demo",
    "process_event",
    "reconcile_order",
    "reconcile_payments",
    "record_event",
    "refund_order",
    "start_payment",
    "stripe_client",
    "stripe_enabled",
]
