"""What the catalogue sends, and to whom: counters' messages, low stock, operators' warnings, shoppers'
back-in-stock alerts.

Each function enqueues outbox notifications inside the caller's transaction (``worker.outbox``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from catalog.models import Location, Merchant, PreSale, Stock, StockAlert
from core import roles
from worker.channels import WebhookEndpoint
from worker.models import Notification
from worker.outbox import enqueue
from worker.sms import register_template

EMAIL, WEBHOOK, COUNTER = Notification.Channel.EMAIL, Notification.Channel.WEBHOOK, Notification.Channel.COUNTER
SMS = Notification.Channel.SMS
STAFF_LANGUAGE = "zh-hans"


def location_data(location: Location) -> dict[str, str]:
    return {
        "name": location.name,
        "code": location.code,
        "host": location.host,
        "address": location.address,
        "opening_hours": location.opening_hours,
        "phone": location.phone,
    }


def merchant_emails(merchant: Merchant) -> list[str]:
    emails = {merchant.contact_email} if merchant.contact_email else set()
    emails.update(merchant.members.filter(is_active=True).exclude(email="").values_list("email", flat=True))
    return sorted(emails)


def audience(location: Location) -> str:
    """The outbox audience of a counter: its queue, its webhook."""
    return f"location:{location.pk}"


def webhook_endpoint(location_id: str) -> WebhookEndpoint | None:
    """How a counter's webhooks are signed and named, read when each is sent (a rotated secret applies)."""
    location = Location.objects.filter(pk=location_id).only("code", "name", "webhook_secret").first()
    if location is None:
        return None
    return WebhookEndpoint(secret=location.webhook_secret, subject={"code": location.code, "name": location.name})


def to_counter(location: Location, *, template: str, payload: dict[str, Any], key: str) -> None:
    """The counter's queue always; its webhook and notification e-mail when it has them."""
    addressed = {"audience": audience(location), "audience_name": location.name}
    enqueue(channel=COUNTER, template=template, recipient="", payload=payload, key=f"{key}-queue", **addressed)
    if location.webhook_url:
        enqueue(
            channel=WEBHOOK,
            template=template,
            recipient=location.webhook_url,
            payload=payload,
            key=f"{key}-webhook",
            **addressed,
        )
    if location.notification_email:
        enqueue(
            channel=EMAIL,
            template=template,
            recipient=location.notification_email,
            payload=payload,
            language=STAFF_LANGUAGE,
            key=f"{key}-email",
            **addressed,
        )


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
    for email in merchant_emails(merchant):
        enqueue(
            channel=EMAIL,
            template="low_stock",
            recipient=email,
            payload={"items": items},
            language=STAFF_LANGUAGE,
            key=f"{key}-{email}",
        )


def low_stock_rows() -> QuerySet[Stock]:
    """Rows at or below their product's threshold; a pre-sale's plan before its harvest is no shelf to refill."""
    unharvested = PreSale.objects.exclude(status=PreSale.Status.HARVESTED).values("variant_id")
    return (
        Stock.objects.filter(on_hand__lte=F("allocated") + F("variant__product__low_stock_threshold"))
        .exclude(variant_id__in=unharvested)
        .select_related("variant__product__merchant", "location")
    )


def low_stock(stock: Stock, *, day: datetime.date | None = None) -> None:
    """Tell the merchant a stock row is at or below its product's threshold; once per row and day."""
    stock = low_stock_rows().filter(pk=stock.pk).first()
    if stock is None:
        return  # a pre-sale's plan
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
    rows = low_stock_rows().filter(location__is_active=True, variant__product__is_published=True)
    by_merchant: dict[int, tuple[Merchant, list[dict[str, Any]]]] = {}
    for stock in rows.order_by("variant__product__merchant_id", "variant__sku", "location__name"):
        merchant = stock.variant.product.merchant
        by_merchant.setdefault(merchant.pk, (merchant, []))[1].append(_low_stock_item(stock))
    for merchant, items in by_merchant.values():
        with transaction.atomic():
            _low_stock_mail(merchant, items, f"low-stock-merchant-{merchant.pk}-{day.isoformat()}")
    return sum(len(items) for _, items in by_merchant.values())


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


# --- back-in-stock alerts (``catalog.alerts``) ----------------------------------------------------------------

# Mainland text messages carry no links: the product (and the counter) say what is back.
SMS_TEMPLATES: dict[str, tuple[tuple[str, ...], Any]] = {
    "stock_back_online": (
        ("product",),
        gettext_lazy("%(product)s is back in stock at Dexiu Market: order it for delivery now."),
    ),
    "stock_back_counter": (
        ("product", "counter"),
        gettext_lazy("%(product)s is back in stock at %(counter)s (Dexiu Market)."),
    ),
}


def register_sms_templates() -> None:
    """Let the outbox send the catalogue's text messages (called once, by ``CatalogConfig.ready``)."""
    for name, (params, text) in SMS_TEMPLATES.items():
        register_template(name, params=params, text=text)


def _alert_language(alert: StockAlert) -> str:
    return alert.language if alert.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def stock_back(alert: StockAlert) -> None:
    """Tell the shopper that the variant of ``alert`` is back where they asked (call inside the transaction that
    marks the alert told). One notification per alert (its key): a retry adds none. In the alert's language:
    the product's English name on the English site when it has one; the e-mail links to the product page."""
    language = _alert_language(alert)
    variant, counter = alert.variant, alert.location
    with translation.override(language):
        product = f"{variant.product.display_name} {variant.name}".strip()
        product_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + variant.product.get_absolute_url()
    key = f"stock-alert-{alert.pk}"
    if alert.channel == StockAlert.Channel.SMS:
        template = "stock_back_counter" if counter else "stock_back_online"
        payload = {"product": product, **({"counter": counter.name} if counter else {})}
        enqueue(channel=SMS, template=template, recipient=alert.contact, payload=payload, language=language, key=key)
        return
    payload = {"product": product, "product_url": product_url, "counter": location_data(counter) if counter else None}
    enqueue(channel=EMAIL, template="stock_back", recipient=alert.contact, payload=payload, language=language, key=key)
