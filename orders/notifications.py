"""What an order sends, and to whom: the consumer's confirmations, counters' pick lists and digests,
merchants' "ship this".

Each function enqueues outbox notifications inside the caller's transaction (``worker.outbox``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation

from catalog.models import Location, Stock
from catalog.notifications import EMAIL, STAFF_LANGUAGE, location_data, merchant_emails, to_counter
from orders.models import Fulfilment, Order, OrderStatus, Refund
from worker.outbox import enqueue


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


def order_paid(order: Order) -> None:
    """Confirmation to the consumer; 'prepare this order' to each pickup counter; 'ship this order' to merchants."""
    language = _language(order)
    lines = list(order.lines.all())  # read once: the consumer's list, and each fulfilment's share of it
    if order.contact_email:
        enqueue(
            channel=EMAIL,
            template="order_paid",
            recipient=order.contact_email,
            payload=_order_data(order, language, lines),
            language=language,
            key=f"order-{order.pk}-paid-consumer",
        )
    for fulfilment in order.fulfilments.select_related("location", "merchant"):
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
        payload["address"] = {
            "province": order.province,
            "city": order.city,
            "district": order.district,
            "street": order.street,
            "postal_code": order.postal_code,
            "contact_phone": order.contact_phone,
        }
        for email in merchant_emails(fulfilment.merchant):
            enqueue(
                channel=EMAIL,
                template="merchant_ship",
                recipient=email,
                payload=payload,
                language=STAFF_LANGUAGE,
                key=f"fulfilment-{fulfilment.pk}-ship-{email}",
            )


def _to_consumer(order: Order, *, template: str, payload: dict[str, Any], key: str) -> None:
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


def fulfilment_ready(fulfilment: Fulfilment) -> None:
    """The consumer's pickup code and the counter's address and hours."""
    payload = {
        "pickup_code": fulfilment.pickup_code,
        "counter": location_data(fulfilment.location),
        "lines": _lines(fulfilment.lines.all()),
    }
    _to_consumer(
        fulfilment.order, template="fulfilment_ready", payload=payload, key=f"fulfilment-{fulfilment.pk}-ready"
    )


def fulfilment_shipped(fulfilment: Fulfilment) -> None:
    """The consumer's carrier and tracking number."""
    payload = {
        "carrier": fulfilment.carrier,
        "tracking_number": fulfilment.tracking_number,
        "merchant": fulfilment.merchant.name,
        "lines": _lines(fulfilment.lines.all()),
    }
    _to_consumer(
        fulfilment.order, template="fulfilment_shipped", payload=payload, key=f"fulfilment-{fulfilment.pk}-shipped"
    )


def order_refunded(refund: Refund) -> None:
    """The consumer is told how much was given back."""
    payload = {"amount": refund.amount, "reason": refund.reason}
    _to_consumer(refund.order, template="order_refunded", payload=payload, key=f"refund-{refund.pk}-consumer")


def counter_digest(location: Location, day: datetime.date) -> None:
    """The counter's morning summary: orders to prepare, parcels waiting for pickup, low stock on its shelves."""
    open_orders = Fulfilment.objects.filter(
        location=location, method="pickup", order__status__in=[OrderStatus.PAID, OrderStatus.FULFILLING]
    )
    payload = {
        "day": day.isoformat(),
        "counter": location_data(location),
        "to_prepare": list(
            open_orders.filter(status=Fulfilment.Status.PENDING).order_by("pk").values_list("order__number", flat=True)
        ),
        "awaiting_pickup": list(
            Fulfilment.objects.filter(location=location, status=Fulfilment.Status.READY_FOR_PICKUP)
            .order_by("pk")
            .values_list("order__number", flat=True)
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
