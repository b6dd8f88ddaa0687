"""Aid certificates: which products and merchants hold an expired one, and which products are taken off
sale for it (when the aid settings say so)."""

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import Merchant, Product
from orders.aid.settings import aid_settings


def _certificate(prefix: str, today: date) -> tuple[Q, Q]:
    """(valid, expired) conditions on the certificate at ``prefix`` (e.g. ``merchant__``)."""
    has_number = ~Q(**{f"{prefix}aid_certificate_number": ""})
    valid = has_number & Q(**{f"{prefix}aid_certificate_valid_until__gte": today})
    expired = has_number & Q(**{f"{prefix}aid_certificate_valid_until__lt": today})
    return valid, expired


def expired_certificate_condition(prefix: str = "", today: date | None = None) -> Q:
    """Products (at ``prefix``) whose own or merchant's certificate has expired and none is valid."""
    today = today or timezone.localdate()
    product_valid, product_expired = _certificate(prefix, today)
    merchant_valid, merchant_expired = _certificate(f"{prefix}merchant__", today)
    return (product_expired | merchant_expired) & ~product_valid & ~merchant_valid


def certificate_expired(product: Product, today: date | None = None) -> bool:
    """The same rule as ``expired_certificate_condition`` for a product loaded with its merchant."""
    today = today or timezone.localdate()

    def expired(holder: Any) -> bool:
        until = holder.aid_certificate_valid_until
        return bool(holder.aid_certificate_number and until and until < today)

    merchant = product.merchant
    return (expired(product) or expired(merchant)) and not (
        product.aid_certificate_valid_on(today) or merchant.aid_certificate_valid_on(today)
    )


def hidden_for_expired_certificate(prefix: str = "") -> Q | None:
    """The products (at ``prefix``) taken off sale for an expired certificate, or None when the setting is off."""
    if not aid_settings()["hide_expired_products"]:
        return None
    return expired_certificate_condition(prefix)


def is_hidden_for_expired_certificate(product: Product) -> bool:
    return bool(aid_settings()["hide_expired_products"] and certificate_expired(product))


def expired_merchant_certificates(today: date) -> QuerySet[Merchant]:
    return Merchant.objects.filter(_certificate("", today)[1]).order_by("pk")


def expired_product_certificates(today: date) -> QuerySet[Product]:
    return Product.objects.filter(_certificate("", today)[1]).select_related("merchant").order_by("pk")
