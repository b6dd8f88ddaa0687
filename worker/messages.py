"""What is sent, and to whom: each function enqueues outbox notifications inside the caller's transaction."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from catalog import roles
from catalog.models import Location, Merchant, Stock
from worker.models import Notification
from worker.outbox import enqueue

if TYPE_CHECKING:
    from orders.models import Fulfilment, Order, Refund

EMAIL, WEBHOOK, COUNTER = Notification.Channel.EMAIL, Notification.Channel.WEBHOOK, Notification.Channel.COUNTER
STAFF_LANGUAGE = "zh-hans"


def _language(order: Order) -> str:
    return order.language if order.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _order_url(order: Order, language: str) -> str:
    with translation.override(language):
        path = reverse("storefront:order_status", args=[order.token])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


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


def _order_data(order: Order, language: str) -> dict[str, Any]:
    return {
        "order_number": order.number,
        "order_url": _order_url(order, language),
        "contact_name": order.contact_name,
        "delivery_method": order.delivery_method,
        "subtotal": order.subtotal,
        "shipping_fee": order.shipping_fee,
        "total": order.total,
        "lines": _lines(order.lines.all()),
    }


def _location_data(location: Location) -> dict[str, str]:
    return {
        "name": location.name,
        "code": location.code,
        "host": location.host,
        "address": location.address,
        "opening_hours": location.opening_hours,
        "phone": location.phone,
    }


def _merchant_emails(merchant: Merchant) -> list[str]:
    emails = {merchant.contact_email} if merchant.contact_email else set()
    emails.update(merchant.members.filter(is_active=True).exclude(email="").values_list("email", flat=True))
    return sorted(emails)


def _to_counter(location: Location, *, template: str, payload: dict[str, Any], key: str) -> None:
    """The counter's queue always; its webhook and notification e-mail when it has them."""
    enqueue(channel=COUNTER, template=template, recipient="", payload=payload, location=location, key=f"{key}-queue")
    if location.webhook_url:
        enqueue(
            channel=WEBHOOK,
            template=template,
            recipient=location.webhook_url,
            payload=payload,
            location=location,
            key=f"{key}-webhook",
        )
    if location.notification_email:
        enqueue(
            channel=EMAIL,
            template=template,
            recipient=location.notification_email,
            payload=payload,
            language=STAFF_LANGUAGE,
            location=location,
            key=f"{key}-email",
        )


def order_paid(order: Order) -> None:
    """Confirmation to the consumer; 'prepare this order' to each pickup counter; 'ship this order' to merchants."""
    language = _language(order)
    if order.contact_email:
        enqueue(
            channel=EMAIL,
            template="order_paid",
            recipient=order.contact_email,
            payload=_order_data(order, language),
            language=language,
            key=f"order-{order.pk}-paid-consumer",
        )
    for fulfilment in order.fulfilments.select_related("location", "merchant").prefetch_related("lines"):
        payload = {
            "order_number": order.number,
            "fulfilment_id": fulfilment.pk,
            "merchant": fulfilment.merchant.name,
            "contact_name": order.contact_name,
            "contact_phone_last4": order.contact_phone[-4:],
            "paid_at": order.paid_at.isoformat() if order.paid_at else "",
            "note": order.note,
            "lines": _lines(fulfilment.lines.all()),
        }
        if fulfilment.method == "pickup":
            payload["counter"] = _location_data(fulfilment.location)
            _to_counter(
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
        for email in _merchant_emails(fulfilment.merchant):
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
        "counter": _location_data(fulfilment.location),
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


def _low_stock_item(stock: Stock) -> dict[str, Any]:
    product = stock.variant.product
    return {
        "product": product.name,
        "variant": stock.variant.name,
        "sku": stock.variant.sku,
        "location": stock.location.name,
        "on_hand": stock.on_hand,
        "allocated": stock.allocated,
        "available": stock.on_hand - stock.allocated,
        "threshold": product.low_stock_threshold,
    }


def _low_stock_mail(merchant: Merchant, items: list[dict[str, Any]], key: str) -> None:
    for email in _merchant_emails(merchant):
        enqueue(
            channel=EMAIL,
            template="low_stock",
            recipient=email,
            payload={"items": items},
            language=STAFF_LANGUAGE,
            key=f"{key}-{email}",
        )


def _low_stock_rows() -> Any:
    return Stock.objects.filter(
        on_hand__lte=F("allocated") + F("variant__product__low_stock_threshold")
    ).select_related("variant__product__merchant", "location")


def low_stock(stock: Stock, *, day: datetime.date | None = None) -> None:
    """Tell the merchant a stock row is at or below its product's threshold; once per row and day."""
    stock = _low_stock_rows().get(pk=stock.pk)
    day = day or timezone.localdate()
    _low_stock_mail(stock.variant.product.merchant, [_low_stock_item(stock)], f"low-stock-{stock.pk}-{day.isoformat()}")


def stock_decreased(stock: Stock, available_before: int) -> None:
    """Called by `catalog.services` after a change: a drop to or below the threshold notifies the merchant."""
    available = stock.on_hand - stock.allocated
    if available < available_before and available <= stock.variant.product.low_stock_threshold:
        low_stock(stock)


def low_stock_sweep(day: datetime.date | None = None) -> int:
    """The daily re-check: one e-mail per merchant listing its rows at or below threshold; returns the rows."""
    day = day or timezone.localdate()
    rows = _low_stock_rows().filter(location__is_active=True, variant__product__is_published=True)
    by_merchant: dict[int, tuple[Merchant, list[dict[str, Any]]]] = {}
    for stock in rows.order_by("variant__product__merchant_id", "variant__sku", "location__name"):
        merchant = stock.variant.product.merchant
        by_merchant.setdefault(merchant.pk, (merchant, []))[1].append(_low_stock_item(stock))
    for merchant, items in by_merchant.values():
        with transaction.atomic():
            _low_stock_mail(merchant, items, f"low-stock-merchant-{merchant.pk}-{day.isoformat()}")
    return sum(len(items) for _, items in by_merchant.values())


def counter_digest(location: Location, day: datetime.date) -> None:
    """The counter's morning summary: orders to prepare, parcels waiting for pickup, low stock on its shelves."""
    from orders.models import Fulfilment, OrderStatus

    open_orders = Fulfilment.objects.filter(
        location=location, method="pickup", order__status__in=[OrderStatus.PAID, OrderStatus.FULFILLING]
    )
    payload = {
        "day": day.isoformat(),
        "counter": _location_data(location),
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
    _to_counter(location, template="counter_digest", payload=payload, key=f"digest-{location.pk}-{day.isoformat()}")


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


def notify_operators(*, template: str, payload: dict[str, Any], key: str) -> None:
    """E-mail every active operator in their own language (call inside the transaction that causes it)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.OPERATORS)
        .exclude(email="")
        .select_related("wagtail_userprofile")
        .distinct()
        .order_by("pk")
    )
    for user in users:
        profile = getattr(user, "wagtail_userprofile", None)
        language = getattr(profile, "preferred_language", "") or settings.LANGUAGE_CODE
        enqueue(
            channel=EMAIL,
            template=template,
            recipient=user.email,
            payload=payload,
            language=language,
            key=f"{key}-operator-{user.pk}",
        )
