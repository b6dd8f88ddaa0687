"""Checkout through HTTP: the page, pickup and delivery orders, a cart that changed, double submits, bad input."""

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale, Site

from catalog.models import Product, Stock, StockMovement, Variant
from orders.models import Cart, Order, ShopSettings
from tests import factories
from tests.fixtures.http import messages_of
from tests.fixtures.races import run_together
from tests.storefront.shop import (
    ADDRESS,
    checkout_data,
    guest_cart,
    make_counter,
    stocked_variant,
    world_snapshot,
)

CHECKOUT = "/en/checkout/"


@pytest.fixture
def shop(warehouse):
    """Tea oil (68.00) and honey (31.00): both at counter A and the warehouse; counter B holds only tea oil."""
    counter_a = make_counter(name="德百专柜", address="德城区东风中路1号")
    counter_b = make_counter(name="华联专柜", address="德城区新湖大街2号")
    oil = stocked_variant((warehouse, 20), (counter_a, 5), (counter_b, 5), price=6800, name="秀山野生山茶油")
    honey = stocked_variant((warehouse, 10), (counter_a, 3), price=3100, name="秀山土蜂蜜")
    return {"a": counter_a, "b": counter_b, "oil": oil, "honey": honey}


@pytest.fixture
def cart(client, shop):
    return guest_cart(client, (shop["oil"], 2), (shop["honey"], 1))


def open_checkout(client):
    response = client.get(CHECKOUT)
    assert response.status_code == 200
    return response


def test_page_shows_summary_totals_and_only_counters_holding_everything(client, shop, cart):
    response = open_checkout(client)

    html = response.content.decode()
    assert [c.pk for c in response.context["counters"]] == [shop["a"].pk]
    assert "德城区东风中路1号" in html and "09:00–21:00" in html
    assert "华联专柜" not in html
    # 2 x 68.00 + 31.00 = 167.00: above the 99.00 threshold, delivery is free.
    assert "¥167.00" in html
    assert f'name="fingerprint" value="{response.context["summary"].fingerprint}"' in html
    assert 'name="checkout_token" value="' in html
    for field in ("name", "phone", "email", "province", "city", "district", "street", "postal_code", "note"):
        assert f'<label for="id_{field}">' in html, field


def test_delivery_fee_comes_from_the_operators_settings(client, shop):
    shop_settings = ShopSettings.for_site(Site.objects.get(is_default_site=True))
    shop_settings.shipping_fee, shop_settings.free_shipping_threshold = 800, 50000
    shop_settings.save()
    guest_cart(client, (shop["oil"], 2))

    html = open_checkout(client).content.decode()

    assert "Delivery fee ¥8.00" in html and "¥144.00" in html and "Delivery is free from ¥500.00" in html


def test_no_counter_holds_the_cart_so_pickup_is_not_offered(client, shop, warehouse):
    far = stocked_variant((warehouse, 9), price=1500)
    guest_cart(client, (shop["oil"], 1), (far, 1))

    response = open_checkout(client)

    assert response.context["counters"] == []
    assert "Pickup is not available for this cart" in response.content.decode()
    assert 'id="method-pickup" disabled' in response.content.decode()


def test_signed_in_customer_is_prefilled(client, shop):
    user = factories.make_user("zhangwei", first_name="伟", last_name="张")
    client.force_login(user)
    client.post("/en/cart/add/", {"variant": shop["oil"].pk, "quantity": "1"})

    form = open_checkout(client).context["form"]

    assert form["email"].value() == "zhangwei@example.com"
    assert form["name"].value() == user.get_full_name()


def test_empty_cart_or_no_cart_goes_back_to_the_cart_page(client, db):
    response = client.get(CHECKOUT, follow=True)
    assert response.redirect_chain == [("/en/cart/", 302)]
    assert messages_of(response) == ["Your cart is empty."]

    posted = client.post(CHECKOUT, {"method": "delivery"}, follow=True)
    assert posted.redirect_chain == [("/en/cart/", 302)]
    assert Order.objects.count() == 0


def test_a_cart_with_problems_is_sent_back_to_the_cart_page(client, shop, cart):
    Stock.objects.filter(variant=shop["honey"]).update(on_hand=0)

    response = client.get(CHECKOUT, follow=True)

    assert response.redirect_chain == [("/en/cart/", 302)]
    assert "Sold out." in response.content.decode()


