"""Reads behind the catalogue's dashboard panels, scoped per user through ``core.scopes``.

- Low stock: stock rows of the user's merchants (active variants of published products) whose available
  units (on hand - allocated) are at or below the product's low-stock threshold; fewest available first.
- Certificates: the approved aid certificates (``catalog.certificates``) of the user's merchants and their
  products that expire within ``CERTIFICATE_WARNING_DAYS`` days, or have expired and were not renewed; the
  soonest first.
"""

import datetime
from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.utils import timezone

from catalog.certificates import expiring_certificates as expiring_aid_certificates
from catalog.models import Certificate as CertificateRecord
from catalog.models import Merchant, Product, Stock
from core.scopes import User, scope_for_user

CERTIFICATE_WARNING_DAYS = 60


def low_stock(user: User) -> QuerySet[Stock]:
    """The user's merchants' stock rows at or below their product's threshold, annotated ``available``."""
    merchants = scope_for_user(Merchant, user).values("pk")
    return (
        scope_for_user(Stock, user)
        .filter(
            variant__product__merchant__in=merchants,
            variant__is_active=True,
            variant__product__is_published=True,
        )
        .annotate(available_units=F("on_hand") - F("allocated"))
        .filter(available_units__lte=F("variant__product__low_stock_threshold"))
        .select_related("variant__product__merchant", "location")
        .order_by("available_units", "variant__product__name", "variant__sort_order", "location__code", "pk")
    )


@dataclass(frozen=True)
class Certificate:
    """An aid certificate that needs renewing: of a merchant (producer) or of one of its products."""

    holder: Merchant | Product
    number: str
    valid_until: datetime.date
    today: datetime.date
    record: CertificateRecord

    @property
    def merchant(self) -> Merchant:
        return self.holder if isinstance(self.holder, Merchant) else self.holder.merchant

    @property
    def expired(self) -> bool:
        return self.valid_until < self.today

    @property
    def days_left(self) -> int:
        return (self.valid_until - self.today).days


def expiring_certificates(
    user: User, today: datetime.date | None = None, within_days: int = CERTIFICATE_WARNING_DAYS
) -> list[Certificate]:
    """Approved aid certificates of the user's active merchants and their products that expire by ``today +
    within_days`` (expired ones included, unless renewed), soonest first; one item per product listed."""
    today = today or timezone.localdate()
    records = expiring_aid_certificates(user, today + datetime.timedelta(days=within_days)).prefetch_related(
        "products__merchant"
    )
    found = []
    for record in records:
        holders = [record.merchant] if record.scope == record.Scope.PRODUCER else list(record.products.all())
        found += [Certificate(holder, record.number, record.valid_until, today, record) for holder in holders]
    return sorted(found, key=lambda c: (c.valid_until, isinstance(c.holder, Product), c.holder.pk))
