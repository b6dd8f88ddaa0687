"""A union's gift-pack bulk order to many recipients, from two certified merchants' goods, for the bulk tests.

``gift_shop`` builds the goods: a pack of tea oil (merchant A) and oranges (merchant B), each product with an
approved aid certificate, stock in one warehouse and at one counter. ``recipients_draft`` uploads ``count``
recipients of the pack to a new draft of the union; ``submitted`` submits it through the service.
"""

import csv
import datetime
import io
from dataclasses import dataclass

from catalog.models import Location, Merchant, Pack, PackItem, Variant
from orders.institutions.placement import place, submit
from orders.institutions.recipients import upload_recipients
from orders.models import BulkOrder
from tests import factories
from tests.fixtures.catalog import set_stock

HEADER = ["name", "phone", "province", "city", "district", "street", "pack", "sku", "quantity"]


@dataclass
class GiftShop:
    pack: Pack
    oil: Variant
    oranges: Variant
    merchant_a: Merchant
    merchant_b: Merchant
    warehouse: Location
    counter: Location


def gift_shop(stock: int = 1000) -> GiftShop:
    merchant_a = factories.make_merchant("秀山茶油合作社")
    merchant_b = factories.make_merchant("秀山脐橙合作社")
    oil = factories.make_product(merchant_a, name="秀山山茶油", price=6800).variants.get()
    oranges = factories.make_product(merchant_b, name="秀山脐橙", price=4500).variants.get()
    for variant in (oil, oranges):
        factories.make_certificate(variant.product, datetime.date(2099, 12, 31))
    pack = Pack.objects.create(name="工会慰问礼包", slug="union-gift", price=10000, is_published=True)
    PackItem.objects.create(pack=pack, variant=oil, quantity=1)
    PackItem.objects.create(pack=pack, variant=oranges, quantity=1)
    warehouse = factories.make_location(Location.Kind.WAREHOUSE)
    counter = factories.make_location(Location.Kind.COUNTER)
    for variant in (oil, oranges):
        set_stock(variant, warehouse, stock)
        set_stock(variant, counter, stock)
    return GiftShop(pack, oil, oranges, merchant_a, merchant_b, warehouse, counter)


def recipients_csv(count: int, pack: str = "union-gift", start: int = 1) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(start, start + count):
        writer.writerow([f"职工{i}", f"139{i:08d}", "山东省", "德州市", "德城区", f"天衢路{i}号", pack, "", "1"])
    return buffer.getvalue().encode("utf-8")


def recipients_draft(organisation, buyer, count: int) -> BulkOrder:
    draft = BulkOrder.objects.create(
        organisation=organisation, created_by=buyer, delivery=BulkOrder.Delivery.RECIPIENTS
    )
    result = upload_recipients(draft, recipients_csv(count), filename="recipients.csv", actor=buyer)
    assert result.ok, result
    return draft


def submitted(organisation, buyer, count: int) -> BulkOrder:
    """Submitted, and its orders placed: a list longer than ``BULK_ORDER_INLINE_PARCELS`` is placed here as the
    worker would after the commit (tests run inside one transaction that never commits)."""
    bulk_order = submit(recipients_draft(organisation, buyer, count), actor=buyer)
    if bulk_order.status == BulkOrder.Status.SUBMITTING:
        place(bulk_order.pk, bulk_order.placing_token)
        bulk_order.refresh_from_db()
    return bulk_order