def test_pickup_order_end_to_end(client, shop, cart):
    page = open_checkout(client)

    response = client.post(CHECKOUT, checkout_data(page.context, method="pickup", pickup_location=shop["a"].pk))

    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/en/orders/{order.token}/pay/"
    assert (order.delivery_method, order.pickup_location, order.shipping_fee, order.total) == (
        "pickup",
        shop["a"],
        0,
        16700,
    )
    assert order.contact_phone == "13812345678" and order.language == "en" and order.user is None
    assert Stock.objects.get(variant=shop["oil"], location=shop["a"]).allocated == 2
    assert Stock.objects.get(variant=shop["oil"], location=shop["b"]).allocated == 0
    assert not cart.lines.exists()

    status = client.get(f"/en/orders/{order.token}/")
    html = status.content.decode()
    assert order.number in html and "Thank you! Your order" in html
    assert "秀山野生山茶油" in html and "¥136.00" in html and "¥167.00" in html
    assert "德城区东风中路1号" in html and "09:00–21:00" in html
    assert "Awaiting payment" in html and "Order placed" in html
    assert '<span class="cart-count" aria-hidden="true">0</span>' in html


def test_delivery_order_end_to_end_with_fee_and_invoice(client, shop, warehouse):
    guest_cart(client, (shop["honey"], 2))
    page = open_checkout(client)

    response = client.post(
        CHECKOUT,
        checkout_data(
            page.context, invoice_title="德州某某有限公司", invoice_tax_id="91371400MA3C00000X", note="请工作日送达"
        ),
    )

    order = Order.objects.get()
    assert response["Location"] == f"/en/orders/{order.token}/pay/"
    # 2 x 31.00 = 62.00 < 99.00: 12.00 for delivery.
    assert (order.subtotal, order.shipping_fee, order.total) == (6200, 1200, 7400)
    assert (order.province, order.city, order.district, order.street, order.postal_code) == tuple(ADDRESS.values())
    assert order.invoice_requested and order.invoice_tax_id == "91371400MA3C00000X"
    assert order.note == "请工作日送达"
    assert Stock.objects.get(variant=shop["honey"], location=warehouse).allocated == 2

    html = client.get(f"/en/orders/{order.token}/").content.decode()
    assert "天衢中路1号" in html and "253000" in html and "¥12.00" in html and "¥74.00" in html
    assert "德州某某有限公司" in html


def test_signed_in_customers_order_is_theirs(client, shop):
    user = factories.make_user()
    client.force_login(user)
    client.post("/en/cart/add/", {"variant": shop["oil"].pk, "quantity": "1"})

    client.post(CHECKOUT, checkout_data(open_checkout(client).context))

    assert Order.objects.get().user == user


def test_price_change_between_page_and_submit_asks_again(client, shop, cart):
    page = open_checkout(client)
    Variant.objects.filter(pk=shop["oil"].pk).update(price=7000)
    before = world_snapshot()

    response = client.post(CHECKOUT, checkout_data(page.context))

    assert response.status_code == 409
    assert "Your cart has changed. Please check your order again before placing it." in messages_of(response)
    assert "Prices or shipping have changed" in " ".join(response.context["form"].non_field_errors())
    assert world_snapshot() == before
    html = response.content.decode()
    fresh = response.context["summary"].fingerprint
    assert fresh != page.context["summary"].fingerprint and f'value="{fresh}"' in html
    assert "¥140.00" in html
    assert response.context["form"]["phone"].value() == "138 1234 5678"  # what they typed is kept

    placed = client.post(CHECKOUT, checkout_data(response.context))
    order = Order.objects.get()
    assert placed["Location"] == f"/en/orders/{order.token}/pay/" and order.subtotal == 2 * 7000 + 3100


def test_product_unpublished_between_page_and_submit_asks_again(client, shop, cart):
    page = open_checkout(client)
    Product.objects.filter(pk=shop["honey"].product_id).update(is_published=False)
    before = world_snapshot()

    response = client.post(CHECKOUT, checkout_data(page.context))

    assert response.status_code == 409
    assert "is no longer available" in " ".join(response.context["form"].non_field_errors())
    assert "This cart cannot be ordered as it is." in response.content.decode()
    assert world_snapshot() == before


def test_stock_gone_between_page_and_submit_asks_again(client, shop, cart):
    page = open_checkout(client)
    Stock.objects.filter(variant=shop["honey"]).update(on_hand=0)
    before = world_snapshot()

    response = client.post(CHECKOUT, checkout_data(page.context, method="pickup", pickup_location=shop["a"].pk))

    assert response.status_code == 409
    assert "sold out" in response.content.decode()
    assert world_snapshot() == before


