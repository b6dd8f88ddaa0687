"""Who sees which aid figures: operators every merchant's, merchant members their own merchants'.

Registered with ``core.scopes`` by ``OrdersConfig.ready``; the aid back office reads through these.
"""

from django.db.models import QuerySet

from catalog.selectors import member_merchant_ids, sees_all_merchants
from core.scopes import User
from orders.models import AidLedgerEntry, Settlement


def entries_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet[AidLedgerEntry]:
    """Ledger entries the user may see: all for operators, their own merchants' for merchant members."""
    queryset = AidLedgerEntry.objects.all() if queryset is None else queryset
    if sees_all_merchants(user):
        return queryset
    return queryset.filter(merchant_id__in=member_merchant_ids(user))


def settlements_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet[Settlement]:
    queryset = Settlement.objects.all() if queryset is None else queryset
    if sees_all_merchants(user):
        return queryset
    return queryset.filter(merchant_id__in=member_merchant_ids(user))
