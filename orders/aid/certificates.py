"""Aid certificates and sales: which products have lost the certificate that qualified them, and which are
taken off sale for it (when the aid settings say so).

The certificates are operators' records (``catalog.certificates``). A product has lost its certificate when
an aid certificate once covering it (its own or its merchant's) has expired or been revoked and none is
valid today; products never certified stay on sale.
"""

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.certificates import certificate_lapsed, expire_lapsed_certificates, lapsed_aid_condition
from catalog.models import Certificate, Product
from orders.aid.settings import aid_settings


def expired_certificate_condition(prefix: str = "", today: date | None = None) -> Q:
    """Products (at ``prefix``, e.g. ``product__``) whose aid certificate expired or was revoked, none valid."""
    return lapsed_aid_condition(today or timezone.localdate(), prefix)


def certificate_expired(product: Product, today: date | None = None) -> bool:
    """The same rule as ``expired_certificate_condition`` for one product."""
    return certificate_lapsed(product, today)


def hidden_for_expired_certificate(prefix: str = "") -> Q | None:
    """The products (at ``prefix``) taken off sale for a lapsed certificate, or None when the setting is off."""
    if not aid_settings()["hide_expired_products"]:
        return None
    return expired_certificate_condition(prefix)


def is_hidden_for_expired_certificate(product: Product) -> bool:
    return bool(aid_settings()["hide_expired_products"] and certificate_expired(product))


def newly_expired_certificates(today: date) -> list[Certificate]:
    """Approved aid certificates whose validity ended before ``today``, now recorded as expired."""
    return [c for c in expire_lapsed_certificates(today) if c.kind == Certificate.Kind.AID]


def expired_certificates(today: date) -> QuerySet[Certificate]:
    """Aid certificates that expired before ``today`` (recorded so or not yet)."""
    return Certificate.objects.filter(
        kind=Certificate.Kind.AID,
        status__in=(Certificate.Status.APPROVED, Certificate.Status.EXPIRED),
        valid_until__lt=today,
    ).select_related("merchant")