def test_counter_sold_out_between_page_and_submit_offers_the_others(client, shop, cart):
    page = open_checkout(client)
    Stock.objects.filter(variant=shop["oil"], location=shop["a"]).update(allocated=4)
    before = world_snapshot()

    response = client.post(CHECKOUT, checkout_data(page.context, method="pickup", pickup_location=shop["a"].pk))

    assert response.status_code == 200
    assert response.context["form"].errors["pickup_location"] == [
        "This counter does not hold enough stock for your order. Choose another."
    ]
    assert response.context["counters"] == []
    assert world_snapshot() == before


def test_double_submit_lands_on_the_same_order(client, shop, cart):
    data = checkout_data(open_checkout(client).context)

    first = client.post(CHECKOUT, data)
    second = client.post(CHECKOUT, data)

    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/en/orders/{order.token}/pay/"
    assert sum(Stock.objects.values_list("allocated", flat=True)) == 3


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "Enter a mainland China mobile number"),
        ({"phone": "1381234567a"}, "phone", "Enter a mainland China mobile number"),
        ({"phone": "23812345678"}, "phone", "Enter a mainland China mobile number"),
        ({"phone": ""}, "phone", "Enter a mainland China mobile number"),
        ({"name": "  "}, "name", "Enter your name."),
        ({"email": "not-an-address"}, "email", "Enter a valid e-mail address."),
        ({"method": "teleport"}, "method", "Select a valid choice."),
        ({"method": ""}, "method", "Choose pickup at a counter or delivery to an address."),
        ({"method": "pickup"}, "pickup_location", "Choose a counter to collect your order from."),
        ({"method": "pickup", "pickup_location": "abc"}, "pickup_location", "Choose a counter"),
        ({"method": "pickup", "pickup_location": "99999999"}, "pickup_location", "Choose a counter"),
        ({"method": "pickup", "pickup_location": "counter-b"}, "pickup_location", "does not hold enough stock"),
        ({"method": "pickup", "pickup_location": "warehouse"}, "pickup_location", "Choose a counter"),
        ({"postal_code": "25300"}, "postal_code", "Enter a 6-digit postal code."),
        ({"street": ""}, "street", "Enter the street address."),
        ({"invoice_title": "某公司", "invoice_tax_id": "bad"}, "invoice_tax_id", "A taxpayer ID has 15 to 20"),
        ({"invoice_tax_id": "91371400MA3C00000X"}, "invoice_title", "Enter the invoice title"),
        ({"note": "很" * 501}, "note", "Ensure this value has at most 500 characters"),
    ],
)
def test_bad_input_gives_a_field_error_and_changes_nothing(client, shop, warehouse, cart, changes, field, message):
    changes = {
        name: {"counter-b": shop["b"].pk, "warehouse": warehouse.pk}.get(value, value)
        for name, value in changes.items()
    }
    page = open_checkout(client)
    before = world_snapshot()

    response = client.post(CHECKOUT, checkout_data(page.context, **changes))

    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert world_snapshot() == before
    assert cart.lines.count() == 2
    html = response.content.decode()
    assert 'aria-invalid="true"' in html or field in ("method", "pickup_location")
    assert f'id="id_{field}_error"' in html


def test_bad_or_missing_hidden_fields_are_refused(client, shop, cart):
    page = open_checkout(client)
    before = world_snapshot()

    no_token = client.post(CHECKOUT, checkout_data(page.context, checkout_token=""))
    garbled = client.post(CHECKOUT, checkout_data(page.context, checkout_token="<script>"))
    no_fingerprint = client.post(CHECKOUT, checkout_data(page.context, fingerprint=""))

    assert "This checkout form is out of date" in " ".join(no_token.context["form"].non_field_errors())
    assert garbled.status_code == 200 and garbled.context["checkout_token"] != "<script>"
    assert no_fingerprint.status_code == 409
    assert world_snapshot() == before


def test_a_token_used_by_another_cart_is_refused(client, shop, cart):
    data = checkout_data(open_checkout(client).context)
    client.post(CHECKOUT, data)
    other = Client()
    guest_cart(other, (shop["oil"], 1))
    before = world_snapshot()

    response = other.post(CHECKOUT, {**data, "fingerprint": open_checkout(other).context["summary"].fingerprint})

    assert "already been used" in " ".join(response.context["form"].non_field_errors())
    assert response.context["checkout_token"] != data["checkout_token"]
    assert world_snapshot() == before


def test_checkout_post_needs_the_csrf_token(shop):
    strict = Client(enforce_csrf_checks=True)
    guest_cart(strict, (shop["oil"], 1))
    data = checkout_data(open_checkout(strict).context)

    assert strict.post(CHECKOUT, data).status_code == 403
    assert not Order.objects.exists()


