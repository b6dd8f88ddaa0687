"""Two merchants, their users, an operator and two counters' staff, for back-office tests."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.urls import reverse

from catalog.models import Location, Merchant, Product, Stock, Variant
from catalog.services import receive_stock
from core import roles
from tests import factories
from tests.fixtures.users import english_admin

PRODUCT = "wagtailsnippets_catalog_product"
CHOOSER = "wagtailsnippetchoosers_catalog_product"


@dataclass
class World:
    merchant_a: Merchant
    merchant_b: Merchant
    alice: User  # member of merchant A
    bob: User  # member of merchant B
    operator: User
    carol: User  # counter staff of counter 1
    dave: User  # counter staff of counter 2
    warehouse: Location
    counter1: Location
    counter2: Location
    product_a: Product
    product_b: Product

    @property
    def variant_a(self) -> Variant:
        return self.product_a.variants.get()

    @property
    def variant_b(self) -> Variant:
        return self.product_b.variants.get()

    def stock(self, variant: Variant, location: Location) -> Stock:
        return Stock.objects.get(variant=variant, location=location)


def build_world() -> World:
    merchant_a = factories.make_merchant("秀山红安茶油合作社")
    merchant_b = factories.make_merchant("贵措脐橙种植场")
    alice = factories.make_merchant_user(merchant_a, "alice")
    bob = factories.make_merchant_user(merchant_b, "bob")
    operator = factories.make_user("operator", group=roles.OPERATORS)
    carol = factories.make_user("carol", group=roles.COUNTER_STAFF)
    dave = factories.make_user("dave", group=roles.COUNTER_STAFF)
    warehouse = factories.make_location(Location.Kind.WAREHOUSE, name="秀山产地仓", code="xs-wh")
    counter1 = factories.make_location(name="德百专柜", code="dz-decheng", staff=(carol,))
    counter2 = factories.make_location(name="乐陵专柜", code="dz-leling", staff=(dave,))
    product_a = factories.make_product(merchant_a, name="红安山茶油礼盒")
    product_b = factories.make_product(merchant_b, name="贵措脐橙十斤装")
    for user in (alice, bob, operator, carol, dave):
        english_admin(user)  # tests read the English messages; the Chinese admin is the translators' business
    for product in (product_a, product_b):
        variant = product.variants.get()
        for location, quantity in ((warehouse, 50), (counter1, 10), (counter2, 7)):
            receive_stock(variant=variant, location=location, quantity=quantity, actor=operator, reason="首批入库")
    return World(
        merchant_a, merchant_b, alice, bob, operator, carol, dave, warehouse, counter1, counter2, product_a, product_b
    )


def url(name: str, *args) -> str:
    return reverse(name, args=args)
