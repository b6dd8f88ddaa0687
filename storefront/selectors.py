"""Reads for the public storefront: which products are public and how a page loads them.

Every list is shaped so that a page costs the same number of queries whatever the
number of products, variants and images: merchant and category are joined, active
variants come with their available quantity, images with their Wagtail image and the
renditions the templates ask for.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, IntegerField, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.images import get_image_model

from catalog.models import Category, Location, Merchant, Product, ProductImage, Stock, Variant
from catalog.search import search
from orders.aid import hidden_for_expired_certificate

# The renditions every product picture is shown in (WebP, for ``srcset``); the
# ``product_image`` template tag renders exactly these, so the prefetch always finds them.
PRODUCT_IMAGE_FILTERS = ("fill-400x400|format-webp", "fill-800x800|format-webp")

RELATED_LIMIT = 4
FEATURED_LIMIT = 8

# Quality marks by their key in the filter form: (model field on Product and Merchant, label).
MARKS = {
    "gi": ("geographical_indication", gettext_lazy("Geographical indication")),
    "green": ("green_food", gettext_lazy("Green food")),
    "organic": ("organic", gettext_lazy("Organic")),
}

SORT_ORDERS = {
    "newest": ("-created_at", "-pk"),
    "price_asc": (F("min_price").asc(nulls_last=True), "-created_at", "-pk"),
    "price_desc": (F("min_price").desc(nulls_last=True), "-created_at", "-pk"),
}


@dataclass(frozen=True)
class Availability:
    """What a shopper is told about stock: ``status`` is sold_out, low or in_stock."""

    quantity: int
    status: str
    label: str


@dataclass(frozen=True)
class Badge:
    key: str
    label: str


def availability(quantity: int) -> Availability:
    """Sold out at 0, "only N left" up to ``CATALOG_LOW_STOCK_LEVEL``, in stock above."""
    if quantity <= 0:
        return Availability(0, "sold_out", _("Sold out"))
    if quantity <= settings.CATALOG_LOW_STOCK_LEVEL:
        label = ngettext("Only %(count)d left", "Only %(count)d left", quantity) % {"count": quantity}
        return Availability(quantity, "low", label)
    return Availability(quantity, "in_stock", _("In stock"))


def _free_stock(kind: str, aggregate: type[Sum] | type[Max]) -> Coalesce:
    """Free units (on hand less allocated) of a variant at active locations of one kind."""
    rows = (
        Stock.objects.filter(variant=OuterRef("pk"), location__is_active=True, location__kind=kind)
        .order_by()
        .values("variant")
        .annotate(free=aggregate(F("on_hand") - F("allocated")))
        .values("free")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def available_quantity() -> Greatest:
    """How many of a variant one order can get: all active warehouses together, or the best counter.

    The same rule as checkout (``orders.availability.available_quantities``), computed in SQL.
    """
    return Greatest(
        _free_stock(Location.Kind.WAREHOUSE, Sum),
        _free_stock(Location.Kind.COUNTER, Max),
        output_field=IntegerField(),
    )


def _in_stock() -> Exists:
    return Exists(
        Stock.objects.filter(
            variant__product=OuterRef("pk"),
            variant__is_active=True,
            location__is_active=True,
            on_hand__gt=F("allocated"),
        )
    )


def public_products() -> QuerySet[Product]:
    """Published products of active merchants, less those taken off sale for an expired aid certificate."""
    products = Product.objects.filter(is_published=True, merchant__is_active=True)
    hidden = hidden_for_expired_certificate()
    return products if hidden is None else products.exclude(hidden)


def active_variants() -> QuerySet[Variant]:
    """Active variants in display order, each annotated with ``available``."""
    return Variant.objects.filter(is_active=True).annotate(available=available_quantity()).order_by("sort_order", "pk")


def product_images(renditions: bool = True) -> QuerySet[ProductImage]:
    """Product images with their Wagtail image and (unless ``renditions`` is false, for a caller that
    attaches them itself) its product renditions, in display order."""
    images = ProductImage.objects.select_related("image").order_by("sort_order", "pk")
    if not renditions:
        return images
    wanted = get_image_model().get_rendition_model().objects.filter(filter_spec__in=PRODUCT_IMAGE_FILTERS)
    return images.prefetch_related(Prefetch("image__renditions", queryset=wanted))


def _min_price() -> Subquery:
    """The lowest price among a product's active variants."""
    lowest = (
        Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by()
        .values("product")
        .annotate(lowest=Min("price"))
        .values("lowest")
    )
    return Subquery(lowest, output_field=IntegerField())


def shape_products(queryset: QuerySet[Product], renditions: bool = True) -> QuerySet[Product]:
    """Join merchant and category, annotate the lowest active price, prefetch variants and images
    (with their renditions unless ``renditions`` is false)."""
    return (
        queryset.select_related("merchant", "category")
        .defer("search_text", "search_vector")
        .annotate(min_price=_min_price())
        .prefetch_related(
            Prefetch("variants", queryset=active_variants(), to_attr="active_variants"),
            Prefetch("images", queryset=product_images(renditions), to_attr="gallery"),
        )
    )