def test_checkout_page_query_count_does_not_grow_with_the_lines(db, django_assert_max_num_queries):
    counter = make_counter()
    counts = []
    for lines in (1, 10):
        shopper = Client()
        variants = [
            stocked_variant((factories.make_location(kind="warehouse"), 5), (counter, 5), merchant=merchant)
            for merchant in (factories.make_merchant() for _ in range(lines))
        ]
        guest_cart(shopper, *((v, 1) for v in variants))
        open_checkout(shopper)
        with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as captured:
            response = shopper.get(CHECKOUT)
        assert len(response.context["summary"].items) == lines and response.context["counters"] == [counter]
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert Cart.objects.count() == 2


def test_a_cart_sold_out_since_the_page_is_refused_at_once_with_a_short_409(client, shop, cart):
    page = open_checkout(client)
    Stock.objects.filter(variant=shop["honey"]).update(allocated=F("on_hand"))
    before = world_snapshot()

    with CaptureQueriesContext(connection) as captured:
        response = client.post(CHECKOUT, checkout_data(page.context))

    assert response.status_code == 409
    html = response.content.decode()
    honey = f"秀山土蜂蜜 {shop['honey'].name}"
    assert f"Sorry, {honey} is sold out or not enough is left (0). Please check your cart." in html
    assert 'href="/en/cart/"' in html and "Back to your cart" in html
    assert 'name="phone"' not in html and 'type="submit" class="button--large"' not in html
    assert "<h1>Sold out</h1>" in html and 'class="site-nav"' not in html  # the light shell of the busy page
    # Refused before the cart is priced: no order or stock row read for update, no counters, no pricing.
    sqls = [q["sql"] for q in captured.captured_queries]
    assert not [sql for sql in sqls if "FOR UPDATE" in sql]
    assert not [sql for sql in sqls if sql.startswith('SELECT "catalog_location"')]
    assert not [sql for sql in sqls if 'FROM "orders_order"' in sql]
    # The cart is found in the statement reading its lines: a late buyer costs two small reads.
    assert not [sql for sql in sqls if sql.startswith("SELECT * FROM orders_cart")], sqls
    assert len(sqls) <= 5, sqls
    assert world_snapshot() == before


def test_a_cart_with_enough_left_in_all_the_warehouses_together_is_not_refused_early(client, shop, cart):
    """The early refusal only ever refuses what no plan could serve; the rest goes to ``place_order``."""
    page = open_checkout(client)
    response = client.post(CHECKOUT, checkout_data(page.context))

    assert response.status_code == 302
    assert Order.objects.count() == 1


def test_field_errors_on_a_cart_that_cannot_be_ordered_still_show_the_fields(client, shop, cart):
    page = open_checkout(client)
    Variant.objects.filter(pk=shop["honey"].pk).update(is_active=False)

    response = client.post(CHECKOUT, checkout_data(page.context, phone="12345"))

    html = response.content.decode()
    assert 'id="id_phone_error"' in html and "This cart cannot be ordered as it is." in html


@pytest.mark.django_db(transaction=True)
def test_a_rush_of_buyers_through_the_page_gets_exactly_the_units_and_409s_for_the_rest(settings):
    settings.CHECKOUT_RATE_LIMIT = "0"  # every buyer comes from the test's one address
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)  # gone if an earlier test flushed it
    warehouse = factories.make_location(kind="warehouse")
    units, buyers = 5, 24
    variant = stocked_variant((warehouse, units), price=5900)
    shoppers = []
    for _ in range(buyers):
        shopper = Client()
        guest_cart(shopper, (variant, 1))
        shoppers.append((shopper, checkout_data(open_checkout(shopper).context)))

    responses = run_together(*[lambda s=s, d=d: s.post(CHECKOUT, d) for s, d in shoppers])

    assert [r for r in responses if isinstance(r, BaseException)] == []
    placed = [r for r in responses if r.status_code == 302]
    refused = [r for r in responses if r.status_code == 409]
    assert (len(placed), len(refused)) == (units, buyers - units)
    assert all(r["Location"].startswith("/en/orders/") and r["Location"].endswith("/pay/") for r in placed)
    assert all("sold out" in r.content.decode() for r in refused)
    stock = Stock.objects.get(variant=variant, location=warehouse)
    assert (stock.on_hand, stock.allocated) == (units, units)  # 0 oversold
    assert Order.objects.count() == units and StockMovement.objects.filter(kind="allocate").count() == units
