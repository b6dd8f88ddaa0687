"""Writes the demo catalogue. Idempotent: rows are looked up by natural keys and only changed
when they differ, pictures are reused by title, and stock is received only where none exists yet.
"""

import csv
import datetime
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.images.models import Image
from wagtail.models import Collection
from wagtail.utils.file import hash_filelike

from catalog import images as catalog_images
from catalog.certificates import batch_certificates
from catalog.models import (
    Batch,
    Category,
    Certificate,
    CertificateChange,
    Location,
    Merchant,
    Pack,
    PackItem,
    PreSale,
    Product,
    ProductImage,
    SearchSynonym,
    Stock,
    StockMovement,
    Variant,
)
from catalog.presales import open_presale, presale_of
from catalog.services import StockChange, apply_stock_changes
from cms.models import HomePage, HomePageFeaturedProduct
from core import roles
from demo import data, images
from demo.pages import load_pages
from orders.institutions.bulk import create_draft
from orders.institutions.placement import amount_due, submit
from orders.institutions.recipients import COLUMNS as RECIPIENT_COLUMNS
from orders.institutions.recipients import upload_recipients
from orders.institutions.services import register_organisation
from orders.institutions.transfers import record_transfer
from orders.models import BulkOrder, Coupon, Membership, Organisation, OrganisationAddress, VoucherBatch

PERISHABLE_SHELF_LIFE_DAYS = 30

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    group: str
    role: str = ""  # an organisation member's role (orders.Membership.Role)


@dataclass
class DemoSummary:
    created: Counter = field(default_factory=Counter)
    logins: list[DemoLogin] = field(default_factory=list)
    institution_report: str = ""  # the demo union's purchases report (a path), loaded with the users


