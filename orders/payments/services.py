"""Payment writes: PaymentIntents, webhook events, refunds and reconciliation.

An order becomes paid only through ``apply_intent_succeeded``: from a verified webhook event, from
reconciliation (Stripe asked directly with the secret key), or from the demo payment under DEBUG.
Each path locks the order row and checks what was already recorded, so replays change nothing.
"""

import logging
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, F, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import StockMovement
from catalog.services import StockChange, apply_stock_changes
from core.money import format_fen, unit_share
from core.scopes import User
from core.text import clean_text, site_text
from core.transactions import joined_atomic
from core.users import acting_user
from orders import notifications as notify
from orders.aid.services import debit_refund, paying_payment
from orders.events import record_order_event
from orders.institutions.placement import payable as bulk_payable
from orders.models import Order, OrderEvent, OrderLine, OrderStatus, Payment, PaymentProvider, Refund, StripeEvent
from orders.payments.attempts import PaidAttempt
from orders.payments.client import demo_payments_enabled, stripe_client
from orders.payments.reservation import mark_paid_locked
from orders.state import (
    InvalidTransition,
    OrderError,
    can_refund,
    can_transition,
    has_late_payment,
    lock_order,
    transition,
)

logger = logging.getLogger(__name__)

NOTE_AMOUNT_MISMATCH = gettext_lazy(
    "Payment %(reference)s was for %(amount)s %(currency)s, not the order total: check it before shipping."
)
NOTE_DOUBLE_PAYMENT = gettext_lazy("A second payment %(reference)s arrived for this order: refund one of them.")
NOTE_PAYMENT_FAILED = gettext_lazy("Payment attempt %(reference)s failed: %(error)s")
NOTE_PAYMENT_CANCELED = gettext_lazy("Payment attempt %(reference)s was canceled.")
NOTE_DISPUTE = gettext_lazy("The customer disputed payment %(reference)s (%(reason)s): answer it in Stripe.")
NOTE_REFUND = gettext_lazy("Refunded %(amount)s: %(reason)s")
REASON_STRIPE_REFUND = gettext_lazy("Refunded in Stripe's dashboard (%(reference)s).")
NOTE_CHOOSE_REFUND_LINES = gettext_lazy(
    "Refund %(reference)s of %(amount)s was made in Stripe without naming items: the aid ledger debited the"
    " newest items first; check them."
)
REASON_RETURNED = gettext_lazy("Returned: order refunded")

# Intent statuses in which the customer may still (re)try to pay with the same intent.
REUSABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}


class PaymentError(OrderError):
    """A payment request that is refused; the message is meant for the customer or the operator."""


class EventProcessingError(Exception):
    """Processing a stored event failed; the error is recorded on the event and the task retries."""


class EventHeld(Exception):
    """An event that cannot be applied yet (its payment has not been applied): kept unprocessed, applied later."""


HELD = "held: "
# Stored events younger than this are left to their own task; the sweeper takes the rest.
SWEEP_AFTER_SECONDS = 5


