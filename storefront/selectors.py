"""Reads for the public storefront: which products are public and how a page loads them.

Every list is shaped so that a page costs the same number of queries whatever the
number of products, variants and images: merchant and category are joined, active
variants come with their available quantity, images with their Wagtail image and the
renditions the templates ask for.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from catalog.certificates import certificates_by_product, certified_condition, qualifying_certificate
from catalog.models import (
    Batch,
    Category,
    Certificate,
    Location,
    Merchant,
    PreSale,
    Product,
    ProductImage,
    Stock,
    Variant,
    english_wanted,
)
from catalog.presales import not_selling_presale_variants
from catalog.search import SearchPlan, plan_search, search
from catalog.selectors import batch_by_code, synonym_words
from orders.aid import hidden_for_expired_certificate, impact_figures
from storefront.models import StorefrontSettings

# The renditions every product picture is shown in (WebP, for ``srcset``); the
# ``product_image`` template tag renders exactly these, so the prefetch always finds them.
PRODUCT_IMAGE_FILTERS = ("fill-400x400|format-webp", "fill-800x800|format-webp")
# The product page's thumbnails (shown at 56 px: sharp on a 3x phone screen), prefetched with the others.
THUMBNAIL_FILTER = "fill-160x160|format-webp"

RELATED_LIMIT = 4
FEATURED_LIMIT = 8
SUGGESTION_LIMIT = 8
SUGGESTION_CANDIDATES = 5  # times the limit: the newest matches among which the best named come first
POPULAR_LIMIT = 4
WORD_LIMIT = 8

# Quality marks by their key in the filter form: (kind of certificate, label).
MARKS = {
    "gi": (Certificate.Kind.GEOGRAPHICAL_INDICATION, gettext_lazy("Geographical indication")),
    "green": (Certificate.Kind.GREEN_FOOD, gettext_lazy("Green food")),
    "organic": (Certificate.Kind.ORGANIC, gettext_lazy("Organic")),
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


def counter_availability(quantity: int) -> Availability:
    """What a shopper is told of one counter's stock of a variant: as ``availability``, but none there is
    "out of stock here" (the variant may well be on sale elsewhere)."""
    if quantity <= 0:
        return Availability(0, "sold_out", _("Out of stock here"))
    return availability(quantity)


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


def available_quantity() -> Case:
    """How many of a variant one order can get: all active warehouses together, or the best counter; none of a
    pre-sale's variant outside its order window (its stock is the plan).

    The same rule as checkout (``orders.availability.available_quantities``, ``is_sellable``), computed in SQL.
    """
    free = Greatest(
        _free_stock(Location.Kind.WAREHOUSE, Sum),
        _free_stock(Location.Kind.COUNTER, Max),
        output_field=IntegerField(),
    )
    resting = Exists(not_selling_presale_variants().filter(variant=OuterRef("pk")))
    return Case(When(resting, then=Value(0)), default=free, output_field=IntegerField())


def _in_stock() -> Exists:
    return Exists(
        Stock.objects.filter(
            variant__product=OuterRef("pk"),
            variant__is_active=True,
            location__is_active=True,
            on_hand__gt=F("allocated"),
        ).exclude(variant_id__in=not_selling_presale_variants())
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
    wanted = (
        get_image_model()
        .get_rendition_model()
        .objects.filter(filter_spec__in=[*PRODUCT_IMAGE_FILTERS, THUMBNAIL_FILTER])
    )
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


def _display_prefetches(renditions: bool = True) -> list[Prefetch]:
    return [
        Prefetch("variants", queryset=active_variants().select_related("presale__location"), to_attr="active_variants"),
        Prefetch("images", queryset=product_images(renditions), to_attr="gallery"),
    ]


def shape_products(queryset: QuerySet[Product], renditions: bool = True) -> QuerySet[Product]:
    """Join merchant and category, annotate the lowest active price, prefetch variants and images
    (with their renditions unless ``renditions`` is false)."""
    return (
        queryset.select_related("merchant", "category")
        .defer("search_text", "search_vector")
        .annotate(min_price=_min_price())
        .prefetch_related(*_display_prefetches(renditions))
    )


def shape_product(product: Product) -> Product:
    """A product read by ``public_product`` shaped as ``shape_products`` shapes them, without reading the
    product again: its variants, pictures and renditions are fetched and ``min_price`` set."""
    prefetch_related_objects([product], *_display_prefetches())
    prices = [variant.price for variant in product.active_variants]
    product.min_price = min(prices) if prices else None
    return product


def quality_badges(product: Product, certificates: dict | None = None) -> list[Badge]:
    """Quality marks valid today for the product (its own certificates or its merchant's), and the aid badge
    when an aid certificate qualifies it; ``certificates`` is its entry of ``certificates_by_product``."""
    if certificates is None:
        certificates = certificates_by_product([product])[product.pk]
    badges = [Badge(key, str(label)) for key, (kind, label) in MARKS.items() if kind in certificates["marks"]]
    if certificates["aid"] is not None:
        badges.append(Badge("aid", _("Consumption-aid product")))
    return badges


@dataclass(frozen=True)
class AidCertificate:
    pk: int  # its entry on the public register: ``/certified/#certificate-<pk>``
    number: str
    issuer: str
    valid_until: datetime.date


def aid_certificate(product: Product) -> AidCertificate | None:
    """The certificate a product page shows: the approved aid certificate qualifying it today (its own, else its
    merchant's); None when none does (an expired, revoked or unreviewed certificate is never shown)."""
    certificate = getattr(product, "aid_certificate", None)
    if certificate is None and not hasattr(product, "aid_certificate"):
        certificate = qualifying_certificate(product)
    if certificate is None:
        return None
    return AidCertificate(certificate.pk, certificate.number, certificate.issuer, certificate.valid_until)


def prepare_for_display(products: Iterable[Product]) -> list[Product]:
    """Set ``badges``, ``availability``, ``cover`` and each variant's ``availability`` on shaped products."""
    products = list(products)
    certificates = certificates_by_product(products)
    prepared = []
    for product in products:
        product.aid_certificate = certificates[product.pk]["aid"]
        for variant in product.active_variants:
            variant.availability = availability(variant.available)
        product.availability = availability(sum(v.available for v in product.active_variants))
        product.badges = quality_badges(product, certificates[product.pk])
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


def filter_products(
    queryset: QuerySet[Product], filters: dict[str, Any], plan: SearchPlan | None = None
) -> QuerySet[Product]:
    """Apply validated filters (category, merchant, township, mark, in_stock, q) and the sort order.

    A search without an explicit sort lists the best matches first; ``plan`` is the search's plan when the
    caller made it already (``catalog.search.plan_search``).
    """
    if filters.get("category"):
        queryset = queryset.filter(category__slug=filters["category"])
    if filters.get("merchant"):
        queryset = queryset.filter(merchant__slug=filters["merchant"])
    if filters.get("township"):
        queryset = queryset.filter(merchant__township=filters["township"])
    if filters.get("mark") in MARKS:
        kind, _label = MARKS[filters["mark"]]
        queryset = queryset.filter(certified_condition(kind, timezone.localdate()))
    if filters.get("in_stock"):
        queryset = queryset.filter(_in_stock())
    sort = filters.get("sort") or ""
    if filters.get("q"):
        queryset = search(queryset, plan if plan is not None else filters["q"])
        if not sort and "search_rank" in queryset.query.annotations:
            return queryset.order_by("-search_rank", "-created_at", "-pk")
    return queryset.order_by(*SORT_ORDERS.get(sort, SORT_ORDERS["newest"]))


def product_list(filters: dict[str, Any]) -> QuerySet[Product]:
    """The public product list for the given validated filters, shaped for cards."""
    return shape_products(filter_products(public_products(), filters))


def product_refs(filters: dict[str, Any], plan: SearchPlan | None = None) -> QuerySet:
    """(product id, merchant id) of the public product list for the given validated filters, in order:
    what a list page needs before its cards (``storefront.cards``)."""
    queryset = public_products()
    if filters.get("sort") in ("price_asc", "price_desc"):
        queryset = queryset.annotate(min_price=_min_price())
    return filter_products(queryset, filters, plan).values_list("pk", "merchant_id")


def delivery_promise(request: HttpRequest | None = None) -> str:
    """The operators' delivery promise in the page's language (English pages show the Chinese one when
    the English one is empty); empty when they gave none."""
    shop = StorefrontSettings.load(request_or_site=request)
    if not (get_language() or "").startswith("zh") and shop.delivery_promise_en:
        return shop.delivery_promise_en
    return shop.delivery_promise


@dataclass(frozen=True)
class PreSaleBlock:
    """What the product page shows of a pre-sale: its windows, the plan and how much of it is left."""

    presale: PreSale
    variant: Variant
    left: int
    selling: bool
    closed: bool


def presale_blocks(product: Product) -> list[PreSaleBlock]:
    """The pre-sales of a shaped product's active variants (loaded with ``presale``), with what is left of each
    plan; no query when it has none."""
    blocks = []
    for variant in product.active_variants:
        presale = variant._state.fields_cache.get("presale")  # joined by the prefetch: None without one
        if presale is None:
            continue
        left = variant.available if presale.is_selling() else 0
        blocks.append(PreSaleBlock(presale, variant, left, presale.is_selling(), presale.is_closed()))
    return blocks


def presale_phase(product: Product) -> str:
    """A key part that changes when one of the product's pre-sales opens or closes (its windows follow the clock,
    not a change of stock): ``product.presale_edges`` as ``public_product`` read it (``product_page.find`` reads it
    afresh for a product it remembered)."""
    return f":ps{product.presale_edges}" if getattr(product, "presale_edges", 0) else ""


def _presale_edges_sql(product_id: str) -> str:
    """How many order-window edges (openings and closings) of the pre-sales of the product ``product_id`` (an SQL
    expression) have passed; 1 more per pre-sale, so a product with pre-sales never counts 0."""
    quote = connection.ops.quote_name
    presale, variant = (quote(model._meta.db_table) for model in (PreSale, Variant))
    return (
        "SELECT COALESCE(SUM(CASE WHEN p.opens_at <= %s THEN 1 ELSE 0 END"  # noqa: S608 (names from the models)
        " + CASE WHEN p.closes_at <= %s THEN 1 ELSE 0 END + 1), 0)"
        f" FROM {presale} p JOIN {variant} v ON v.id = p.variant_id WHERE v.product_id = {product_id}"
    )


def _presale_edges() -> RawSQL:
    """The product's pre-sale edges (``_presale_edges_sql``), as an annotation.

    Plain SQL: it is read on every product page, where the ORM's grouped subquery took a millisecond to build.
    """
    now = timezone.now()
    column = f"{connection.ops.quote_name(Product._meta.db_table)}.id"
    return RawSQL(_presale_edges_sql(column), [now, now], output_field=IntegerField())  # noqa: S611 (parameters)


def presale_edges(product_id: int) -> int:
    """The product's pre-sale edges passed by now (``_presale_edges_sql``), in one plain query."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_presale_edges_sql("%s"), [now, now, product_id])
        return cursor.fetchone()[0]


def public_product(slug: str) -> Product:
    """A public product by slug with its merchant and category (not shaped for display:
    ``shape_product``); 404 otherwise."""
    return get_object_or_404(
        public_products()
        .select_related("merchant", "category")
        .defer("search_text", "search_vector")
        .annotate(presale_edges=_presale_edges()),
        slug=slug,
    )


def counter_stocks() -> QuerySet[Stock]:
    """Stock rows shoppers are shown at counters: free units of active variants at active counters."""
    return Stock.objects.filter(
        variant__is_active=True,
        location__kind=Location.Kind.COUNTER,
        location__is_active=True,
        on_hand__gt=F("allocated"),
    )


def pickup_counters(product: Product) -> list[Location]:
    """Active sales counters holding free stock of an active variant of ``product`` (shaped: its
    ``active_variants``), in the counters' order, each with ``variant_stock``: (variant, what a shopper is
    told of that counter's stock of it) for every active variant. One query, whatever the number of counters."""
    rows = (
        counter_stocks()
        .filter(variant__product=product)
        .select_related("location")
        .order_by("location__county", "location__name", "location_id")
    )
    counters: dict[int, Location] = {}
    free: dict[tuple[int, int], int] = {}
    for row in rows:
        counters.setdefault(row.location_id, row.location)
        free[row.location_id, row.variant_id] = row.available
    for counter in counters.values():
        counter.variant_stock = [
            (variant, counter_availability(free.get((counter.pk, variant.pk), 0)))
            for variant in product.active_variants
        ]
    return list(counters.values())


def category_refs(category_id: int, limit: int) -> list[tuple[int, int]]:
    """(id, merchant id) of a category's public products, newest first, for cards: a product page's related
    products are the first of these but itself (``storefront.views``), so one list serves the whole category."""
    related = public_products().filter(category_id=category_id)
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


def popular_refs(limit: int = POPULAR_LIMIT) -> list[tuple[int, int]]:
    """(id, merchant id) of the best-selling public products (the aid ledger's top products by net sales, as
    the impact figures hold them, cached), topped up with the featured or newest ones. For cards."""
    top = [int(amount.key) for amount in impact_figures().top_products]
    refs = featured_refs(top, limit) if top else []
    if len(refs) < limit:
        shown = {pk for pk, _merchant_id in refs}
        refs += [ref for ref in featured_refs(limit=limit + len(refs)) if ref[0] not in shown][: limit - len(refs)]
    return refs


@dataclass(frozen=True)
class Suggestion:
    """A product suggested while a shopper types; ``via``: the synonym it was found by, if not the query."""

    name: str
    url: str
    via: str = ""


def _suggested(plan: SearchPlan, limit: int, exclude: Iterable[int] = ()) -> list[tuple[int, str, str]]:
    """(id, name in the reader's language, slug) of the products ``plan`` finds, best first."""
    found = search(public_products(), plan).exclude(pk__in=list(exclude))
    if "search_rank" in found.query.annotations:
        found = found.order_by("-search_rank", "-created_at", "-pk")
    english = english_wanted()
    rows = found.values_list("pk", "name", "name_en", "slug")[:limit]
    return [(pk, (english and name_en) or name, slug) for pk, name, name_en, slug in rows]


def suggestions(query: str, limit: int = SUGGESTION_LIMIT) -> tuple[list[Suggestion], list[str]]:
    """Up to ``limit`` public products for what a shopper has typed so far (its last Latin word as a
    beginning, the operators' synonyms applied), topped up by a typo-tolerant second try (the query in
    pinyin, shorter prefixes); and the words the query's synonyms also search for.

    Of the newest few matches, those named with the query's own words come first, then those named with a
    synonym, in the order the operators listed them (``via`` says which), then the others (found by their
    category, merchant or pinyin). Names are in the reader's language (English where given on the English
    site)."""
    plan = plan_search(query, prefix=True)
    if not plan:
        return [], []
    synonyms = plan.synonym_words
    found: list[Suggestion] = []

    def named(name: str) -> tuple[int, str]:
        """(how well the name shows what was asked for, the synonym it shows)."""
        lowered = name.lower()
        if any(word in lowered for word in plan.words):
            return 0, ""
        position = next((i for i, word in enumerate(synonyms) if word in lowered), None)
        return (1 + position, synonyms[position]) if position is not None else (1 + len(synonyms), "")

    rows = _suggested(plan, limit * SUGGESTION_CANDIDATES)
    if len(rows) < limit:
        fuzzy = plan_search(query, prefix=True, fuzzy=True)
        if fuzzy and fuzzy.clauses != plan.clauses:
            rows += _suggested(fuzzy, limit - len(rows), exclude=[pk for pk, _name, _slug in rows])
    ranked = sorted(((named(name), index, name, slug) for index, (_pk, name, slug) in enumerate(rows)))
    for (_order, via), _index, name, slug in ranked[:limit]:
        found.append(Suggestion(name, reverse("storefront:product_detail", kwargs={"slug": slug}), via))
    return found, synonyms


def search_words(query: str, plan: SearchPlan | None = None, limit: int = WORD_LIMIT) -> list[str]:
    """Words to try instead of a query that found nothing: the words its synonyms stand for, then words
    operators gave synonyms for (what shoppers commonly search); never the query itself."""
    plan = plan if plan is not None else plan_search(query)
    asked = {query.strip().lower(), *plan.words}
    words = [word for word in plan.synonym_words if word not in asked]
    if len(words) < limit:
        words += [word for word in synonym_words(limit + len(asked)) if word not in asked and word not in words]
    return words[:limit]


def attach_pictures(products: Iterable[Product]) -> None:
    """Set ``picture`` on each product: its first picture (with its thumbnail rendition) or None, in two
    queries for all of them (the cart's cards)."""
    products = list(products)
    if not products:
        return  # an empty cart asks nothing
    first: dict[int, Any] = {}
    for product_image in product_images().filter(product__in={product.pk for product in products}):
        first.setdefault(product_image.product_id, product_image.image)
    for product in products:
        product.picture = first.get(product.pk)


# -- The public register of certificates (``/certified/``) ---------------------------------------------

# Aid certificates first, then the quality marks in the order the product list's filter names them.
REGISTER_KINDS = (Certificate.Kind.AID, *(kind for kind, _label in MARKS.values()))


@dataclass(frozen=True)
class RegisteredCertificate:
    """What the register shows of one certificate: never its evidence, its submitter or its history."""

    pk: int
    kind: str
    kind_label: str
    number: str
    issuer: str
    valid_from: datetime.date
    valid_until: datetime.date
    producer_scope: bool
    products: list[Product]  # the public products it lists (empty for a producer certificate)


@dataclass(frozen=True)
class RegisterEntry:
    """A producer on the register: its certificates valid today, aid certificates and quality marks apart."""

    merchant: Merchant
    product_count: int  # its public products (all covered by a producer certificate)
    aid: list[RegisteredCertificate]
    marks: list[RegisteredCertificate]


def certified_register(day: datetime.date | None = None) -> list[RegisterEntry]:
    """The public register on ``day`` (today), as counties publish certificates (公示), by producer (township,
    then name): the approved certificates valid that day of active merchants with public products.

    A producer certificate covers all the merchant's public products; a certificate of listed products shows
    those of them that are public and is left out when none is. Submitted, rejected, expired and revoked
    certificates are never listed. Three queries, whatever the number of certificates.
    """
    day = day or timezone.localdate()
    public = public_products()
    counts = dict(
        public.order_by().values("merchant_id").annotate(count=Count("pk")).values_list("merchant_id", "count")
    )
    listed = Prefetch(
        "products",
        queryset=public.only("pk", "slug", "name", "name_en", "merchant_id").order_by("name", "pk"),
        to_attr="public_listed",
    )
    certificates = (
        Certificate.objects.filter(
            status=Certificate.Status.APPROVED,
            valid_from__lte=day,
            valid_until__gte=day,
            merchant_id__in=list(counts),
            kind__in=REGISTER_KINDS,
        )
        .select_related("merchant")
        .only("pk", "kind", "number", "issuer", "scope", "valid_from", "valid_until", "merchant_id", "merchant")
        .prefetch_related(listed)
        .order_by("merchant__township", "merchant__name", "merchant_id", "valid_until", "number", "pk")
    )
    entries: dict[int, RegisterEntry] = {}
    for certificate in certificates:
        producer_scope = certificate.scope == Certificate.Scope.PRODUCER
        if not producer_scope and not certificate.public_listed:
            continue
        merchant = certificate.merchant
        entry = entries.setdefault(merchant.pk, RegisterEntry(merchant, counts[merchant.pk], [], []))
        shown = RegisteredCertificate(
            pk=certificate.pk,
            kind=certificate.kind,
            kind_label=certificate.get_kind_display(),
            number=certificate.number,
            issuer=certificate.issuer,
            valid_from=certificate.valid_from,
            valid_until=certificate.valid_until,
            producer_scope=producer_scope,
            products=[] if producer_scope else certificate.public_listed,
        )
        (entry.aid if certificate.kind == Certificate.Kind.AID else entry.marks).append(shown)
    for entry in entries.values():
        entry.marks.sort(key=lambda shown: REGISTER_KINDS.index(shown.kind))  # stable: by validity within a kind
    return list(entries.values())


@dataclass(frozen=True)
class BatchTrace:
    """What a batch's public page (``/trace/<code>/``) shows: never its evidence, who received it or the stock."""

    batch: Batch
    product: Product
    merchant: Merchant
    product_public: bool  # the product page may be linked
    certificate: Certificate | None  # the aid certificate covering it when received
    certificate_registered: bool  # that certificate is on the public register today (``/certified/#certificate-<pk>``)
    certificate_valid_today: bool


def batch_trace(code: str) -> BatchTrace | None:
    """The public facts of the batch with ``code`` (``catalog.selectors.batch_by_code``), None when unknown."""
    batch = batch_by_code(code)
    if batch is None:
        return None
    product = batch.variant.product
    certificate = batch.certificate
    registered = certificate is not None and any(
        shown.pk == certificate.pk for entry in certified_register() for shown in entry.aid
    )
    today = timezone.localdate()
    return BatchTrace(
        batch=batch,
        product=product,
        merchant=product.merchant,
        product_public=public_products().filter(pk=product.pk).exists(),
        certificate=certificate,
        certificate_registered=registered,
        certificate_valid_today=certificate is not None
        and certificate.status == Certificate.Status.APPROVED
        and certificate.valid_on(today),
    )