def _upsert(model: type[M], lookup: dict, values: dict, created: Counter) -> M:
    """Create the row, or update only the fields whose values differ."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        created[model._meta.label] += 1
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj


def _picture(
    title: str, filename: str, render: Callable[[], bytes], created: Counter, collection: Collection | None = None
) -> Image:
    """The Wagtail image with this title, in ``collection`` (the shared art unless given: a merchant's
    pictures go into its own); drawn (again) only when it or its file is missing."""
    collection = collection or catalog_images.ensure_shared_collection()
    image = Image.objects.filter(title=title).order_by("pk").first()
    if image is not None and image.collection_id != collection.pk:
        Image.objects.filter(pk=image.pk).update(collection=collection)
        image.collection = collection
    if image is not None and image.file.name and image.file.storage.exists(image.file.name):
        return image
    content = render()
    if image is None:
        image = Image(title=title, collection=collection)
        created[Image._meta.label] += 1
    else:
        image.renditions.all().delete()
    image.file = ContentFile(content, name=filename)
    image.file_size = len(content)
    image.file_hash = hash_filelike(io.BytesIO(content))
    image.save()
    return image


MARK_NUMBERS = {"geographical_indication": "AGI", "green_food": "LB", "organic": "OFCC"}
MARK_ISSUERS = {
    "geographical_indication": "农业农村部",
    "green_food": "中国绿色食品发展中心",
    "organic": "中绿华夏有机产品认证中心",
}


def _certify(
    merchant: Merchant, kind: str, number: str, issuer: str, valid_until, products: list[Product], created: Counter
) -> Certificate:
    """An approved certificate (recorded expired when its validity has ended), as operators grant them."""
    scope = Certificate.Scope.PRODUCTS if products else Certificate.Scope.PRODUCER
    certificate = Certificate.objects.filter(merchant=merchant, kind=kind, scope=scope, number=number).first()
    if certificate is None:
        status = Certificate.Status.EXPIRED if valid_until < timezone.localdate() else Certificate.Status.APPROVED
        certificate = Certificate.objects.create(
            merchant=merchant,
            kind=kind,
            scope=scope,
            number=number,
            issuer=issuer,
            valid_from=valid_until - datetime.timedelta(days=5 * 365),
            valid_until=valid_until,
            status=status,
        )
        CertificateChange.objects.create(
            certificate=certificate, from_status="", to_status=status, reason="演示数据：已审核通过"
        )
        created[Certificate._meta.label] += 1
    certificate.products.set(products)
    return certificate


def _load_certificates(merchants: dict[str, Merchant], products: list, created: Counter) -> None:
    """Each merchant's aid certificate and quality marks (producer), and the products' own quality marks."""
    for spec in data.MERCHANTS:
        merchant = merchants[spec.slug]
        _certify(merchant, Certificate.Kind.AID, spec.certificate, data.AID_ISSUER, spec.valid_until, [], created)
        for mark in spec.marks:
            number = f"{MARK_NUMBERS[mark]}-{spec.certificate}"
            _certify(merchant, mark, number, MARK_ISSUERS[mark], spec.valid_until, [], created)
    by_mark: dict[tuple[str, str], list[Product]] = {}
    for product_spec, product in products:
        for mark in product_spec.marks:
            by_mark.setdefault((product_spec.merchant, mark), []).append(product)
    specs = {spec.slug: spec for spec in data.MERCHANTS}
    for (slug, mark), listed in by_mark.items():
        spec = specs[slug]
        number = f"{MARK_NUMBERS[mark]}-{spec.certificate}-P"
        _certify(merchants[slug], mark, number, MARK_ISSUERS[mark], spec.valid_until, listed, created)


def _load_categories(created: Counter) -> dict[str, Category]:
    return {
        spec.slug: _upsert(
            Category,
            {"slug": spec.slug},
            {"name": spec.name, "name_en": spec.name_en, "description": spec.description, "sort_order": index},
            created,
        )
        for index, spec in enumerate(data.CATEGORIES)
    }


def _load_merchants(created: Counter) -> dict[str, Merchant]:
    motifs = {product.merchant: product for product in data.PRODUCTS}
    categories = {spec.slug: spec.motif for spec in data.CATEGORIES}
    merchants = {}
    for spec in data.MERCHANTS:
        first_product = motifs[spec.slug]
        motif = first_product.motif or categories[first_product.category]
        merchant = merchants[spec.slug] = _upsert(
            Merchant,
            {"slug": spec.slug},
            {
                "name": spec.name,
                "name_en": spec.name_en,
                "kind": spec.kind,
                "summary": spec.summary,
                "summary_en": spec.summary_en,
                "description": f"<p>{spec.story}</p>",
                "township": spec.township,
                "village": spec.village,
                "paired_county": spec.paired_county,
                "households_benefited": spec.households,
                "contact_name": spec.contact_name,
                "contact_phone": spec.contact_phone,
                "contact_email": spec.contact_email,
                "is_active": True,
            },
            created,
        )
        logo = _picture(
            f"演示·{spec.name}·标志",
            f"demo-logo-{spec.slug}.jpg",
            lambda spec=spec, motif=motif: images.logo_picture(motif, spec.slug, spec.colour),
            created,
            catalog_images.ensure_merchant_collection(merchant),
        )
        if merchant.logo_id != logo.pk:
            merchant.logo = logo
            merchant.save(update_fields=["logo"])
    return merchants


def _load_products(
    merchants: dict[str, Merchant], categories: dict[str, Category], created: Counter
) -> list[tuple[data.DemoProduct, Product]]:
    motifs = {spec.slug: spec.motif for spec in data.CATEGORIES}
    merchant_specs = {spec.slug: spec for spec in data.MERCHANTS}
    collections: dict[str, Collection] = {}
    loaded = []
    for spec in data.PRODUCTS:
        merchant_spec = merchant_specs[spec.merchant]
        start, end = spec.season or (None, None)
        product = _upsert(
            Product,
            {"slug": spec.slug},
            {
                "merchant": merchants[spec.merchant],
                "category": categories[spec.category],
                "name": spec.name,
                "name_en": spec.name_en,
                "summary": spec.summary,
                "summary_en": spec.summary_en,
                "description": f"<p>{spec.story}</p>",
                "origin": merchant_spec.origin,
                "is_published": spec.published,
                "is_featured": spec.featured,
                "season_start_month": start,
                "season_end_month": end,
                "shelf_life_days": spec.shelf_life_days,
            },
            created,
        )
        motif = spec.motif or motifs[spec.category]
        if spec.merchant not in collections:
            collections[spec.merchant] = catalog_images.ensure_merchant_collection(merchants[spec.merchant])
        collection = collections[spec.merchant]
        for index in range(spec.pictures):
            picture = _picture(
                f"演示·{spec.name}·{index + 1}",
                f"demo-{spec.slug}-{index + 1}.jpg",
                lambda spec=spec, motif=motif, index=index: images.product_picture(motif, f"{spec.slug}/{index}"),
                created,
                collection,
            )
            alt = f"{spec.name}（示意图）" if index == 0 else f"{spec.name}（细节示意图）"
            _upsert(
                ProductImage,
                {"product": product, "sort_order": index},
                {"image": picture, "alt_text": alt},
                created,
            )
        for index, variant in enumerate(spec.variants):
            _upsert(
                Variant,
                {"sku": variant.sku},
                {
                    "product": product,
                    "name": variant.name,
                    "price": variant.price,
                    "compare_at_price": variant.compare_at,
                    "weight_grams": variant.weight_grams,
                    "sort_order": index,
                    "is_active": True,
                },
                created,
            )
        loaded.append((spec, product))
    return loaded


def _load_locations(created: Counter) -> list[Location]:
    locations = []
    for spec in [data.WAREHOUSE, *data.COUNTERS]:
        locations.append(
            _upsert(
                Location,
                {"code": spec.code},
                {
                    "kind": spec.kind,
                    "name": spec.name,
                    "host": spec.host,
                    "county": spec.county,
                    "address": spec.address,
                    "opening_hours": spec.opening_hours,
                    "phone": spec.phone,
                    "notification_email": spec.notification_email,
                    "is_active": True,
                },
                created,
            )
        )
    return locations


def initial_quantity(sku: str, location: Location, shelf_life_days: int | None) -> int:
    """The demo's opening stock for a variant at a location; a few counters are low or sold out."""
    rng = images.seeded(f"{sku}@{location.code}")
    perishable = shelf_life_days is not None and shelf_life_days <= PERISHABLE_SHELF_LIFE_DAYS
    if location.kind == Location.Kind.WAREHOUSE:
        return rng.randint(30, 80) if perishable else rng.randint(80, 300)
    roll = rng.random()
    if roll < 0.07:
        return 0
    if roll < 0.16:
        return rng.randint(1, 3)
    return rng.randint(6, 20) if perishable else rng.randint(8, 40)


