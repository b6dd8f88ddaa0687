"""Refunding from the back office: operators refund the whole order or chosen lines, with a reason and
optionally returning the goods to stock. Stripe is the recorded-response fake client (real SDK code,
canned answers), so the refund request the project sends can be asserted."""

from dataclasses import dataclass

import pytest
from django.test import Client

from catalog.models import StockMovement
from orders.models import Order, OrderLine, OrderStatus, Refund
from orders.payments.client import stripe_client
from orders.payments.services import reconcile_payments
from tests.catalog.admin_world import url
from tests.fixtures.http import messages_of
from tests.orders.helpers import cart_with, checkout, pickup_at
from tests.payments.helpers import RecordedStripe, recorded_intent, stripe_payment


@dataclass
class Paid:
    order: Order
    line_a: OrderLine  # two units of A
    line_b: OrderLine  # one unit of B
    stripe: RecordedStripe


@pytest.fixture
def paid(world, monkeypatch) -> Paid:
    """Two of A and one of B collected at counter 1, paid through Stripe; refunds answer "succeeded"."""
    order = checkout(cart_with((world.variant_a, 2), (world.variant_b, 1)), pickup_at(world.counter1))
    stripe_payment(order, "pi_recorded_1")
    fake = RecordedStripe(
        {
            ("get", "/v1/payment_intents/pi_recorded_1"): recorded_intent(order, status="succeeded"),
            ("post", "/v1/refunds"): {"id": "re_1", "object": "refund", "status": "succeeded", "currency": "cny"},
        }
    )
    assert reconcile_payments(client=stripe_client(http_client=fake)) == 1
    fake.requests.clear()
    monkeypatch.setattr("orders.payments.services.stripe_client", lambda: stripe_client(http_client=fake))
    order.refresh_from_db()
    return Paid(order, order.lines.get(variant=world.variant_a), order.lines.get(variant=world.variant_b), fake)


def refund(client, order, **data):
    return client.post(url("orders:refund", order.pk), {"scope": "whole", "reason": "顾客退货", **data})


def test_operator_refunds_one_unit_of_a_line_and_returns_it_to_stock(client, world, paid):
    client.force_login(world.operator)
    before = world.stock(world.variant_a, world.counter1).on_hand

    response = refund(
        client, paid.order, scope="lines", **{f"line_{paid.line_a.pk}": "1"}, restock="on", reason="包装破损"
    )

    assert response.status_code == 302
    assert response["Location"] == url("orders:inspect", paid.order.pk)
    assert paid.stripe.requests[0]["data"]["amount"] == [str(paid.line_a.unit_price)]
    refund_row = Refund.objects.get()
    assert (refund_row.lines, refund_row.reason, refund_row.created_by) == (
        [{"line": paid.line_a.pk, "quantity": 1}],
        "包装破损",
        world.operator,
    )
    paid.order.refresh_from_db()
    assert paid.order.status == OrderStatus.PARTIALLY_REFUNDED
    assert world.stock(world.variant_a, world.counter1).on_hand == before + 1
    page = client.get(response["Location"])
    assert f"Refunded ¥{paid.line_a.unit_price // 100}.{paid.line_a.unit_price % 100:02d}" in " ".join(
        messages_of(page)
    )
    assert "包装破损" in page.content.decode()
    assert page.context["refund_form"] is not None


def test_operator_refunds_the_whole_order_without_restocking(client, world, paid):
    client.force_login(world.operator)

    response = refund(client, paid.order)

    assert response.status_code == 302
    assert paid.stripe.requests[0]["data"]["amount"] == [str(paid.order.total)]
    paid.order.refresh_from_db()
    assert paid.order.status == OrderStatus.REFUNDED
    assert StockMovement.objects.filter(kind="return").count() == 0
    assert client.get(response["Location"]).context["refund_form"] is None


def test_refunding_more_than_is_left_is_a_form_error_and_changes_nothing(client, world, paid):
    client.force_login(world.operator)
    refund(client, paid.order, scope="lines", **{f"line_{paid.line_a.pk}": "2"})
    paid.stripe.requests.clear()

    response = refund(client, paid.order, scope="lines", **{f"line_{paid.line_a.pk}": "1"}, restock="on")

    assert response.status_code == 200
    assert "At most 0 of 红安山茶油礼盒 can still be refunded." in response.context["form"].non_field_errors()
    assert "can still be refunded" in response.content.decode()
    assert paid.stripe.requests == []
    assert Refund.objects.count() == 1
    assert StockMovement.objects.filter(kind="return").count() == 0
    paid.order.refresh_from_db()
    assert paid.order.status == OrderStatus.PARTIALLY_REFUNDED


def test_choosing_no_line_or_giving_no_reason_is_a_form_error(client, world, paid):
    client.force_login(world.operator)

    nothing_chosen = refund(client, paid.order, scope="lines")
    no_reason = refund(client, paid.order, reason="  ")

    assert "Choose at least one item to refund." in nothing_chosen.context["form"].non_field_errors()
    assert "reason" in no_reason.context["form"].errors
    assert paid.stripe.requests == []
    assert Refund.objects.count() == 0


def test_an_unpaid_order_offers_no_refund(client, world):
    order = checkout(cart_with((world.variant_a, 1)), pickup_at(world.counter1))
    client.force_login(world.operator)

    page = client.get(url("orders:inspect", order.pk))
    form_page = client.get(url("orders:refund", order.pk), follow=True)
    posted = refund(client, order)

    assert page.context["refund_form"] is None
    assert "Only paid orders can be refunded." in messages_of(form_page)
    assert "Only paid orders can be refunded." in posted.context["form"].non_field_errors()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_merchants_and_counter_staff_cannot_refund(client, world, paid, who):
    client.force_login(getattr(world, who))

    page = client.get(url("orders:inspect", paid.order.pk))
    form_page = client.get(url("orders:refund", paid.order.pk))
    posted = refund(client, paid.order)

    assert page.status_code == 200
    assert page.context["refund_form"] is None
    assert "Refund this order" not in page.content.decode()
    assert (form_page.status_code, posted.status_code) == (403, 403)
    assert paid.stripe.requests == []
    paid.order.refresh_from_db()
    assert paid.order.status == OrderStatus.PAID


def test_refunding_an_order_outside_scope_is_not_found(client, world, paid):
    client.force_login(world.bob)
    order = checkout(cart_with((world.variant_a, 1)), pickup_at(world.counter1))

    assert refund(client, order).status_code == 404
    assert client.post("/admin/orders/refund/99999999/", {"reason": "x"}).status_code == 404


def test_refunding_needs_the_csrf_token(world, paid):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.operator)

    response = refund(client, paid.order)

    assert response.status_code == 403
    assert paid.stripe.requests == []
    paid.order.refresh_from_db()
    assert paid.order.status == OrderStatus.PAID
