"""Builders for the aid-ledger tests: merchants in different places, paid orders, refunds, counter sales."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from catalog.models import Certificate, Location, Merchant, Variant
from catalog.regions import DezhouCounty, XiushanTownship
from catalog.services import receive_stock
from orders.counter.services import record_counter_sale
from orders.models import CounterSale, Order, Payment, PaymentProvider
from orders.payments.services import apply_intent_succeeded
from tests import factories
from tests.orders.helpers import cart_with, checkout, pickup_at


def pay(order: Order) -> Order:
    """Pay the order the way a confirmed payment does (a demo payment row, then ``apply_intent_succeeded``)."""
    payment = Payment.objects.create(
        order=order,
        provider=PaymentProvider.DEMO,
        intent_id=f"demo_{uuid.uuid4().hex}",
        amount=order.total,
        currency=order.currency,
        method_type="demo",
    )
    apply_intent_succeeded(payment, amount=order.total, currency=order.currency, method_type="demo")
    order.refresh_from_db()
    return order


def order_of(*variants_and_quantities, delivery=None) -> Order:
    cart = cart_with(*variants_and_quantities)
    return checkout(cart, delivery) if delivery is not None else checkout(cart)


def certify(*merchants: Merchant) -> list[Certificate]:
    """An approved producer aid certificate for each merchant, valid for a year: its sales from now on count as
    aid (the figures count certified sales only)."""
    until = timezone.localdate() + timedelta(days=365)
    return [factories.make_certificate(m, until, number=f"XSXF-TEST-{m.pk:04d}") for m in merchants]


def sell_at_counter(counter: Location, *variants_and_quantities, staff=None) -> CounterSale:
    return record_counter_sale(counter, [(v.pk, q) for v, q in variants_and_quantities], actor=staff)


@dataclass
class Programme:
    """Three merchants in three townships paired with three Dezhou divisions, two categories, two counters."""

    oil_coop: Merchant
    brocade: Merchant
    veg_farm: Merchant
    warehouse: Location
    decheng_counter: Location
    lingcheng_counter: Location
    oil: Variant  # 38.00, tea oil, oil_coop
    orange: Variant  # 25.00, citrus, brocade
    cabbage: Variant  # 12.90, citrus category too, veg_farm
    oil_category_id: int
    fruit_category_id: int


def programme() -> Programme:
    oil_coop = factories.make_merchant(
        "秀山油茶合作社",
        township=XiushanTownship.HONGAN,
        village="贵措社区",
        paired_county=DezhouCounty.DECHENG,
        households_benefited=120,
    )
    brocade = factories.make_merchant(
        "隘口果园", township=XiushanTownship.AIKOU, paired_county=DezhouCounty.LINGCHENG, households_benefited=80
    )
    veg_farm = factories.make_merchant(
        "官庄蔬菜园", township=XiushanTownship.GUANZHUANG, paired_county=DezhouCounty.YUCHENG, households_benefited=30
    )
    oil_category = factories.make_category("油茶")
    fruit_category = factories.make_category("果蔬")
    warehouse = factories.make_location(kind="warehouse")
    decheng = factories.make_location(county=DezhouCounty.DECHENG)
    lingcheng = factories.make_location(county=DezhouCounty.LINGCHENG)
    oil = factories.make_product(oil_coop, category=oil_category, price=3800).variants.get()
    orange = factories.make_product(brocade, category=fruit_category, price=2500).variants.get()
    cabbage = factories.make_product(veg_farm, category=fruit_category, price=1290).variants.get()
    for variant in (oil, orange, cabbage):
        for location in (warehouse, decheng, lingcheng):
            receive_stock(variant=variant, location=location, quantity=20, actor=None, reason="入库")
    return Programme(
        oil_coop,
        brocade,
        veg_farm,
        warehouse,
        decheng,
        lingcheng,
        oil,
        orange,
        cabbage,
        oil_category.pk,
        fruit_category.pk,
    )


__all__ = ["Programme", "certify", "order_of", "pay", "pickup_at", "programme", "sell_at_counter"]