def _value(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a Stripe object or of a plain dict (stored payloads), without assuming which."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    try:
        return obj[name]
    except (KeyError, AttributeError):
        return default


def _id(obj: Any) -> str:
    """The id of an expanded object, or the id string itself."""
    return obj if isinstance(obj, str) else str(_value(obj, "id", "") or "")


def _flag(order: Order, note: object, **params: object) -> None:
    """Mark the order for an operator's attention and say why in its history (the caller holds the lock)."""
    Order.objects.filter(pk=order.pk).update(needs_review=True)
    order.needs_review = True
    record_order_event(order.pk, OrderEvent.Kind.NOTE, note=site_text(note, **params))


# --- Paying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentSession:
    """What the pay page needs: the payment row, the intent's client secret and its status."""

    payment: Payment
    client_secret: str
    status: str


def check_payable(order: Order) -> None:
    """``PaymentError`` unless the order awaits payment and its hold has not ended (every provider checks it)."""
    if order.status != OrderStatus.PENDING_PAYMENT or order.expires_at <= timezone.now():
        raise PaymentError(_("This order can no longer be paid."))
    if order.bulk_order_id is not None and not bulk_payable(order):
        raise PaymentError(_("This order belongs to a bulk order that is not awaiting payment."))


def intent_params(order: Order, attempt: int) -> dict[str, Any]:
    """The PaymentIntent for an order: its total in fen, CNY, the order number in metadata."""
    methods = list(settings.STRIPE_PAYMENT_METHOD_TYPES)
    params: dict[str, Any] = {
        "amount": order.total,
        "currency": order.currency.lower(),
        "payment_method_types": methods,
        "metadata": {"order_number": order.number, "order_id": str(order.pk), "attempt": str(attempt)},
    }
    optional: dict[str, Any] = {
        "description": site_text(gettext_lazy("Dexiu Market order %(number)s"), number=order.number)
    }
    if "wechat_pay" in methods:
        optional["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    params.update({key: value for key, value in optional.items() if key not in settings.STRIPE_OMIT_PARAMS})
    return params


def intent_idempotency_key(order: Order, attempt: int) -> str:
    return f"dexiu-order-{order.pk}-intent-{attempt}"


def start_payment(order: Order, *, client: stripe.StripeClient | None = None) -> PaymentSession:
    """The PaymentIntent the customer should pay now: the current one when it can still be used, else a new one.

    An intent that is processing or has succeeded is never replaced (the customer may already have paid);
    one that was canceled, or no longer matches the order, is replaced by a new attempt. The order row
    stays locked meanwhile, so two clicks on "Pay" cannot create two intents.
    """
    client = client or stripe_client()
    with transaction.atomic():
        lock_order(order)
        check_payable(order)
        latest = order.payments.filter(provider=PaymentProvider.STRIPE).order_by("-attempt").first()
        if latest is not None:
            intent = client.v1.payment_intents.retrieve(latest.intent_id)
            matches = intent.amount == order.total and intent.currency == order.currency.lower()
            if intent.status in ("processing", "succeeded") or (intent.status in REUSABLE and matches):
                return PaymentSession(latest, intent.client_secret, intent.status)
            if intent.status in REUSABLE:
                client.v1.payment_intents.cancel(latest.intent_id)
            Payment.objects.filter(pk=latest.pk).update(status=Payment.Status.CANCELED, updated_at=timezone.now())
        attempt = latest.attempt + 1 if latest else 1
        intent = client.v1.payment_intents.create(
            intent_params(order, attempt), {"idempotency_key": intent_idempotency_key(order, attempt)}
        )
        payment = Payment.objects.create(
            order=order,
            provider=PaymentProvider.STRIPE,
            intent_id=intent.id,
            attempt=attempt,
            amount=order.total,
            currency=order.currency,
            status=intent.status if intent.status in Payment.Status.values else Payment.Status.REQUIRES_PAYMENT_METHOD,
        )
    return PaymentSession(payment, intent.client_secret, intent.status)


def apply_intent_succeeded(payment: Payment, *, amount: int, currency: str, method_type: str = "") -> Order:
    """Record that Stripe (or the demo) took the money: the order becomes paid, exactly once.

    The amount and currency must match the order, otherwise it is flagged for review and stays unpaid.
    A payment for an expired or cancelled order flags it (``mark_paid`` does), and a second successful
    payment for an order already paid flags it too: nothing is dropped silently.
    """
    with joined_atomic():
        order = lock_order(Order(pk=payment.order_id))
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == Payment.Status.SUCCEEDED:
            return order
        payment.status = Payment.Status.SUCCEEDED
        payment.succeeded_at = timezone.now()
        payment.method_type = (method_type or payment.method_type)[:32]
        payment.save(update_fields=["status", "succeeded_at", "method_type", "updated_at"])
        if amount != order.total or currency.lower() != order.currency.lower():
            _flag(
                order,
                NOTE_AMOUNT_MISMATCH,
                reference=payment.intent_id,
                amount=format_fen(amount),
                currency=currency.upper(),
            )
            return order
        if order.status != OrderStatus.PENDING_PAYMENT and order.status not in (
            OrderStatus.EXPIRED,
            OrderStatus.CANCELLED,
        ):
            _flag(order, NOTE_DOUBLE_PAYMENT, reference=payment.intent_id)
            return order
        try:
            mark_paid_locked(order, payment_reference=payment.intent_id, paid_at=payment.succeeded_at)
        except InvalidTransition:  # a late payment's flag is written; a refused move wrote nothing
            logger.warning("Payment %s arrived for order %s, which is %s", payment.intent_id, order, order.status)
    return order


def pay_demo(order: Order) -> Order:
    """The demo payment: the same path as a Stripe payment, refused unless demo payments are enabled."""
    if not demo_payments_enabled():
        raise PaymentError(_("Demo payments are not available."))
    with transaction.atomic():
        lock_order(order)
        check_payable(order)
        attempt = order.payments.filter(provider=PaymentProvider.DEMO).count() + 1
        payment = Payment.objects.create(
            order=order,
            provider=PaymentProvider.DEMO,
            intent_id=f"demo_{uuid.uuid4().hex}",
            attempt=attempt,
            amount=order.total,
            currency=order.currency,
            method_type="demo",
        )
        return apply_intent_succeeded(payment, amount=order.total, currency=order.currency, method_type="demo")


# --- Webhook events ----------------------------------------------------------------------------


def record_event(payload: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Store a verified event by its id; ``created`` is False for a replay (which is then ignored)."""
    return StripeEvent.objects.get_or_create(
        id=str(payload["id"])[:255], defaults={"type": str(payload.get("type", ""))[:100], "payload": payload}
    )


def _payment_for_intent(intent: Any) -> Payment | None:
    """Our payment row for a Stripe intent; created for an intent of one of our orders that we did not record."""
    intent_id = _id(intent)
    payment = Payment.objects.filter(intent_id=intent_id).first()
    if payment is not None or isinstance(intent, str):
        return payment
    metadata = _value(intent, "metadata") or {}
    order = Order.objects.filter(number=_value(metadata, "order_number", "")).first()
    if order is None:
        return None
    latest = order.payments.filter(provider=PaymentProvider.STRIPE).order_by("-attempt").first()
    payment, _created = Payment.objects.get_or_create(
        intent_id=intent_id,
        defaults={
            "order": order,
            "provider": PaymentProvider.STRIPE,
            "attempt": (latest.attempt + 1) if latest else 1,
            "amount": int(_value(intent, "amount", 0) or 0),
            "currency": str(_value(intent, "currency", "") or "").upper()[:3],
        },
    )
    return payment


def intent_method_type(intent: Any) -> str:
    payment_method = _value(intent, "payment_method")
    kind = _value(payment_method, "type") if not isinstance(payment_method, str) else None
    types = _value(intent, "payment_method_types") or []
    return str(kind or (types[0] if len(types) == 1 else ""))


def intent_paid(intent: Any) -> PaidAttempt:
    """What a succeeded intent paid: the amount received (else the amount), its currency and method."""
    received = _value(intent, "amount_received")
    return PaidAttempt(
        number=_id(intent),
        amount=int(received if received is not None else (_value(intent, "amount", 0) or 0)),
        currency=str(_value(intent, "currency", "") or ""),
        method_type=intent_method_type(intent),
    )


def _on_intent_succeeded(intent: Any) -> None:
    payment = _payment_for_intent(intent)
    if payment is None:
        logger.warning("Ignoring succeeded intent %s: not one of our orders", _id(intent))
        return
    paid = intent_paid(intent)
    apply_intent_succeeded(payment, amount=paid.amount, currency=paid.currency, method_type=paid.method_type)


def _on_intent_ended(intent: Any, status: str) -> None:
    """A failed or canceled attempt: recorded; the order stays payable until it expires."""
    payment = _payment_for_intent(intent)
    if payment is None:
        return
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status in (Payment.Status.SUCCEEDED, status):
            return
        error = _value(intent, "last_payment_error")
        message = str(_value(error, "message", "") or "")[:500]
        payment.status = status
        payment.failure_message = message
        payment.method_type = payment.method_type or intent_method_type(intent)[:32]
        payment.save(update_fields=["status", "failure_message", "method_type", "updated_at"])
        note = NOTE_PAYMENT_FAILED if status == Payment.Status.FAILED else NOTE_PAYMENT_CANCELED
        record_order_event(
            payment.order_id,
            OrderEvent.Kind.NOTE,
            note=site_text(note, reference=payment.intent_id, error=message or "-"),
        )


def _refunded_amount(order: Order) -> int:
    return order.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0


def _paid_amount(order: Order) -> int:
    return order.payments.filter(status=Payment.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0


def _settle_refund_status(order: Order, refunded: int, *, actor: User | None = None, note: str = "") -> None:
    """Move the order to refunded or partially refunded from what has been given back (lock held)."""
    paid = _paid_amount(order)
    if refunded <= 0 or paid <= 0:
        return
    target = OrderStatus.REFUNDED if refunded >= paid else OrderStatus.PARTIALLY_REFUNDED
    if order.status != target and can_transition(order, target):
        transition(order, target, actor=actor, note=note)


def _succeeded_payment(intent: Any) -> Payment | None:
    """Our payment for a Stripe intent, once it has succeeded; None if it is not ours. An event about a payment
    of ours that has not been applied yet is held (``EventHeld``) until it is (call under the order lock)."""
    payment = Payment.objects.filter(intent_id=_id(intent)).first()
    if payment is not None and payment.status != Payment.Status.SUCCEEDED:
        raise EventHeld(f"{HELD}payment {payment.intent_id} not applied yet")
    return payment


def _lock_paid_order(intent: Any) -> tuple[Order, Payment] | None:
    payment = Payment.objects.filter(intent_id=_id(intent)).first()
    if payment is None:
        return None
    order = lock_order(Order(pk=payment.order_id))
    payment = _succeeded_payment(intent)
    return order, payment


def _dashboard_refund_lines(order: Order, payment: Payment, amount: int) -> tuple[list[dict[str, int]], bool]:
    """The lines a refund made in Stripe (which names none) gives back, and whether an operator should check them.

    A refund of a payment that did not pay the order (a late or second payment) gives back no goods: it never
    credited the ledger. A refund that completes the paying payment gives back every line not refunded yet.
    A partial one gives back whole units, newest line first, up to its amount; the rest counts as shipping,
    and the order is flagged so an operator checks the choice. ``reconcile_ledger`` stays exact either way.
    """
    paying = paying_payment(order)
    if paying is None or paying.pk != payment.pk:
        return [], False
    given_back = payment.refunds.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]).aggregate(
        total=Sum("amount")
    )["total"]
    refunded: dict[int, int] = {}
    for refund in order.refunds.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]):
        for item in refund.lines:
            refunded[item["line"]] = refunded.get(item["line"], 0) + item["quantity"]
    remaining = [(line, line.quantity - refunded.get(line.pk, 0)) for line in order.lines.order_by("-pk")]
    remaining = [(line, quantity) for line, quantity in remaining if quantity > 0]
    if (given_back or 0) + amount >= payment.amount:
        return [refund_item(line, quantity, before=refunded.get(line.pk, 0)) for line, quantity in remaining], False
    plan, left = [], amount
    for line, quantity in remaining:
        before = refunded.get(line.pk, 0)
        units = quantity
        while units > 0 and line.paid_share(units, before=before) > left:
            units -= 1
        if units > 0 and line.paid_share(units, before=before) > 0:
            plan.append(refund_item(line, units, before=before))
            left -= line.paid_share(units, before=before)
    return plan, True


def _record_stripe_refund(order: Order, payment: Payment, stripe_refund: Any) -> None:
    """Apply a Stripe refund (ours, or one made in Stripe's dashboard) to the locked order, once.

    A known refund has its status updated; an unknown one is recorded (amount, Stripe id, "refunded in Stripe"),
    taking over a refund recorded from a ``charge.refunded`` that did not list it. A refund that succeeds here
    is completed: goods debited from the aid ledger and the order's status moved on.
    """
    refund_id = _id(stripe_refund)
    status = str(_value(stripe_refund, "status", ""))
    amount = int(_value(stripe_refund, "amount", 0) or 0)
    refund = Refund.objects.select_for_update().filter(stripe_refund_id=refund_id).first()
    ours = str(_value(_value(stripe_refund, "metadata"), "refund", "") or "")
    if refund is None and ours.isdigit():  # one of ours whose answer from Stripe is not saved yet
        refund = Refund.objects.select_for_update().filter(pk=int(ours), order=order, stripe_refund_id=None).first()
        if refund is not None:
            refund.stripe_refund_id = refund_id
            refund.save(update_fields=["stripe_refund_id", "updated_at"])
    if refund is None:
        refund = (
            Refund.objects.select_for_update()
            .filter(payment=payment, stripe_refund_id__isnull=True, amount=amount, created_by__isnull=True)
            .filter(idempotency_key__startswith="dexiu-stripe-charge-")
            .order_by("pk")
            .first()
        )
        if refund is not None:
            refund.stripe_refund_id = refund_id
            refund.save(update_fields=["stripe_refund_id", "updated_at"])
    if refund is None:
        if status in (Refund.Status.FAILED, Refund.Status.CANCELED) or amount <= 0:
            return
        _create_stripe_refund(order, payment, amount, refund_id=refund_id, status=status)
        return
    was = refund.status
    refund = _update_refund(stripe_refund)
    if was != Refund.Status.SUCCEEDED and refund.status == Refund.Status.SUCCEEDED:
        _complete_refund(order, refund)


def _create_stripe_refund(order: Order, payment: Payment, amount: int, *, refund_id: str | None, status: str) -> None:
    reference = refund_id or "-"
    lines, check = _dashboard_refund_lines(order, payment, amount)
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        lines=lines,
        reason=site_text(REASON_STRIPE_REFUND, reference=reference)[:500],
        idempotency_key=(f"dexiu-stripe-{refund_id}" if refund_id else f"dexiu-stripe-charge-{uuid.uuid4().hex}")[:64],
        stripe_refund_id=refund_id,
        status=status if status in Refund.Status.values else Refund.Status.PENDING,
    )
    if check:
        _flag(order, NOTE_CHOOSE_REFUND_LINES, reference=reference, amount=format_fen(amount))
    if refund.status == Refund.Status.SUCCEEDED:
        _complete_refund(order, refund)


def _on_charge_refunded(charge: Any) -> None:
    with transaction.atomic():
        locked = _lock_paid_order(_value(charge, "payment_intent"))
        if locked is None:
            return
        order, payment = locked
        for stripe_refund in _value(_value(charge, "refunds"), "data", None) or []:
            _record_stripe_refund(order, payment, stripe_refund)
        # Newer API versions do not list the refunds: what Stripe gave back beyond what we know is recorded
        # now, and named when its refund event arrives.
        known = (
            payment.refunds.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        unknown = int(_value(charge, "amount_refunded", 0) or 0) - known
        if unknown > 0:
            _create_stripe_refund(order, payment, unknown, refund_id=None, status=Refund.Status.SUCCEEDED)
        _settle_refund_status(order, _refunded_amount(order))


def _update_refund(stripe_refund: Any) -> Refund | None:
    status = str(_value(stripe_refund, "status", ""))
    refund = Refund.objects.select_for_update().filter(stripe_refund_id=_id(stripe_refund)).first()
    if refund is None or status not in Refund.Status.values or refund.status == status:
        return refund
    refund.status = status
    refund.save(update_fields=["status", "updated_at"])
    return refund


def _on_refund_event(stripe_refund: Any) -> None:
    """``refund.created`` / ``refund.updated``: our refund confirmed, or one made in Stripe's dashboard recorded."""
    with transaction.atomic():
        known = Refund.objects.filter(stripe_refund_id=_id(stripe_refund)).first()
        if known is not None:
            order = lock_order(Order(pk=known.order_id))
            payment = known.payment
        else:
            locked = _lock_paid_order(_value(stripe_refund, "payment_intent"))
            if locked is None:
                return
            order, payment = locked
        _record_stripe_refund(order, payment, stripe_refund)


def _on_dispute(dispute: Any) -> None:
    with transaction.atomic():
        locked = _lock_paid_order(_value(dispute, "payment_intent"))
        if locked is None:
            return
        order, payment = locked
        _flag(order, NOTE_DISPUTE, reference=payment.intent_id, reason=str(_value(dispute, "reason", "") or "-"))


HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": lambda intent: _on_intent_ended(intent, Payment.Status.FAILED),
    "payment_intent.canceled": lambda intent: _on_intent_ended(intent, Payment.Status.CANCELED),
    "charge.refunded": _on_charge_refunded,
    "refund.created": _on_refund_event,
    "refund.updated": _on_refund_event,
    "charge.dispute.created": _on_dispute,
}


def event_waiting(event_id: str) -> bool:
    """Whether a stored event is still to be applied (one read, no lock: ``process_event`` decides under the lock)."""
    return StripeEvent.objects.filter(pk=event_id, processed_at__isnull=True).exists()


def process_event(event_id: str) -> bool:
    """Apply a stored event once (False when already processed, unknown or held); unknown types are only marked.

    The event row is locked for the whole transaction, so two workers cannot process it together. A
    failure is recorded on the event and raised as ``EventProcessingError`` for the task to retry. An event
    about a payment not applied yet is held (left unprocessed, the reason in ``error``); once a payment
    succeeds, the held events are applied after it, and the sweeper retries any left.
    """
    event = None
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().filter(pk=event_id).first()
            if event is None or event.processed_at is not None:
                return False
            handler = HANDLERS.get(event.type)
            if handler is not None:
                handler(event.payload["data"]["object"])
            event.processed_at = timezone.now()
            event.error = ""
            event.save(update_fields=["processed_at", "error"])
    except EventHeld as exc:
        _record_event_error(event_id, str(exc))
        return False
    except Exception as exc:
        if event is None:  # the event could not even be read (the database): the task retries
            raise
        logger.exception("Stripe event %s failed", event_id)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        _record_event_error(event_id, error)
        raise EventProcessingError(error) from exc
    if event.type == "payment_intent.succeeded":
        apply_held_events()
    return True


def _record_event_error(event_id: str, error: str) -> None:
    """Note why an event is not applied (held, or failed), unless another worker applied it meanwhile.

    The handler's writes were rolled back with the whole transaction (no savepoint on the way of every
    event that succeeds); the note is written in a transaction of its own.
    """
    StripeEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(error=error[:2000])


def _stripe_order(events):
    """Stored events in the order Stripe created them (then as received)."""
    return events.annotate(stripe_created=Cast(KT("payload__created"), BigIntegerField())).order_by(
        F("stripe_created").asc(nulls_first=True), "received_at", "pk"
    )


def apply_held_events() -> None:
    """Apply the events held for a payment that was not applied yet (one that now may be), in Stripe's order."""
    held = StripeEvent.objects.filter(processed_at__isnull=True, error__startswith=HELD)
    for event_id in _stripe_order(held).values_list("pk", flat=True):
        with suppress(EventProcessingError):  # recorded on the event; the sweeper tries again
            process_event(event_id)


def process_pending_events(*, older_than: float = SWEEP_AFTER_SECONDS) -> int:
    """Apply every stored, unprocessed event received more than ``older_than`` seconds ago, in the order Stripe
    created them; returns how many were applied. Safe alongside the events' own tasks (the event row lock)."""
    due = StripeEvent.objects.filter(
        processed_at__isnull=True, received_at__lte=timezone.now() - timedelta(seconds=older_than)
    )
    applied = 0
    for event_id in _stripe_order(due).values_list("pk", flat=True):
        try:
            applied += process_event(event_id)
        except EventProcessingError:
            continue  # recorded on the event; tried again on the next sweep
    return applied


# --- Reconciliation -------------------------------------------------------------------------------


def reconcile_order(order: Order, *, client: stripe.StripeClient | None = None) -> bool:
    """Ask Stripe about the order's intents and apply what it says; True if the order is now paid."""
    client = client or stripe_client()
    for payment in order.payments.filter(provider=PaymentProvider.STRIPE).exclude(status=Payment.Status.SUCCEEDED):
        intent = client.v1.payment_intents.retrieve(payment.intent_id)
        if intent.status == "succeeded":
            _on_intent_succeeded(intent.to_dict())
        elif intent.status == "canceled":
            _on_intent_ended(intent.to_dict(), Payment.Status.CANCELED)
    order.refresh_from_db()
    return order.status == OrderStatus.PAID


def reconcile_payments(*, client: stripe.StripeClient | None = None) -> int:
    """Reconcile every order still awaiting payment that has a Stripe intent or an open WeChat Pay or Alipay attempt;
    returns how many became paid."""
    client = client or stripe_client()
    orders = Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, payments__provider=PaymentProvider.STRIPE
    ).distinct()
    paid = sum(reconcile_order(order, client=client) for order in orders)
    # Imported here: WeChat Pay's services build on this module's ``apply_intent_succeeded``.
    from orders.payments.alipay_services import reconcile_alipay_payments
    from orders.payments.wechat_services import reconcile_wechat_payments

    return paid + reconcile_wechat_payments() + reconcile_alipay_payments()


# --- Refunds ---------------------------------------------------------------------------------------


def refund_item(line: OrderLine, quantity: int, *, before: int) -> dict[str, int]:
    """A refund's item: ``quantity`` units of ``line`` after ``before`` given back; a line with a coupon discount
    also records the paid share of those units (``"amount"``, ``OrderLine.paid_share``), which the aid ledger
    debits. Without a discount the share is the unit price times the quantity, and nothing more is recorded."""
    item = {"line": line.pk, "quantity": quantity}
    if line.discount:
        item["amount"] = line.paid_share(quantity, before=before)
    if line.voucher_discount:  # the voucher's share, given back to its budget (``orders.aid.services.debit_refund``)
        item["voucher"] = unit_share(line.voucher_discount, line.quantity, before, quantity)
    return item


def _refund_plan(order: Order, lines: dict[int, int] | None) -> tuple[int, list[dict[str, int]]]:
    """The amount and ``[{"line": id, "quantity": n, "amount": fen}]`` of a refund; the whole remainder when
    ``lines`` is None. Each line's amount is the paid share of its units (``OrderLine.paid_share``: k of q units of a
    line whose paid total is P, r given back before, are ``floor(P*(r+k)/q) - floor(P*r/q)``), so a line refunded
    in parts gives back exactly what was paid for it, discount or not."""
    refunded: dict[int, int] = {}
    for refund in order.refunds.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]):
        for item in refund.lines:
            refunded[item["line"]] = refunded.get(item["line"], 0) + item["quantity"]
    order_lines = {line.pk: line for line in order.lines.all()}

    def item(pk: int, quantity: int) -> dict[str, int]:
        return refund_item(order_lines[pk], quantity, before=refunded.get(pk, 0))

    if lines is None:
        lines = {pk: line.quantity - refunded.get(pk, 0) for pk, line in order_lines.items()}
        lines = {pk: quantity for pk, quantity in lines.items() if quantity > 0}
        return -1, [item(pk, quantity) for pk, quantity in lines.items()]
    plan, amount = [], 0
    for pk, quantity in lines.items():
        line = order_lines.get(pk)
        if line is None:
            raise PaymentError(_("This line is not part of the order."))
        if quantity <= 0:
            continue
        if quantity > line.quantity - refunded.get(pk, 0):
            raise PaymentError(
                _("At most %(count)d of %(name)s can still be refunded.")
                % {"count": line.quantity - refunded.get(pk, 0), "name": line.product_name}
            )
        plan.append(item(pk, quantity))
        amount += line.paid_share(quantity, before=refunded.get(pk, 0))
    if not plan:
        raise PaymentError(_("Choose at least one item to refund."))
    return amount, plan


