"""Which aid-ledger entries count as consumption aid: the one definition every figure uses.

Rule: an entry counts as aid (*certified*) when it carries a certificate snapshot, i.e. a non-empty
``certificate_number`` copied when the sale was written (a refund carries its sale's). An entry with an empty
number is an *uncertified* sale: shown apart, never added to an aid figure. The impact page, the reports, the
statements, the monitoring export and ``reconcile_ledger`` all read certification through ``CERTIFIED`` /
``UNCERTIFIED`` (or the helpers below), never through today's certificates, so they cannot disagree and a later
change to a certificate changes no past figure.
"""

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from orders.models import AidLedgerEntry

CERTIFIED = ~Q(certificate_number="")
UNCERTIFIED = Q(certificate_number="")

# Which entries a report shows: certified sales (the aid figures, the default), uncertified ones, or all.
CERTIFIED_ONLY = "certified"
UNCERTIFIED_ONLY = "uncertified"
ALL_SALES = "all"
CERTIFICATION_CHOICES = [
    (CERTIFIED_ONLY, _("Certified sales only (counted as aid)")),
    (UNCERTIFIED_ONLY, _("Uncertified product sales only")),
    (ALL_SALES, _("All sales")),
]


def certified_entries(queryset: QuerySet[AidLedgerEntry] | None = None) -> QuerySet[AidLedgerEntry]:
    """The entries of ``queryset`` (default: the whole ledger) that count as aid."""
    return (AidLedgerEntry.objects.all() if queryset is None else queryset).filter(CERTIFIED)


def uncertified_entries(queryset: QuerySet[AidLedgerEntry] | None = None) -> QuerySet[AidLedgerEntry]:
    """The entries of ``queryset`` (default: the whole ledger) sold without a certificate: not aid."""
    return (AidLedgerEntry.objects.all() if queryset is None else queryset).filter(UNCERTIFIED)


def with_certification(queryset: QuerySet[AidLedgerEntry], certification: str) -> QuerySet[AidLedgerEntry]:
    """``queryset`` narrowed to ``certification`` (``CERTIFIED_ONLY``, ``UNCERTIFIED_ONLY`` or ``ALL_SALES``)."""
    if certification == CERTIFIED_ONLY:
        return certified_entries(queryset)
    if certification == UNCERTIFIED_ONLY:
        return uncertified_entries(queryset)
    if certification == ALL_SALES:
        return queryset
    raise ValueError(certification)


def with_certified_flag(queryset: QuerySet[AidLedgerEntry]) -> QuerySet[AidLedgerEntry]:
    """``queryset`` with ``is_certified`` on each entry, computed by the database from ``CERTIFIED``."""
    return queryset.annotate(is_certified=ExpressionWrapper(CERTIFIED, output_field=BooleanField()))