def quality_badges(product: Product) -> list[Badge]:
    """Quality marks held by the product or its merchant, and the aid badge when certified."""
    merchant = product.merchant
    badges = [
        Badge(key, str(label))
        for key, (field, label) in MARKS.items()
        if getattr(product, field) or getattr(merchant, field)
    ]
    if product.has_valid_aid_certificate or merchant.has_valid_aid_certificate:
        badges.append(Badge("aid", _("Consumption-aid product")))
    return badges


def prepare_for_display(products: Iterable[Product]) -> list[Product]:
    """Set ``badges``, ``availability``, ``cover`` and each variant's ``availability`` on shaped products."""
    prepared = []
    for product in products:
        for variant in product.active_variants:
            variant.availability = availability(variant.available)
        product.availability = availability(sum(v.available for v in product.active_variants))
        product.badges = quality_badges(product)
        product.cover = product.gallery[0] if product.gallery else None
        prices = {v.price for v in product.active_variants}
        product.has_price_range = len(prices) > 1
        prepared.append(product)
    return prepared


def filter_options() -> tuple[list[Category], list[Merchant]]:
    """Categories and merchants that have public products, for the filter form's choices."""
    public = public_products()
    categories = Category.objects.filter(Exists(public.filter(category=OuterRef("pk"))))
    merchants = Merchant.objects.filter(Exists(public.filter(merchant=OuterRef("pk"))))
    return list(categories), list(merchants)


def filter_products(queryset: QuerySet[Product], filters: dict[str, Any]) -> QuerySet[Product]:
    """Apply validated filters (category, merchant, township, mark, in_stock, q) and the sort order.

    A search without an explicit sort lists the best matches first.
    """
    if filters.get("category"):
        queryset = queryset.filter(category__slug=filters["category"])
    if filters.get("merchant"):
        queryset = queryset.filter(merchant__slug=filters["merchant"])
    if filters.get("township"):
        queryset = queryset.filter(merchant__township=filters["township"])
    if filters.get("mark") in MARKS:
        field, _label = MARKS[filters["mark"]]
        queryset = queryset.filter(Q(**{field: True}) | Q(**{f"merchant__{field}": True}))
    if filters.get("in_stock"):
        queryset = queryset.filter(_in_stock())
    sort = filters.get("sort") or ""
    if filters.get("q"):
        queryset = search(queryset, filters["q"])
        if not sort and "search_rank" in queryset.query.annotations:
            return queryset.order_by("-search_rank", "-created_at", "-pk")
    return queryset.order_by(*SORT_ORDERS.get(sort, SORT_ORDERS["newest"]))


def product_list(filters: dict[str, Any]) -> QuerySet[Product]:
    """The public product list for the given validated filters, shaped for cards."""
    return shape_products(filter_products(public_products(), filters))


def product_refs(filters: dict[str, Any]) -> QuerySet:
    """(product id, merchant id) of the public product list for the given validated filters, in order:
    what a list page needs before its cards (``storefront.cards``)."""
    queryset = public_products()
    if filters.get("sort") in ("price_asc", "price_desc"):
        queryset = queryset.annotate(min_price=_min_price())
    return filter_products(queryset, filters).values_list("pk", "merchant_id")


def public_product(slug: str) -> Product:
    """A public product by slug with its merchant (not shaped for display); 404 otherwise."""
    return get_object_or_404(
        public_products().select_related("merchant").defer("search_text", "search_vector"), slug=slug
    )


def pickup_counters(product: Product) -> QuerySet[Location]:
    """Active sales counters holding free stock of an active variant of ``product``."""
    stocked = Stock.objects.filter(
        location=OuterRef("pk"),
        variant__product=product,
        variant__is_active=True,
        on_hand__gt=F("allocated"),
    )
    return Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True).filter(Exists(stocked))


def related_refs(product: Product, limit: int = RELATED_LIMIT) -> list[tuple[int, int]]:
    """(id, merchant id) of other public products of the same category, newest first, for cards."""
    related = public_products().filter(category_id=product.category_id).exclude(pk=product.pk)
    return list(related.order_by("-created_at", "-pk").values_list("pk", "merchant_id")[:limit])


def featured_refs(chosen: Iterable[int] = (), limit: int = FEATURED_LIMIT) -> list[tuple[int, int]]:
    """(id, merchant id) of the products chosen (ids, in order, e.g. by the home page's editors) that are
    public; else of products marked featured; else of the newest. For cards."""
    public = public_products()
    chosen = list(chosen)
    if chosen:
        by_pk = {
            pk: (pk, merchant_id) for pk, merchant_id in public.filter(pk__in=chosen).values_list("pk", "merchant_id")
        }
        picked = [by_pk[pk] for pk in chosen if pk in by_pk][:limit]
        if picked:
            return picked
    newest = public.order_by("-created_at", "-pk").values_list("pk", "merchant_id")
    featured = list(newest.filter(is_featured=True)[:limit])
    return featured or list(newest[:limit])