def refund_order(
    order: Order,
    *,
    actor: User | None,
    reason: str,
    lines: dict[int, int] | None = None,
    restock: bool = False,
    client: stripe.StripeClient | None = None,
    claim: Callable[[Refund], None] | None = None,
) -> Refund:
    """Refund the whole order (``lines`` None) or chosen line quantities, optionally returning goods to stock.

    More than was paid (less what was already refunded) is refused before the provider is asked. The refund
    row is written first with its own idempotency key (WeChat Pay's ``out_refund_no`` too), so a retried
    request never refunds twice; the provider is asked through ``REFUNDERS``. ``claim`` is called with the new
    row in the transaction that writes it, before the provider is asked: a caller refunding on behalf of some
    record links it there, or raises to write nothing (call this outside any transaction, so the row is committed
    before the provider is asked).
    """
    reason = clean_text(reason)[:500]
    if not reason:
        raise PaymentError(_("Enter a reason for the refund."))
    with transaction.atomic():
        lock_order(order)
        if not can_refund(order):
            raise PaymentError(_("Only paid orders can be refunded."))
        payment = order.payments.filter(status=Payment.Status.SUCCEEDED).order_by("succeeded_at").first()
        if payment is None:
            raise PaymentError(_("This order has no payment to refund."))
        given_back = (
            order.refunds.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        remaining = payment.amount - given_back
        if has_late_payment(order):
            # A late payment bought nothing: the whole of it goes back, no goods, nothing to restock.
            amount, plan, restock = remaining, [], False
        else:
            amount, plan = _refund_plan(order, lines)
        if amount == -1:
            amount = remaining
        if amount <= 0 or amount > remaining:
            raise PaymentError(
                _("At most %(amount)s can still be refunded for this order.")
                % {"amount": format_fen(max(remaining, 0))}
            )
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            amount=amount,
            lines=plan,
            reason=reason,
            restock=restock,
            # 45 characters of [a-z0-9-]: also valid as WeChat Pay's out_refund_no (6-64 of [A-Za-z0-9_-|*@]).
            idempotency_key=f"dexiu-refund-{uuid.uuid4().hex}",
            created_by=acting_user(actor),
        )
        if claim is not None:
            claim(refund)
    try:
        status, stripe_id = REFUNDERS[payment.provider](order, payment, refund, client)
    except PaymentError:
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED, updated_at=timezone.now())
        raise
    with transaction.atomic():
        lock_order(order)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.Status.PENDING:
            return refund  # settled meanwhile by the provider's notification, which completed it
        refund.stripe_refund_id = stripe_id
        refund.status = status if status in Refund.Status.values else Refund.Status.PENDING
        refund.save(update_fields=["stripe_refund_id", "status", "updated_at"])
        if refund.status == Refund.Status.SUCCEEDED:
            _complete_refund(order, refund, actor=actor)
    return refund


