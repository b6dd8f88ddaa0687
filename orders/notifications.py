"""What an order sends, and to whom: the consumer's confirmations, counters' pick lists and digests,
merchants' "ship this".

Each function enqueues outbox notifications inside the caller's transaction (``worker.outbox``). The consumer
hears by text message (SMS) on the order's mobile number, and by e-mail too when they gave an address.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from catalog.models import Location, Stock
from catalog.notifications import EMAIL, STAFF_LANGUAGE, location_data, merchant_emails, to_counter
from core.money import fen_to_yuan
from orders.models import Fulfilment, Order, OrderLine, OrderStatus, Pickup, Refund
from worker.models import Notification
from worker.outbox import enqueue, written_together
from worker.sms import register_template

SMS = Notification.Channel.SMS

# The consumer's text messages, each in one place: its parameters (payload keys) in the order the template
# registered with the SMS provider numbers them ({1}, {2}, …), and its text, which the provider's approved copy
# says too (.env.example lists them for registration). Mainland SMS carry no links: the order number is the
# reference. ``register_sms_templates`` (from ``OrdersConfig.ready``) hands them to the outbox.
SMS_TEMPLATES: dict[str, tuple[tuple[str, ...], Any]] = {
    "order_paid": (
        ("order_number", "total"),
        gettext_lazy(
            "Your order %(order_number)s is paid: ¥%(total)s. We will text you when it is ready for pickup or on "
            "its way."
        ),
    ),
    "pickup_ready": (
        ("order_number", "counter", "pickup_code"),
        gettext_lazy("Your order %(order_number)s is ready for pickup at %(counter)s. Pickup code: %(pickup_code)s."),
    ),
    "order_shipped": (
        ("order_number", "carrier", "tracking_number"),
        gettext_lazy(
            "Your order %(order_number)s has been shipped by %(carrier)s, tracking number %(tracking_number)s."
        ),
    ),
    "order_shipped_untracked": (
        ("order_number",),
        gettext_lazy("Your order %(order_number)s has been shipped."),
    ),
    "order_refunded": (
        ("order_number", "amount"),
        gettext_lazy("¥%(amount)s of your order %(order_number)s has been refunded."),
    ),
}


def register_sms_templates() -> None:
    """Let the outbox send the consumer's text messages (called once, by ``OrdersConfig.ready``)."""
    for name, (params, text) in SMS_TEMPLATES.items():
        register_template(name, params=params, text=text)


def _language(order: Order) -> str:
    return order.language if order.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _order_url(order: Order, language: str) -> str:
    with translation.override(language):
        path = reverse("storefront:order_status", args=[order.token])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _order_data(order: Order, language: str, lines: Any = None) -> dict[str, Any]:
    return {
        "order_number": order.number,
        "order_url": _order_url(order, language),
        "contact_name": order.contact_name,
        "delivery_method": order.delivery_method,
        "subtotal": order.subtotal,
        "shipping_fee": order.shipping_fee,
        "total": order.total,
        "lines": _lines(order.lines.all() if lines is None else lines),
        # A coupon's discount (``orders.coupons``) and a consumption voucher's (``orders.vouchers``), each only
        # when there is one.
        **({"discount": order.coupon_discount, "coupon_code": order.coupon_code} if order.coupon_discount else {}),
        **({"voucher_discount": order.voucher_discount} if order.voucher_discount else {}),
    }


def _lines(lines: Any) -> list[dict[str, Any]]:
    return [
        {
            "product": line.product_name,
            "variant": line.variant_name,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "line_total": line.line_total,
            "merchant": line.merchant_name,
        }
        for line in lines
    ]


def orders_paid(orders: list[Order]) -> None:
    """``order_paid`` for each of several orders paid together: their messages written in one statement."""
    emails: dict[int, list[str]] = {}  # each merchant's addresses read once for the batch
    with written_together():
        for order in orders:
            order_paid(order, emails=emails)


def order_paid(order: Order, *, emails: dict[int, list[str]] | None = None) -> None:
    """Confirmation to the consumer; 'prepare this order' to each pickup counter; 'ship this order' to merchants.
    Fulfilments prefetched with their location and merchant are used as they are; ``emails`` keeps each
    merchant's addresses once read."""
    emails = {} if emails is None else emails
    language = _language(order)
    lines = list(order.lines.all())  # read once: the consumer's list, and each fulfilment's share of it
    _sms_to_consumer(
        order, template="order_paid", payload={"total": fen_to_yuan(order.total)}, key=f"order-{order.pk}-paid-sms"
    )
    if order.contact_email:
        enqueue(
            channel=EMAIL,
            template="order_paid",
            recipient=order.contact_email,
            payload=_order_data(order, language, lines),
            language=language,
            key=f"order-{order.pk}-paid-consumer",
        )
    fulfilments = order.fulfilments.all()
    if "fulfilments" not in getattr(order, "_prefetched_objects_cache", {}):
        fulfilments = fulfilments.select_related("location", "merchant")
    for fulfilment in fulfilments:
        payload = {
            "order_number": order.number,
            "fulfilment_id": fulfilment.pk,
            "merchant": fulfilment.merchant.name,
            "contact_name": order.contact_name,
            "contact_phone_last4": order.contact_phone[-4:],
            "paid_at": order.paid_at.isoformat() if order.paid_at else "",
            "note": order.note,
            "lines": _lines(line for line in lines if line.fulfilment_id == fulfilment.pk),
        }
        if fulfilment.method == "pickup":
            payload["counter"] = location_data(fulfilment.location)
            to_counter(
                fulfilment.location,
                template="counter_prepare",
                payload=payload,
                key=f"fulfilment-{fulfilment.pk}-prepare",
            )
            continue
        if order.bulk_order_id is not None:
            continue  # a bulk order's parcels reach each merchant in one message (orders.institutions.dispatch)
        payload["address"] = {
            "province": order.province,
            "city": order.city,
            "district": order.district,
            "street": order.street,
            "postal_code": order.postal_code,
            "contact_phone": order.contact_phone,
        }
        if fulfilment.merchant_id not in emails:
            emails[fulfilment.merchant_id] = merchant_emails(fulfilment.merchant)
        for email in emails[fulfilment.merchant_id]:
            enqueue(
                channel=EMAIL,
                template="merchant_ship",
                recipient=email,
                payload=payload,
                language=STAFF_LANGUAGE,
                key=f"fulfilment-{fulfilment.pk}-ship-{email}",
            )


