"""Reads of the catalogue, and who may see which rows.

Scoping rules (enforced here, used by every back-office view, chooser and export):
- superusers and holders of ``catalog.access_all_merchants`` (operators, editors) see everything;
- a merchant member sees only the merchants it belongs to and their products, variants and stock;
- counter staff see the stock and ledger of the counters they staff;
- certificates: operators see all, a merchant member its merchants' own (``certificates_for_user``).
"""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from catalog.models import Batch, Certificate, Location, Merchant, Product, SearchSynonym, Stock, StockMovement, Variant
from core.scopes import User, register_scope

ALL_MERCHANTS_PERMISSION = "catalog.access_all_merchants"
REVIEW_PERMISSION = "catalog.review_certificate"


def sees_all_merchants(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(ALL_MERCHANTS_PERMISSION)))


def member_merchant_ids(user: User) -> list[int]:
    """The merchants the user is a member of (cached on the user object for the request)."""
    if not user.is_authenticated:
        return []
    if not hasattr(user, "_dexiu_merchant_ids"):
        user._dexiu_merchant_ids = list(user.merchants.values_list("pk", flat=True))
    return user._dexiu_merchant_ids


def staffed_location_ids(user: User) -> list[int]:
    """The counters (locations) the user staffs."""
    if not user.is_authenticated:
        return []
    if not hasattr(user, "_dexiu_location_ids"):
        user._dexiu_location_ids = list(user.counters.values_list("pk", flat=True))
    return user._dexiu_location_ids


def merchants_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Merchant.objects.all() if queryset is None else queryset
    if sees_all_merchants(user):
        return queryset
    return queryset.filter(pk__in=member_merchant_ids(user))


def products_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Product.objects.all() if queryset is None else queryset
    if sees_all_merchants(user):
        return queryset
    return queryset.filter(merchant_id__in=member_merchant_ids(user))


def variants_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Variant.objects.all() if queryset is None else queryset
    if sees_all_merchants(user):
        return queryset
    return queryset.filter(product__merchant_id__in=member_merchant_ids(user))


def locations_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Locations the user may see: all for merchants and operators, own counters for counter staff."""
    queryset = Location.objects.all() if queryset is None else queryset
    if sees_all_merchants(user) or member_merchant_ids(user):
        return queryset
    return queryset.filter(pk__in=staffed_location_ids(user))


def _stock_condition(user: User, prefix: str = "") -> Q | None:
    if sees_all_merchants(user):
        return None
    return Q(**{f"{prefix}variant__product__merchant_id__in": member_merchant_ids(user)}) | Q(
        **{f"{prefix}location_id__in": staffed_location_ids(user)}
    )


def stock_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Stock.objects.all() if queryset is None else queryset
    condition = _stock_condition(user)
    return queryset if condition is None else queryset.filter(condition)


def movements_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet:
    queryset = StockMovement.objects.all() if queryset is None else queryset
    condition = _stock_condition(user, prefix="stock__")
    return queryset if condition is None else queryset.filter(condition)


def can_review(user: User) -> bool:
    """Operators, who approve, reject and revoke certificates: holders of ``catalog.review_certificate``."""
    return bool(user.is_active and (user.is_superuser or user.has_perm(REVIEW_PERMISSION)))


def certificates_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet:
    """Every certificate for operators (and whoever sees every merchant); a member sees its merchants' only."""
    queryset = Certificate.objects.all() if queryset is None else queryset
    if sees_all_merchants(user) or can_review(user):
        return queryset
    return queryset.filter(merchant_id__in=member_merchant_ids(user))


def batch_by_code(code: str) -> Batch | None:
    """The batch with this code (as printed: case and surrounding spaces ignored), with its product, merchant and
    certificate; None when there is none."""
    code = (code or "").strip().upper()
    if not code or len(code) > Batch._meta.get_field("code").max_length:
        return None
    return Batch.objects.select_related("variant__product__merchant", "certificate").filter(code=code).first()


def register_scopes() -> None:
    """The catalogue's models join the scope registry (from ``CatalogConfig.ready``)."""
    for model, scope in {
        Merchant: merchants_for_user,
        Product: products_for_user,
        Variant: variants_for_user,
        Location: locations_for_user,
        Stock: stock_for_user,
        StockMovement: movements_for_user,
        Certificate: certificates_for_user,
    }.items():
        register_scope(model, scope)


def synonyms_for(words: Iterable[str]) -> dict[str, list[str]]:
    """The operators' synonyms of those of ``words`` that have some: ``{word: [synonym, …]}`` (one query)."""
    words = [word for word in dict.fromkeys(words) if word]
    if not words:
        return {}
    rows = SearchSynonym.objects.filter(word__in=words).order_by().values_list("word", "synonyms")
    return {word: synonyms.split() for word, synonyms in rows}


def synonym_words(limit: int) -> list[str]:
    """Words operators gave synonyms for (what shoppers commonly search), most recently changed first."""
    return list(SearchSynonym.objects.order_by("-updated_at", "word").values_list("word", flat=True)[:limit])
