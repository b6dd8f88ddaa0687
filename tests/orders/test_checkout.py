import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Site

from catalog.models import Location, Stock, StockMovement, Variant
from catalog.services import InsufficientStock
from orders.checkout import (
    CartChanged,
    CheckoutError,
    Contact,
    Delivery,
    Invoice,
    SoldOut,
    can_deliver,
    cart_summary,
    new_checkout_token,
    pickup_counters_for_cart,
)
from orders.models import Cart, Fulfilment, Order, OrderEvent, OrderLine, ShopSettings
from orders.selectors import customer_orders, get_order_by_token
from tests import factories
from tests.orders.helpers import (
    ADDRESS,
    CONTACT,
    cart_with,
    checkout,
    pickup_at,
    stock_of,
    stock_snapshot,
    stocked_variant,
)


@pytest.fixture
def two_merchants(merchants, warehouse, warehouse2):
    """Tea oil (68.00) from the first warehouse, brocade (12.50) and honey (31.00) from the second."""
    tea_oil_coop, brocade_workshop = merchants
    tea_oil = stocked_variant((warehouse, 20), price=6800, merchant=tea_oil_coop)
    brocade = stocked_variant((warehouse2, 20), price=1250, merchant=brocade_workshop)
    honey = stocked_variant((warehouse2, 20), price=3100, merchant=tea_oil_coop)
    return tea_oil, brocade, honey


def test_delivery_below_the_threshold_pays_the_flat_fee_to_the_fen(two_merchants, warehouse, warehouse2):
    tea_oil, brocade, _honey = two_merchants
    cart = cart_with((tea_oil, 1), (brocade, 2))

    order = checkout(cart)

    # 68.00 + 2 x 12.50 = 93.00 < 99.00, so 12.00 shipping.
    assert (order.subtotal, order.shipping_fee, order.total) == (9300, 1200, 10500)
    assert order.currency == "CNY" and order.status == "pending_payment"
    lines = {line.sku: line for line in order.lines.all()}
    assert lines[tea_oil.sku].line_total == 6800 and lines[tea_oil.sku].location == warehouse
    assert lines[brocade.sku].line_total == 2500 and lines[brocade.sku].location == warehouse2


def test_delivery_at_or_above_the_threshold_ships_free(two_merchants, warehouse):
    tea_oil, brocade, honey = two_merchants

    at_threshold = checkout(cart_with((tea_oil, 1), (honey, 1)))
    above = checkout(cart_with((tea_oil, 1), (brocade, 3)))
    just_below = checkout(cart_with((stocked_variant((warehouse, 5), price=9899), 1)))

    assert (at_threshold.subtotal, at_threshold.shipping_fee, at_threshold.total) == (9900, 0, 9900)
    assert (above.subtotal, above.shipping_fee, above.total) == (10550, 0, 10550)
    assert (just_below.subtotal, just_below.shipping_fee, just_below.total) == (9899, 1200, 11099)


def test_shipping_rule_comes_from_the_operators_settings(two_merchants):
    tea_oil, brocade, _honey = two_merchants
    shop = ShopSettings.for_site(Site.objects.get(is_default_site=True))
    shop.shipping_fee, shop.free_shipping_threshold = 800, 20000
    shop.save()
    cart = cart_with((tea_oil, 1), (brocade, 3))

    summary = cart_summary(cart)
    order = checkout(cart)

    assert (summary.subtotal, summary.shipping_fee, summary.total, summary.amount_to_free_shipping) == (
        10550,
        800,
        11350,
        9450,
    )
    assert (order.subtotal, order.shipping_fee, order.total) == (10550, 800, 11350)


def test_the_shipping_rule_is_read_once_and_a_saved_change_applies_at_once(two_merchants):
    tea_oil, _brocade, _honey = two_merchants
    cart = cart_with((tea_oil, 1))
    assert cart_summary(cart).shipping_fee == 1200

    with CaptureQueriesContext(connection) as captured:
        cart_summary(cart)
    assert not [q for q in captured.captured_queries if "orders_shopsettings" in q["sql"]]

    shop = ShopSettings.for_site(Site.objects.get(is_default_site=True))
    shop.shipping_fee = 500
    shop.save()
    assert cart_summary(cart).shipping_fee == 500


