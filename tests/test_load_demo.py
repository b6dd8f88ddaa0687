"""`manage.py load_demo`: a believable catalogue, stock everywhere, demo logins only with DEBUG, and no
changes at all on a second run."""

import functools
import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone, translation
from PIL import Image as PILImage
from wagtail.images.models import Image

from catalog import images as catalog_images
from catalog.certificates import qualifying_certificate
from catalog.models import (
    Batch,
    Category,
    Certificate,
    Location,
    Merchant,
    Product,
    ProductImage,
    Stock,
    StockMovement,
    Variant,
)
from catalog.presales import presale_left
from catalog.regions import DezhouCounty, XiushanTownship
from catalog.search import search
from cms.models import HomePage, HomePageFeaturedProduct
from core import roles
from demo import data, images
from orders.aid.reconciliation import reconcile
from orders.institutions.credit_code import validate_credit_code
from orders.institutions.reports import MONTH, organisation_report, period_of
from orders.models import AidChannel, AidLedgerEntry, BulkOrder, Membership, Order, OrderStatus, Organisation

pytestmark = pytest.mark.django_db

# The pictures are deterministic, so tests in one process can share them.
_cached_picture = functools.cache(images.product_picture)


@pytest.fixture
def demo_settings(settings, monkeypatch):
    monkeypatch.setattr(images, "product_picture", _cached_picture)
    return settings


def load(settings, *, debug: bool) -> str:
    settings.DEBUG = debug
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    models = [
        Merchant, Merchant.members.through, Category, Product, ProductImage, Variant, Location,
        Location.staff.through, Stock, StockMovement, Image, User, User.groups.through, Group,
        HomePageFeaturedProduct, Batch, Organisation, Membership, BulkOrder, Order, AidLedgerEntry,
    ]  # fmt: skip
    return {
        "counts": {model._meta.label: model.objects.count() for model in models},
        "stock": sorted(Stock.objects.values_list("variant__sku", "location__code", "on_hand", "allocated")),
        "prices": sorted(Variant.objects.values_list("sku", "price", "compare_at_price")),
    }


def test_running_twice_changes_nothing(demo_settings, client):
    first_output = load(demo_settings, debug=True)
    before = snapshot()

    second_output = load(demo_settings, debug=True)

    assert snapshot() == before
    assert "rows created" in first_output
    assert "nothing to change" in second_output
    check_demo_users(second_output, client)


def test_a_lost_picture_file_is_drawn_again_in_place(demo_settings):
    load(demo_settings, debug=False)
    hero = HomePage.objects.get(locale__language_code="zh-hans").hero_image
    hero.get_rendition("fill-200x100")
    hero.file.storage.delete(hero.file.name)
    before = snapshot()

    load(demo_settings, debug=False)

    hero = Image.objects.get(pk=hero.pk)
    assert hero.file.storage.exists(hero.file.name)
    assert not hero.renditions.exists()
    assert snapshot() == before


def test_demo_catalogue_without_debug(demo_settings, client):
    output = load(demo_settings, debug=False)

    assert not User.objects.exists()
    assert not Organisation.objects.exists(), "the demo union comes with the demo users only"
    assert "Demo users skipped" in output and "demo-operator" not in output
    check_merchants()
    check_products_variants_and_pictures()
    check_counters_and_stock()
    check_stock_arrived_through_the_ledger(actor=None)
    check_home_page()
    check_demo_batch(client)
    check_campaigns(client)


def check_campaigns(client):
    """A voucher batch a shopper can claim, and a pre-sale taking orders on the camellia-oil gift box's page."""
    with translation.override("zh-hans"):
        vouchers = client.get("/vouchers/").content.decode()
        page = client.get("/products/camellia-oil-gift-box/").content.decode()
    assert data.VOUCHER_BATCH["name"] in vouchers
    presale = Variant.objects.get(sku=data.PRESALE["sku"]).presale
    assert presale.opens_at <= timezone.now() < presale.closes_at
    assert presale_left(presale) == data.PRESALE["planned_quantity"]
    assert "预售" in page and "148.00" in page


def check_merchants():
    merchants = list(Merchant.objects.all())
    assert len(merchants) >= 8
    names = " ".join(m.name for m in merchants)
    for fragment in ("油茶加工中心", "贵措社区脐橙", "隘口镇土家织锦", "武陵药都", "官庄街道", "柑橘", "蜂蜜", "茶"):
        assert fragment in names
    pairing = {}
    for merchant in merchants:
        assert pairing.setdefault(merchant.township, merchant.paired_county) == merchant.paired_county
        assert merchant.households_benefited > 0 and merchant.contact_phone and merchant.village
        aid = merchant.certificates.get(kind=Certificate.Kind.AID, scope=Certificate.Scope.PRODUCER)
        assert aid.issuer == "秀山县乡村振兴局" and aid.changes.exists()
        assert aid.status in (Certificate.Status.APPROVED, Certificate.Status.EXPIRED)
        assert merchant.logo is not None
    assert len(set(pairing.values())) == len(pairing), "two townships paired with one Dezhou division"
    expired = [m.name for m in merchants if qualifying_certificate(m.products.first()) is None]
    assert len(expired) == 1
    assert Certificate.objects.exclude(kind=Certificate.Kind.AID).filter(status=Certificate.Status.APPROVED).exists()
    guicuo = Merchant.objects.get(slug="guicuo-navel-orange-cooperative")
    assert (guicuo.township, guicuo.village) == (XiushanTownship.HONGAN, "贵措社区")
    assert "合作社+党员+农户" in guicuo.summary and "3500" in guicuo.summary