# Asking a provider for a refund: ``(order, payment, refund, client)`` → (status, Stripe refund id or None);
# ``PaymentError`` (the refund is then marked failed) when the provider refuses it or cannot be reached.
Refunder = Callable[[Order, Payment, Refund, stripe.StripeClient | None], tuple[str, str | None]]


def _demo_refund(
    order: Order, payment: Payment, refund: Refund, client: stripe.StripeClient | None
) -> tuple[str, str | None]:
    return Refund.Status.SUCCEEDED, None


def _stripe_refund(
    order: Order, payment: Payment, refund: Refund, client: stripe.StripeClient | None
) -> tuple[str, str | None]:
    try:
        stripe_refund = (client or stripe_client()).v1.refunds.create(
            {
                "payment_intent": payment.intent_id,
                "amount": refund.amount,
                "metadata": {"order_number": order.number, "refund": str(refund.pk)},
            },
            {"idempotency_key": refund.idempotency_key},
        )
    except stripe.StripeError as exc:
        raise PaymentError(_("Stripe refused the refund: %(message)s") % {"message": exc.user_message or exc}) from exc
    return str(stripe_refund.status), stripe_refund.id


def _wechat_refund(
    order: Order, payment: Payment, refund: Refund, client: stripe.StripeClient | None
) -> tuple[str, str | None]:
    # Imported here: WeChat Pay's services build on this module.
    from orders.payments.wechat_services import request_wechat_refund

    return request_wechat_refund(payment, refund), None