def _sms_to_consumer(order: Order, *, template: str, payload: dict[str, str], key: str) -> None:
    """A text message to the order's mobile number, in the order's language: the template's parameters (the
    order number and ``payload``), addressed to the consumer by name."""
    if not order.contact_phone:
        return
    enqueue(
        channel=SMS,
        template=template,
        recipient=order.contact_phone,
        payload={"order_number": order.number, **payload},
        language=_language(order),
        audience_name=order.contact_name,
        key=key,
    )


def _to_consumer(order: Order, *, template: str, payload: dict[str, Any], key: str) -> None:
    """An e-mail to the consumer, if they gave an address."""
    if not order.contact_email:
        return
    language = _language(order)
    enqueue(
        channel=EMAIL,
        template=template,
        recipient=order.contact_email,
        payload={
            "order_number": order.number,
            "order_url": _order_url(order, language),
            "contact_name": order.contact_name,
            **payload,
        },
        language=language,
        key=key,
    )


def pickup_ready(pickup: Pickup) -> None:
    """Every part of the order at this counter is ready: the consumer's pickup code, the counter's address and
    hours and what to collect (the text message: code and counter). Once per pickup: one key each."""
    order = pickup.order
    lines = OrderLine.objects.filter(fulfilment__pickup=pickup).exclude(fulfilment__status=Fulfilment.Status.CANCELLED)
    payload = {"pickup_code": pickup.code, "counter": location_data(pickup.location), "lines": _lines(lines)}
    _to_consumer(order, template="fulfilment_ready", payload=payload, key=f"pickup-{pickup.pk}-ready")
    _sms_to_consumer(
        order,
        template="pickup_ready",
        payload={"counter": pickup.location.name, "pickup_code": pickup.code},
        key=f"pickup-{pickup.pk}-ready-sms",
    )


def fulfilment_shipped(fulfilment: Fulfilment) -> None:
    """The consumer's carrier and tracking number (the text message names them when both are known)."""
    payload = {
        "carrier": fulfilment.carrier,
        "tracking_number": fulfilment.tracking_number,
        "merchant": fulfilment.merchant.name,
        "lines": _lines(fulfilment.lines.all()),
    }
    _to_consumer(
        fulfilment.order, template="fulfilment_shipped", payload=payload, key=f"fulfilment-{fulfilment.pk}-shipped"
    )
    tracked = bool(fulfilment.carrier and fulfilment.tracking_number)
    _sms_to_consumer(
        fulfilment.order,
        template="order_shipped" if tracked else "order_shipped_untracked",
        payload={"carrier": fulfilment.carrier, "tracking_number": fulfilment.tracking_number} if tracked else {},
        key=f"fulfilment-{fulfilment.pk}-shipped-sms",
    )


def order_refunded(refund: Refund) -> None:
    """The consumer is told how much was given back."""
    payload = {"amount": refund.amount, "reason": refund.reason}
    _to_consumer(refund.order, template="order_refunded", payload=payload, key=f"refund-{refund.pk}-consumer")
    _sms_to_consumer(
        refund.order,
        template="order_refunded",
        payload={"amount": fen_to_yuan(refund.amount)},
        key=f"refund-{refund.pk}-sms",
    )


def counter_digest(location: Location, day: datetime.date) -> None:
    """The counter's morning summary: orders with parts to prepare, orders waiting for pickup (every part ready),
    low stock on its shelves."""
    pending = Fulfilment.objects.filter(pickup=OuterRef("pk"), status=Fulfilment.Status.PENDING)
    pickups = Pickup.objects.filter(location=location).order_by("pk")
    payload = {
        "day": day.isoformat(),
        "counter": location_data(location),
        "to_prepare": list(
            pickups.filter(Exists(pending), order__status__in=[OrderStatus.PAID, OrderStatus.FULFILLING]).values_list(
                "order__number", flat=True
            )
        ),
        "awaiting_pickup": list(
            pickups.filter(ready_at__isnull=False, closed_at__isnull=True).values_list("order__number", flat=True)
        ),
        "low_stock": [
            {"sku": s.variant.sku, "product": s.variant.product.name, "available": s.on_hand - s.allocated}
            for s in Stock.objects.filter(
                location=location, on_hand__lte=F("allocated") + F("variant__product__low_stock_threshold")
            )
            .select_related("variant__product")
            .order_by("variant__sku")
        ],
    }
    to_counter(location, template="counter_digest", payload=payload, key=f"digest-{location.pk}-{day.isoformat()}")


def send_due_counter_digests(now: datetime.datetime) -> int:
    """Every active counter past its opening time today gets today's digest (the key makes it once a day)."""
    sent = 0
    for location in Location.objects.filter(
        kind=Location.Kind.COUNTER, is_active=True, opens_at__lte=now.time()
    ).order_by("pk"):
        with transaction.atomic():
            counter_digest(location, now.date())
        sent += 1
    return sent