def _demo_batch(variant: Variant, location: Location, quantity: int, actor: User | None) -> Batch | None:
    """The demo's one batch (``data.BATCH``), made with its opening stock (so only where that stock is new)."""
    spec = data.BATCH
    if (variant.sku, location.code) != (spec["sku"], spec["location"]) or Batch.objects.filter(code=spec["code"]):
        return None
    return Batch.objects.create(
        code=spec["code"],
        variant=variant,
        location=location,
        produced_on=timezone.localdate() - datetime.timedelta(days=spec["days_ago"]),
        origin=spec["origin"],
        certificate=batch_certificates(variant.product).first(),
        quantity_received=quantity,
        received_by=actor,
    )


def _load_stock(
    products: list[tuple[data.DemoProduct, Product]],
    locations: list[Location],
    actor: User | None,
    created: Counter,
) -> None:
    """Receive opening stock through the ledger, only for variant/location pairs without a Stock row.

    Each location's goods arrive as one delivery: one ledger entry per variant, one shared reference.
    """
    existing = set(Stock.objects.values_list("variant_id", "location_id"))
    variants = [
        (spec, variant)
        for spec, product in products
        # A pre-sale's own variant holds its planned harvest only (``_load_campaigns``), never opening stock.
        for variant in product.variants.filter(presale__isnull=True).order_by("sort_order")
    ]
    for location in locations:
        arrivals = []
        for spec, variant in variants:
            if (variant.pk, location.pk) in existing:
                continue
            created[Stock._meta.label] += 1
            quantity = initial_quantity(variant.sku, location, spec.shelf_life_days)
            if quantity:
                arrivals.append(
                    StockChange(variant, location, quantity, batch=_demo_batch(variant, location, quantity, actor))
                )
            else:
                Stock.objects.create(variant=variant, location=location)
        if arrivals:
            apply_stock_changes(
                arrivals,
                kind=StockMovement.Kind.RECEIVE,
                actor=actor,
                reason=data.STOCK_REASON,
                reference=f"{data.STOCK_REFERENCE}-{location.code}".upper(),
            )