def test_lines_are_grouped_into_fulfilments_per_merchant_and_location(two_merchants, merchants, warehouse, warehouse2):
    tea_oil, brocade, honey = two_merchants
    tea_oil_coop, brocade_workshop = merchants

    order = checkout(cart_with((tea_oil, 2), (brocade, 1), (honey, 1)))

    groups = {(f.merchant, f.location): sorted(f.lines.values_list("sku", flat=True)) for f in order.fulfilments.all()}
    assert groups == {
        (tea_oil_coop, warehouse): [tea_oil.sku],
        (brocade_workshop, warehouse2): [brocade.sku],
        (tea_oil_coop, warehouse2): [honey.sku],
    }
    assert set(order.fulfilments.values_list("status", "method")) == {("pending", "delivery")}
    # 2 x 68.00 + 12.50 + 31.00 = 179.50, free shipping.
    assert (order.subtotal, order.shipping_fee, order.total) == (17950, 0, 17950)


def test_placing_reserves_stock_with_ledger_entries_and_snapshots_the_lines(two_merchants, warehouse):
    tea_oil, _brocade, _honey = two_merchants
    user = factories.make_user()
    before = timezone.now()

    order = checkout(cart_with((tea_oil, 3)), user=user, language="en")

    stock = stock_of(tea_oil, warehouse)
    assert (stock.on_hand, stock.allocated) == (20, 3)
    movement = StockMovement.objects.get(kind=StockMovement.Kind.ALLOCATE)
    assert (movement.allocated_change, movement.quantity, movement.reference, movement.actor) == (
        3,
        0,
        order.number,
        user,
    )
    line = order.lines.get()
    Variant.objects.filter(pk=tea_oil.pk).update(price=9999, name="改名了")
    line.refresh_from_db()
    assert (line.product_name, line.variant_name, line.unit_price, line.merchant_name, line.location_name) == (
        tea_oil.product.name,
        tea_oil.name,
        6800,
        tea_oil.product.merchant.name,
        warehouse.name,
    )
    assert re.fullmatch(r"DX\d{8}-\d{6,}", order.number)
    assert order.number.endswith(f"-{order.pk:06d}")
    assert len(order.token) >= 32 and order.user == user and order.language == "en"
    assert before + timedelta(minutes=29) < order.expires_at <= timezone.now() + timedelta(minutes=30)
    event = order.events.get()
    assert (event.kind, event.to_status, event.actor) == ("placed", "pending_payment", user)
    assert get_order_by_token(order.token) == order


def test_the_cart_is_emptied_after_placing(two_merchants):
    tea_oil, _brocade, _honey = two_merchants
    cart = cart_with((tea_oil, 1))

    checkout(cart)

    assert Cart.objects.filter(pk=cart.pk).exists() and not cart.lines.exists()


@override_settings(ORDER_RESERVATION_MINUTES=5)
def test_reservation_time_is_a_setting(two_merchants):
    order = checkout(cart_with((two_merchants[0], 1)))

    assert order.expires_at - order.created_at == timedelta(minutes=5)


def test_delivery_splits_a_line_over_warehouses_when_none_holds_enough(merchants, warehouse, warehouse2):
    variant = stocked_variant((warehouse, 3), (warehouse2, 4), price=500, merchant=merchants[0])

    order = checkout(cart_with((variant, 6)))

    assert sorted(order.lines.values_list("location__code", "quantity")) == [("xs-wh", 2), ("xs-wh2", 4)]
    assert order.fulfilments.count() == 2
    assert (order.subtotal, order.shipping_fee, order.total) == (3000, 1200, 4200)
    assert (stock_of(variant, warehouse).allocated, stock_of(variant, warehouse2).allocated) == (2, 4)