def check_products_variants_and_pictures():
    products = Product.objects.prefetch_related("variants", "images__image")
    assert products.count() >= 40
    for name in ("贵措脐橙礼盒 5kg", "秀山野生山茶油", "土家织锦围巾"):
        assert products.filter(name=name, is_published=True).exists(), name
    assert 1 <= products.filter(is_published=False).count() <= 2
    assert products.filter(is_featured=True, is_published=True).count() >= 4
    for product in products:
        assert re.fullmatch(r"[a-z0-9-]+", product.slug), product.slug
        assert product.description.startswith("<p>") and product.summary and product.origin
        variants = list(product.variants.all())
        assert 1 <= len(variants) <= 3, product.name
        for variant in variants:
            assert re.fullmatch(r"DX-[A-Z0-9-]+", variant.sku), variant.sku
            assert variant.price > 0
        pictures = list(product.images.all())
        assert 1 <= len(pictures) <= 2, product.name
        for picture in pictures:
            assert product.name in picture.alt_text
            assert (picture.image.width, picture.image.height) == (800, 800)
    assert Variant.objects.filter(compare_at_price__isnull=False).count() >= 3

    gift_box = Product.objects.get(slug="guicuo-navel-orange-gift-5kg")
    assert (gift_box.season_start_month, gift_box.season_end_month) == (11, 2)
    assert gift_box.in_season(12) and not gift_box.in_season(7)
    assert gift_box.variants.get(sku="DX-QC-5KG").price == 8800
    assert gift_box in search(Product.objects.all(), "脐橙")

    with PILImage.open(gift_box.images.first().image.file) as picture:
        assert picture.format == "JPEG"
        assert len(picture.getcolors(maxcolors=1_000_000) or []) > 50, "an illustration, not a flat square"
    scarf, oil = Product.objects.get(name="土家织锦围巾"), Product.objects.get(name="秀山野生山茶油")
    assert scarf.images.first().image.file_hash != oil.images.first().image.file_hash


def check_counters_and_stock():
    counters = Location.objects.filter(kind=Location.Kind.COUNTER)
    assert sorted(counters.values_list("county", flat=True)) == sorted(DezhouCounty.values)
    for counter in counters:
        assert counter.host and counter.address and counter.phone and counter.notification_email
        assert re.fullmatch(r"\d\d:\d\d–\d\d:\d\d", counter.opening_hours)
    warehouse = Location.objects.get(kind=Location.Kind.WAREHOUSE)
    assert warehouse.name == "秀山产地仓"

    variants = Variant.objects.count()
    assert Stock.objects.filter(location=warehouse, on_hand__gt=0).count() == variants
    for counter in counters:
        assert Stock.objects.filter(location=counter, on_hand__gt=0).count() > variants // 2, counter.name
    at_counters = Stock.objects.filter(location__kind=Location.Kind.COUNTER)
    assert at_counters.filter(on_hand=0).exists(), "some variant should be sold out somewhere"
    assert at_counters.filter(on_hand__range=(1, 3)).exists(), "some variant should be nearly sold out somewhere"
    warehouse_min = min(Stock.objects.filter(location=warehouse).values_list("on_hand", flat=True))
    counter_max = max(at_counters.values_list("on_hand", flat=True))
    assert warehouse_min >= 30 and counter_max <= 40


def check_stock_arrived_through_the_ledger(actor):
    """Opening stock was received through the ledger; the only other movements are the demo union's paid bulk
    order's (its units allocated, then sold), with the users."""
    presale = Variant.objects.get(sku=data.PRESALE["sku"])  # its stock is the planned harvest, not goods
    (plan,) = StockMovement.objects.filter(stock__variant=presale)
    assert (plan.kind, plan.quantity) == (StockMovement.Kind.PLAN, data.PRESALE["planned_quantity"])
    shelf = Stock.objects.filter(on_hand__gt=0).exclude(variant=presale)
    movements = StockMovement.objects.filter(kind=StockMovement.Kind.RECEIVE)
    assert movements.count() == shelf.count()
    assert set(movements.values_list("kind", "reason", "actor")) == {
        (StockMovement.Kind.RECEIVE, data.STOCK_REASON, actor)
    }
    bulk_numbers = set(Order.objects.filter(bulk_order__isnull=False).values_list("number", flat=True))
    others = StockMovement.objects.exclude(kind=StockMovement.Kind.RECEIVE).exclude(pk=plan.pk)
    assert set(others.values_list("reference", flat=True)) <= bulk_numbers
    for stock in shelf[:50]:
        (movement,) = stock.movements.filter(kind=StockMovement.Kind.RECEIVE)
        sold = sum(stock.movements.exclude(pk=movement.pk).values_list("quantity", flat=True))
        assert movement.quantity == movement.on_hand_after == stock.on_hand - sold


