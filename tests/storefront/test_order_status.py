"""The order status page (by unguessable token only) and cancelling an unpaid order from it."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Stock, StockMovement
from orders.fulfilment import mark_fulfilment_shipped
from orders.models import Order, OrderEvent
from orders.payments import mark_paid
from tests.fixtures.http import messages_of
from tests.orders.helpers import ADDRESS, cart_with, checkout, pickup_at
from tests.storefront.shop import make_counter, stocked_variant, world_snapshot


@pytest.fixture
def counter_a(db):
    return make_counter(name="德百专柜", address="德城区东风中路1号")


@pytest.fixture
def oil(warehouse, counter_a):
    return stocked_variant((warehouse, 10), (counter_a, 4), price=6800, name="秀山野生山茶油")


@pytest.fixture
def pickup_order(oil, counter_a):
    return checkout(cart_with((oil, 3)), pickup_at(counter_a))


def status_url(order: Order) -> str:
    return f"/en/orders/{order.token}/"


def test_status_page_shows_number_status_lines_totals_counter_and_timeline(client, pickup_order):
    response = client.get(status_url(pickup_order))

    html = response.content.decode()
    assert response.status_code == 200
    assert pickup_order.number in html and "Pending payment" in html and "Awaiting payment" in html
    assert "秀山野生山茶油" in html and "¥68.00" in html and "¥204.00" in html
    assert "德百专柜" in html and "德城区东风中路1号" in html and "09:00–21:00" in html
    assert [entry.title for entry in response.context["timeline"]] == ["Order placed"]
    assert 'action="/en/orders/' in html and "Cancel this order" in html
    assert '<meta name="robots" content="noindex">' in html


def test_the_page_of_an_order_awaiting_payment_reads_neither_its_history_nor_its_parts(client, oil):
    """Every buyer of a flash sale opens this page right after checkout: it has only been placed."""
    order = checkout(cart_with((oil, 1)), ADDRESS)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(status_url(order))

    assert [entry.title for entry in response.context["timeline"]] == ["Order placed"]
    assert "Awaiting payment" in response.content.decode()
    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert "orders_orderevent" not in read and "orders_fulfilment" not in read


def test_delivery_order_shows_the_address_and_the_parcels_progress(client, oil, operator):
    order = checkout(cart_with((oil, 1)), ADDRESS)
    mark_paid(order, actor=operator)
    mark_fulfilment_shipped(order.fulfilments.get(), actor=operator, carrier="顺丰", tracking_number="SF1234567890")
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, note="内部备注：客户来电")

    html = client.get(status_url(order)).content.decode()

    assert "天衢中路1号" in html and "253000" in html
    assert "SF1234567890" in html and "顺丰" in html
    assert "Paid" in html and "Shipped" in html
    assert "内部备注" not in html  # internal notes stay in the back office
    assert "Cancel this order" not in html and "Awaiting payment" not in html


@pytest.mark.parametrize("token", ["no-such-order", "x" * 65, "%00", "..", "a b"])
def test_unknown_token_is_404(client, pickup_order, token):
    assert client.get(f"/en/orders/{token}/").status_code == 404


def test_order_number_or_id_does_not_open_the_page(client, pickup_order):
    assert client.get(f"/en/orders/{pickup_order.number}/").status_code == 404
    assert client.get(f"/en/orders/{pickup_order.pk}/").status_code == 404


def test_cancel_releases_the_stock_at_once(client, pickup_order, oil, counter_a):
    assert Stock.objects.get(variant=oil, location=counter_a).allocated == 3

    response = client.post(f"{status_url(pickup_order)}cancel/", follow=True)

    pickup_order.refresh_from_db()
    assert response.redirect_chain == [(status_url(pickup_order), 302)]
    assert pickup_order.status == "cancelled"
    assert messages_of(response) == ["Your order has been cancelled."]
    assert Stock.objects.get(variant=oil, location=counter_a).allocated == 0
    assert StockMovement.objects.filter(reference=pickup_order.number, kind="release").count() == 1
    html = response.content.decode()
    assert "Cancelled" in html and "Cancel this order" not in html
    assert [entry.title for entry in response.context["timeline"]] == ["Order placed", "Cancelled"]


def test_cancelling_a_paid_or_cancelled_order_is_409_and_changes_nothing(client, pickup_order, operator):
    mark_paid(pickup_order, actor=operator)
    before = world_snapshot(), OrderEvent.objects.count()

    response = client.post(f"{status_url(pickup_order)}cancel/")

    assert response.status_code == 409
    assert messages_of(response) == ["An order that is paid cannot become cancelled."]
    assert (world_snapshot(), OrderEvent.objects.count()) == before
    pickup_order.refresh_from_db()
    assert pickup_order.status == "paid"

    as_json = client.post(f"{status_url(pickup_order)}cancel/", HTTP_ACCEPT="application/json")
    assert as_json.status_code == 409 and "cannot become cancelled" in as_json.json()["error"]


def test_cancel_twice_is_409_the_second_time(client, pickup_order):
    client.post(f"{status_url(pickup_order)}cancel/")
    before = world_snapshot()

    again = client.post(f"{status_url(pickup_order)}cancel/")

    assert again.status_code == 409 and world_snapshot() == before


def test_cancel_is_post_only_with_csrf_and_404_for_unknown_tokens(pickup_order):
    strict = Client(enforce_csrf_checks=True)

    assert strict.get(f"{status_url(pickup_order)}cancel/").status_code == 405
    assert strict.post(f"{status_url(pickup_order)}cancel/").status_code == 403
    assert Client().post("/en/orders/no-such-order/cancel/").status_code == 404
    pickup_order.refresh_from_db()
    assert pickup_order.status == "pending_payment"


def test_the_history_names_the_merchant_of_each_parcel_in_the_shoppers_language(client, oil, operator):
    merchant = oil.product.merchant
    merchant.name, merchant.name_en = "秀山茶油合作社", "Xiushan Tea Oil Co-op"
    merchant.save()
    order = checkout(cart_with((oil, 1)), ADDRESS)
    mark_paid(order, actor=operator)
    mark_fulfilment_shipped(order.fulfilments.get(), actor=operator, carrier="顺丰", tracking_number="SF1234567890")

    english = [entry.title for entry in client.get(status_url(order)).context["timeline"]]
    chinese = [entry.title for entry in client.get(f"/orders/{order.token}/").context["timeline"]]

    assert "Xiushan Tea Oil Co-op: Shipped" in english and english[:2] == ["Order placed", "Paid"]
    assert any(title.startswith("秀山茶油合作社") for title in chinese)