def _load_home_page(products: list[tuple[data.DemoProduct, Product]], created: Counter) -> None:
    """Give the home page its banner and the featured products, in catalogue order."""
    home = HomePage.objects.order_by("depth", "pk").first()
    if home is None:
        return
    hero = _picture("演示·首页横幅", "demo-hero.jpg", images.hero_picture, created)
    if home.hero_image_id != hero.pk:
        HomePage.objects.filter(pk=home.pk).update(hero_image=hero)
    wanted = [product.pk for spec, product in products if spec.featured and spec.published]
    current = list(home.featured_products.order_by("sort_order").values_list("product_id", flat=True))
    if current != wanted:
        HomePageFeaturedProduct.objects.filter(page=home).delete()
        HomePageFeaturedProduct.objects.bulk_create(
            HomePageFeaturedProduct(page=home, product_id=pk, sort_order=index) for index, pk in enumerate(wanted)
        )
        created[HomePageFeaturedProduct._meta.label] += len(set(wanted) - set(current))


def _load_synonyms(created: Counter) -> None:
    """The demo's search synonyms, created when missing; a word operators changed keeps their words."""
    for word, synonyms in data.SYNONYMS:
        _row, made = SearchSynonym.objects.get_or_create(word=word, defaults={"synonyms": synonyms})
        created[SearchSynonym._meta.label] += made


def _load_users(merchants: dict[str, Merchant], created: Counter) -> list[DemoLogin]:
    """One user per role, with the demo password set when the user is first created."""
    locations = {location.code: location for location in Location.objects.all()}
    logins = []
    for spec in data.USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User.objects.create_user(
                username=spec.username,
                password=spec.password,
                email=f"{spec.username}@dexiu.example",
                first_name=spec.full_name,
            )
            created[User._meta.label] += 1
        user.groups.add(Group.objects.get(name=spec.group))
        if spec.merchant:
            merchants[spec.merchant].members.add(user)
        if spec.location:
            locations[spec.location].staff.add(user)
        logins.append(DemoLogin(spec.username, spec.password, spec.group))
    return logins


def _load_pack(created: Counter) -> None:
    """The demo's gift pack (``data.PACK``), published."""
    spec = data.PACK
    values = {"name": spec["name"], "description": spec["description"], "price": spec["price"], "is_published": True}
    pack = _upsert(Pack, {"slug": spec["slug"]}, values, created)
    for order, (sku, quantity) in enumerate(spec["items"]):
        variant = Variant.objects.get(sku=sku)
        _upsert(PackItem, {"pack": pack, "variant": variant}, {"quantity": quantity, "sort_order": order}, created)