def test_pickup_at_a_counter_holding_everything(merchants, warehouse, counter):
    tea_oil_coop, brocade_workshop = merchants
    other_counter = factories.make_location(name="陵城专柜", address="陵城区某路2号", opening_hours="9:00-21:00")
    tea_oil = stocked_variant((warehouse, 50), (counter, 5), (other_counter, 5), price=6800, merchant=tea_oil_coop)
    brocade = stocked_variant((warehouse, 50), (counter, 5), price=1250, merchant=brocade_workshop)
    cart = cart_with((tea_oil, 2), (brocade, 1))

    assert list(pickup_counters_for_cart(cart)) == [counter]
    order = checkout(cart, pickup_at(counter))

    assert order.delivery_method == "pickup" and order.pickup_location == counter
    # Pickup never pays shipping: 2 x 68.00 + 12.50.
    assert (order.subtotal, order.shipping_fee, order.total) == (14850, 0, 14850)
    assert {(f.merchant, f.location, f.method) for f in order.fulfilments.all()} == {
        (tea_oil_coop, counter, "pickup"),
        (brocade_workshop, counter, "pickup"),
    }
    assert (stock_of(tea_oil, counter).allocated, stock_of(brocade, counter).allocated) == (2, 1)
    assert stock_of(tea_oil, warehouse).allocated == 0
    assert (order.province, order.street, order.postal_code) == ("", "", "")


def test_pickup_counters_need_enough_of_every_line(merchants, counter):
    rich = factories.make_location(name="齐河专柜")
    closed = factories.make_location(name="关闭的专柜", is_active=False)
    tea_oil = stocked_variant((counter, 2), (rich, 9), (closed, 9))
    brocade = stocked_variant((counter, 9), (rich, 9), (closed, 9))
    Stock.objects.filter(variant=tea_oil, location=rich).update(allocated=6)

    cart = cart_with((tea_oil, 3), (brocade, 3))

    assert list(pickup_counters_for_cart(cart)) == [rich]
    cart.lines.filter(variant=tea_oil).update(quantity=4)
    assert list(pickup_counters_for_cart(cart)) == []
    assert list(pickup_counters_for_cart(Cart.objects.create())) == []


def test_pickup_at_a_counter_without_the_stock_is_refused_and_nothing_changes(warehouse, counter):
    bare_counter = factories.make_location(name="空专柜")
    variant = stocked_variant((warehouse, 10), (counter, 10), (bare_counter, 1))
    cart = cart_with((variant, 2))
    before = stock_snapshot()

    with pytest.raises(CheckoutError) as refused:
        checkout(cart, pickup_at(bare_counter))

    assert "pickup_location" in refused.value.errors
    assert stock_snapshot() == before
    assert not Order.objects.exists() and cart.lines.get().quantity == 2


def test_pickup_at_a_warehouse_or_unknown_location_is_refused(warehouse):
    variant = stocked_variant((warehouse, 10))
    cart = cart_with((variant, 1))

    for location in (warehouse.pk, 999999, "x", None):
        with pytest.raises(CheckoutError) as refused:
            checkout(cart, Delivery(method="pickup", pickup_location=location))
        assert list(refused.value.errors) == ["pickup_location"]
    assert not Order.objects.exists()


def test_delivery_needs_warehouse_stock(warehouse, counter):
    variant = stocked_variant((counter, 10))
    cart = cart_with((variant, 2))
    before = stock_snapshot()

    assert not can_deliver(cart_summary(cart).quantities)
    with pytest.raises(SoldOut, match="sold out"):
        checkout(cart)

    assert stock_snapshot() == before and not Order.objects.exists()