def check_demo_batch(client):
    """The demo's one batch arrived with the navel oranges' opening stock at its counter, and has its page."""
    batch = Batch.objects.get(code=data.BATCH["code"])
    (movement,) = batch.movements.all()
    assert movement.quantity == batch.quantity_received == movement.stock.on_hand
    assert batch.certificate is not None and batch.location.code == data.BATCH["location"]
    assert client.get(f"/trace/{batch.code}/").status_code == 200


def check_home_page():
    home = HomePage.objects.get(locale__language_code="zh-hans")
    assert home.hero_image is not None and home.hero_image.width > home.hero_image.height
    featured = [item.product for item in home.featured_products.order_by("sort_order")]
    assert featured and all(product.is_featured and product.is_published for product in featured)
    assert Product.objects.get(name="贵措脐橙礼盒 5kg") in featured


def check_demo_users(output, client):
    expected_groups = {
        "operator": roles.OPERATORS,
        "guicuo": roles.MERCHANTS,
        "brocade": roles.MERCHANTS,
        "editor": roles.EDITORS,
        "moderator": "Moderators",
        "counter": roles.COUNTER_STAFF,
        **{member.username: roles.ORGANISATION_MEMBERS for member in data.INSTITUTION_MEMBERS},
    }
    assert User.objects.count() == len(expected_groups)
    for username, group in expected_groups.items():
        user = User.objects.get(username=username)
        roles_held = user.groups.exclude(name__startswith=catalog_images.GROUP_PREFIX)  # image groups: below
        assert list(roles_held.values_list("name", flat=True)) == [group]
        assert re.search(rf"^\s+{username}\s+demo-{username}\s", output, re.MULTILINE), username
        assert client.login(username=username, password=f"demo-{username}")
        client.logout()
    assert "http://127.0.0.1:8000/admin/" in output
    guicuo = User.objects.get(username="guicuo").merchants.get()
    assert guicuo.slug == "guicuo-navel-orange-cooperative"
    image_groups = User.objects.get(username="guicuo").groups.filter(name__startswith=catalog_images.GROUP_PREFIX)
    assert list(image_groups.values_list("name", flat=True)) == [catalog_images.group_name(guicuo.pk)]
    assert User.objects.get(username="brocade").merchants.get().slug == "aikou-tujia-brocade-workshop"
    assert User.objects.get(username="counter").counters.get().county == DezhouCounty.DECHENG
    check_stock_arrived_through_the_ledger(actor=User.objects.get(username="operator").pk)

    client.login(username="operator", password="demo-operator")
    assert client.get("/admin/").status_code == 200
    check_demo_union(output, client)


def check_demo_union(output, client):
    """The verified demo union, a member per role, its annual target and its paid bulk order of gift packs, which
    its purchases report shows."""
    union = Organisation.objects.get(name="德州市总工会")
    validate_credit_code(union.credit_code)
    assert union.status == Organisation.Status.VERIFIED and union.verified_by.username == "operator"
    assert union.kind == Organisation.Kind.UNION and union.annual_target > 0 and union.addresses.exists()
    assert sorted(union.memberships.values_list("user__username", "role")) == sorted(
        (member.username, member.role) for member in data.INSTITUTION_MEMBERS
    )
    (bulk_order,) = BulkOrder.objects.filter(organisation=union)
    assert bulk_order.status == BulkOrder.Status.PAID and bulk_order.submitted_by.username == "union-buyer"
    assert bulk_order.recipients.count() == len(data.INSTITUTION_RECIPIENTS)
    assert {recipient.pack.slug for recipient in bulk_order.recipients.all()} == {data.PACK["slug"]}
    orders = Order.objects.filter(bulk_order=bulk_order)
    assert orders.count() == len(data.INSTITUTION_RECIPIENTS)
    assert set(orders.values_list("status", flat=True)) == {OrderStatus.PAID}
    entries = AidLedgerEntry.objects.filter(order__bulk_order=bulk_order)
    assert entries.exists() and set(entries.values_list("channel", flat=True)) == {AidChannel.INSTITUTION}
    # Paid by a bank transfer the operator recorded, so the ledger reconciles with the money.
    assert bulk_order.transfers.get().amount == bulk_order.total
    assert reconcile().balanced
    report = organisation_report(union, period_of(MONTH, timezone.localdate(bulk_order.paid_at)))
    assert report.total == sum(entries.values_list("amount", flat=True)) > 0
    assert report.certified > 0 and report.target_share is not None

    assert "union-buyer" in output and f"/institutions/{union.pk}/report/" in output
    buyer_line = next(line for line in output.splitlines() if "union-buyer" in line)
    assert buyer_line.rstrip().endswith("/institutions/bulk/") and "/admin/" not in buyer_line  # they use the shop
    client.logout()
    assert client.login(username="union-finance", password="demo-union-finance")
    assert client.get(f"/institutions/{union.pk}/report/").status_code == 200