def _recipients_csv() -> bytes:
    """The demo union's recipients as the upload's CSV: one demo gift pack each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RECIPIENT_COLUMNS)
    for name, phone, province, city, district, street in data.INSTITUTION_RECIPIENTS:
        writer.writerow([name, phone, province, city, district, street, data.PACK["slug"], "", "1"])
    return buffer.getvalue().encode("utf-8")


def _load_institution(operator: User, created: Counter) -> tuple[list[DemoLogin], Organisation]:
    """The demo union (``data.INSTITUTION``), registered by the operator (verified), its address, one member per
    role, and its bulk order of gift packs placed by the buyer and paid, each only when missing."""
    spec = data.INSTITUTION
    organisation = Organisation.objects.filter(credit_code=spec["credit_code"]).exclude(status="rejected").first()
    if organisation is None:
        organisation = register_organisation(Organisation(tax_number=spec["credit_code"], **spec), actor=operator)
        created[Organisation._meta.label] += 1
    address = dict(data.INSTITUTION_ADDRESS)
    _upsert(OrganisationAddress, {"organisation": organisation, "label": address.pop("label")}, address, created)
    logins, members = [], {}
    for member in data.INSTITUTION_MEMBERS:
        user = User.objects.filter(username=member.username).first()
        if user is None:
            user = User.objects.create_user(
                username=member.username,
                password=member.password,
                email=f"{member.username}@dexiu.example",
                first_name=member.full_name,
            )
            created[User._meta.label] += 1
        _row, made = Membership.objects.get_or_create(organisation=organisation, user=user, role=member.role)
        created[Membership._meta.label] += made
        members[member.role] = user
        logins.append(DemoLogin(member.username, member.password, roles.ORGANISATION_MEMBERS, member.role))
    if not BulkOrder.objects.filter(organisation=organisation, note=data.INSTITUTION_ORDER_NOTE).exists():
        buyer = members[Membership.Role.BUYER]
        draft = create_draft(
            organisation=organisation,
            actor=buyer,
            delivery=BulkOrder.Delivery.RECIPIENTS,
            note=data.INSTITUTION_ORDER_NOTE,
        )
        result = upload_recipients(draft, _recipients_csv(), filename="recipients.csv", actor=buyer)
        if not result.ok:
            raise RuntimeError(f"The demo recipients were refused: {result}")
        bulk_order = submit(draft, actor=buyer)
        record_transfer(
            bulk_order,
            actor=operator,
            amount=amount_due(bulk_order),
            received_on=timezone.localdate(),
            bank_reference=data.INSTITUTION_PAYMENT_REFERENCE,
            payer=organisation.invoice_title,
        )
        created[BulkOrder._meta.label] += 1
    return logins, organisation


def _load_campaigns(created: Counter) -> None:
    """The demo voucher batch and camellia-oil pre-sale (``data.VOUCHER_BATCH``, ``data.PRESALE``), each made only
    when missing, so their dates stay those of the first load."""
    now = timezone.now()
    spec = dict(data.VOUCHER_BATCH)
    valid_days = spec.pop("valid_days")
    if not VoucherBatch.objects.filter(name=spec["name"]).exists():
        VoucherBatch.objects.create(
            **spec,
            valid_from=now - datetime.timedelta(days=1),
            valid_until=now + datetime.timedelta(days=valid_days),
            eligibility=Coupon.Eligibility.CERTIFIED,
        )
        created[VoucherBatch._meta.label] += 1
    spec = data.PRESALE
    source = Variant.objects.get(sku=spec["source_sku"])
    if presale_of(source) is None and not Variant.objects.filter(sku=spec["sku"]).exists():
        closes_at = now + datetime.timedelta(days=spec["order_days"])
        ships_from = timezone.localdate(closes_at) + datetime.timedelta(days=1)
        open_presale(
            source_variant=source,
            location=Location.objects.get(code=data.WAREHOUSE.code),
            planned_quantity=spec["planned_quantity"],
            price=spec["price"],
            opens_at=now - datetime.timedelta(hours=1),
            closes_at=closes_at,
            ships_from=ships_from,
            ships_until=ships_from + datetime.timedelta(days=spec["ship_days"]),
            actor=None,
            sku=spec["sku"],
        )
        created[PreSale._meta.label] += 1


def load_demo(*, with_users: bool) -> DemoSummary:
    """Load (or top up) the demo catalogue; demo users only when ``with_users`` is true."""
    summary = DemoSummary()
    created = summary.created
    roles.sync_roles(django_apps)
    with transaction.atomic():
        categories = _load_categories(created)
        merchants = _load_merchants(created)
        products = _load_products(merchants, categories, created)
        _load_certificates(merchants, products, created)
        locations = _load_locations(created)
        if with_users:
            summary.logins = _load_users(merchants, created)
        actor = User.objects.filter(username="operator").first() if with_users else None
        _load_stock(products, locations, actor, created)
        _load_pack(created)
        _load_campaigns(created)
        if with_users:
            institution_logins, union = _load_institution(actor, created)
            summary.logins += institution_logins
            summary.institution_report = reverse("storefront:institution_report", args=[union.pk])
        _load_home_page(products, created)
        _load_synonyms(created)
        load_pages({product.slug: product for _spec, product in products}, _picture, created)
    return summary