@pytest.mark.parametrize(
    ("contact", "delivery", "field"),
    [
        (Contact("张伟", "12345678901", "a@example.com"), ADDRESS, "phone"),
        (Contact("张伟", "1381234567", "a@example.com"), ADDRESS, "phone"),
        (Contact("张伟", "138123456789", "a@example.com"), ADDRESS, "phone"),
        (Contact("张伟", "1381234567a", "a@example.com"), ADDRESS, "phone"),
        (Contact("张伟", "", "a@example.com"), ADDRESS, "phone"),
        (Contact("张伟", "13812345678", "not-an-email"), ADDRESS, "email"),
        (Contact("  ", "13812345678", "a@example.com"), ADDRESS, "name"),
        (Contact("张" * 65, "13812345678", "a@example.com"), ADDRESS, "name"),
        (CONTACT, Delivery(method="drone"), "method"),
        (
            CONTACT,
            Delivery(method="delivery", city="德州市", district="德城区", street="x", postal_code="253000"),
            "province",
        ),
        (
            CONTACT,
            Delivery(
                method="delivery", province="山东省", city="德州市", district="德城区", street="x", postal_code="25300"
            ),
            "postal_code",
        ),
        (
            CONTACT,
            Delivery(
                method="delivery", province="山东省", city="德州市", district="德城区", street="", postal_code="253000"
            ),
            "street",
        ),
    ],
)
def test_bad_contact_or_address_gives_field_errors_and_changes_nothing(warehouse, contact, delivery, field):
    variant = stocked_variant((warehouse, 10))
    cart = cart_with((variant, 1))
    before = stock_snapshot()

    with pytest.raises(CheckoutError) as refused:
        checkout(cart, delivery, contact=contact)

    assert field in refused.value.errors and refused.value.errors[field][0]
    assert stock_snapshot() == before and not Order.objects.exists()


def test_phone_numbers_with_spaces_or_country_code_are_accepted(warehouse):
    variant = stocked_variant((warehouse, 10))

    order = checkout(cart_with((variant, 1)), contact=Contact("李娜", "+86 138-1234-5678", "lina@example.com"))

    assert order.contact_phone == "13812345678"


def test_nul_characters_in_form_text_are_dropped_not_a_crash(warehouse):
    variant = stocked_variant((warehouse, 10))

    order = checkout(
        cart_with((variant, 1)), contact=Contact("张\x00伟", "13812345678", "a@example.com"), note="下午\x00送"
    )

    assert (order.contact_name, order.note) == ("张伟", "下午送")


def test_invoice_and_note_are_kept_and_checked(warehouse):
    variant = stocked_variant((warehouse, 10))

    with pytest.raises(CheckoutError) as refused:
        checkout(cart_with((variant, 1)), invoice=Invoice(title="德州某公司", tax_id="123"))
    assert list(refused.value.errors) == ["invoice_tax_id"]
    with pytest.raises(CheckoutError) as refused:
        checkout(cart_with((variant, 1)), invoice=Invoice(tax_id="91371400MA3C8XXXXA"))
    assert list(refused.value.errors) == ["invoice_title"]

    order = checkout(
        cart_with((variant, 1)), invoice=Invoice(title="德州某公司", tax_id="91371400ma3c8xxxxa"), note="请下午送"
    )
    plain = checkout(cart_with((variant, 1)), invoice=Invoice())

    assert (order.invoice_requested, order.invoice_title, order.invoice_tax_id) == (
        True,
        "德州某公司",
        "91371400MA3C8XXXXA",
    )
    assert order.note == "请下午送"
    assert (plain.invoice_requested, plain.invoice_title) == (False, "")


def test_empty_cart_cannot_be_placed(warehouse):
    with pytest.raises(CheckoutError, match="empty"):
        checkout(Cart.objects.create())


def test_price_change_since_the_cart_was_shown_asks_again(warehouse):
    variant = stocked_variant((warehouse, 10), price=1000)
    cart = cart_with((variant, 2))
    seen = cart_summary(cart).fingerprint
    Variant.objects.filter(pk=variant.pk).update(price=1100)
    before = stock_snapshot()

    with pytest.raises(CartChanged, match="changed"):
        checkout(cart, fingerprint=seen)

    assert stock_snapshot() == before and not Order.objects.exists()
    assert checkout(cart).total == 2200 + 1200


def test_shipping_rule_change_since_the_cart_was_shown_asks_again(warehouse):
    variant = stocked_variant((warehouse, 10), price=1000)
    cart = cart_with((variant, 2))
    seen = cart_summary(cart).fingerprint
    shop = ShopSettings.for_site(Site.objects.get(is_default_site=True))
    shop.shipping_fee = 1500
    shop.save()

    with pytest.raises(CartChanged):
        checkout(cart, fingerprint=seen)