def _alipay_refund(
    order: Order, payment: Payment, refund: Refund, client: stripe.StripeClient | None
) -> tuple[str, str | None]:
    # Imported here: Alipay's services build on this module.
    from orders.payments.alipay_services import request_alipay_refund

    return request_alipay_refund(payment, refund), None


REFUNDERS: dict[str, Refunder] = {
    PaymentProvider.DEMO: _demo_refund,
    PaymentProvider.STRIPE: _stripe_refund,
    PaymentProvider.WECHAT: _wechat_refund,
    PaymentProvider.ALIPAY: _alipay_refund,
}


def _complete_refund(order: Order, refund: Refund, *, actor: User | None = None) -> None:
    """A refund its provider confirmed: goods back to stock if asked, the order's status from the total given back."""
    who = acting_user(actor)
    if refund.restock and refund.lines:
        order_lines = {line.pk: line for line in order.lines.select_related("variant", "location")}
        apply_stock_changes(
            [
                StockChange(order_lines[item["line"]].variant, order_lines[item["line"]].location, item["quantity"])
                for item in refund.lines
                if item["line"] in order_lines
            ],
            kind=StockMovement.Kind.RETURN,
            actor=who,
            reason=site_text(REASON_RETURNED),
            reference=order.number,
        )
    debit_refund(order, refund)
    note = site_text(NOTE_REFUND, amount=format_fen(refund.amount), reason=refund.reason)
    before = order.status
    _settle_refund_status(order, _refunded_amount(order), actor=who, note=note)
    if order.status == before:
        record_order_event(order.pk, OrderEvent.Kind.NOTE, actor=who, note=note)
    notify.order_refunded(refund)