def test_unpublished_product_since_the_cart_was_shown_asks_again(warehouse):
    keep = stocked_variant((warehouse, 10))
    withdrawn = stocked_variant((warehouse, 10))
    cart = cart_with((keep, 1), (withdrawn, 1))
    seen = cart_summary(cart).fingerprint
    withdrawn.product.is_published = False
    withdrawn.product.save()
    before = stock_snapshot()

    with pytest.raises(CartChanged, match="no longer available"):
        checkout(cart, fingerprint=seen)

    assert stock_snapshot() == before and not Order.objects.exists()


def test_stock_gone_since_the_cart_was_shown_says_sold_out(warehouse):
    variant = stocked_variant((warehouse, 3))
    mine, theirs = cart_with((variant, 2)), cart_with((variant, 2))
    seen = cart_summary(mine).fingerprint
    checkout(theirs)
    before = stock_snapshot()

    with pytest.raises(SoldOut, match="sold out") as refused:
        checkout(mine, fingerprint=seen)

    assert isinstance(refused.value, InsufficientStock) and isinstance(refused.value, CartChanged)
    assert stock_snapshot() == before and Order.objects.count() == 1


def test_double_submit_with_the_same_checkout_token_gives_one_order(warehouse):
    variant = stocked_variant((warehouse, 10))
    cart = cart_with((variant, 2))
    token = new_checkout_token()
    fingerprint = cart_summary(cart).fingerprint

    first = checkout(cart, checkout_token=token, fingerprint=fingerprint)
    second = checkout(cart, checkout_token=token, fingerprint=fingerprint)

    assert first.pk == second.pk
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1
    assert stock_of(variant, warehouse).allocated == 2
    assert StockMovement.objects.filter(kind="allocate").count() == 1


def test_a_used_checkout_token_is_not_an_order_for_another_cart(warehouse):
    variant = stocked_variant((warehouse, 10))
    token = new_checkout_token()
    mine = checkout(cart_with((variant, 1)), checkout_token=token)

    with pytest.raises(CheckoutError, match="already been used"):
        checkout(cart_with((variant, 1)), checkout_token=token)

    assert Order.objects.get() == mine


def test_missing_checkout_token_is_refused(warehouse):
    variant = stocked_variant((warehouse, 10))
    cart = cart_with((variant, 1))

    for token in ("", "   ", "x" * 65, "abc\x00def", None):
        with pytest.raises(CheckoutError, match="out of date"):
            checkout(cart, checkout_token=token)
    assert not Order.objects.exists()


def test_order_and_line_totals_are_guarded_by_the_database(warehouse):
    order = checkout(cart_with((stocked_variant((warehouse, 10), price=700), 2)))

    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(total=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(order=order).update(line_total=1)
    assert Order.objects.get(pk=order.pk).total == 1400 + 1200


def test_inactive_warehouse_does_not_serve_delivery(warehouse, warehouse2):
    variant = stocked_variant((warehouse, 5), (warehouse2, 5))
    Location.objects.filter(pk=warehouse.pk).update(is_active=False)

    order = checkout(cart_with((variant, 3)))

    assert order.lines.get().location == warehouse2
    assert Fulfilment.objects.get(order=order).location == warehouse2
    assert OrderEvent.objects.filter(order=order, kind="placed").count() == 1


def test_order_lookups_by_token_and_by_customer(warehouse):
    customer, stranger = factories.make_user(), factories.make_user()
    order = checkout(cart_with((stocked_variant((warehouse, 10)), 1)), user=customer)

    assert get_order_by_token(order.token) == order
    for bad in ("", "nope", order.token + "\x00", "x" * 65, None):
        assert get_order_by_token(bad) is None
    assert list(customer_orders(customer)) == [order]
    assert list(customer_orders(stranger)) == []
    assert list(customer_orders(AnonymousUser())) == []
