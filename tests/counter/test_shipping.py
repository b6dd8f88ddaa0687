"""Merchants mark their own delivery parts shipped from the order page; operators may ship any."""

from orders.models import Fulfilment, OrderEvent, OrderStatus
from tests.catalog.admin_world import url
from tests.counter.helpers import paid_order
from tests.fixtures.http import login, messages_of
from tests.orders.helpers import cart_with, checkout

SHIPMENT = {"carrier": "顺丰速运", "tracking_number": "SF1234567890", "note": "两箱"}


def ship(client, fulfilment, data=SHIPMENT):
    return client.post(url("orders:ship", fulfilment.pk), data)


def test_merchant_ships_its_own_part_and_the_order_is_shipped(client, world):
    order = paid_order((world.variant_a, 2))
    fulfilment = order.fulfilments.get()
    login(client, world.alice)

    page = client.get(url("orders:inspect", order.pk))
    assert page.context["shippable_ids"] == {fulfilment.pk}
    assert url("orders:ship", fulfilment.pk) in page.content.decode()
    form = client.get(url("orders:ship", fulfilment.pk))
    assert form.status_code == 200
    assert order.street and order.street in form.content.decode()
    assert order.contact_phone in form.content.decode()
    response = ship(client, fulfilment)

    assert response.status_code == 302
    assert response["Location"] == url("orders:inspect", order.pk)
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert (fulfilment.status, fulfilment.carrier, fulfilment.tracking_number) == (
        Fulfilment.Status.SHIPPED,
        "顺丰速运",
        "SF1234567890",
    )
    assert order.status == OrderStatus.SHIPPED
    event = order.events.get(kind=OrderEvent.Kind.FULFILMENT)
    assert (event.actor, event.to_status, event.note) == (world.alice, Fulfilment.Status.SHIPPED, "两箱")
    after = client.get(response["Location"])
    assert f"Order {order.number}: shipped with 顺丰速运, tracking number SF1234567890." in messages_of(after)
    assert after.context["shippable_ids"] == set()


def test_merchant_cannot_ship_another_merchants_part(client, world):
    order = paid_order((world.variant_a, 1), (world.variant_b, 1))
    part_a = order.fulfilments.get(merchant=world.merchant_a)
    part_b = order.fulfilments.get(merchant=world.merchant_b)
    login(client, world.alice)

    assert client.get(url("orders:inspect", order.pk)).context["shippable_ids"] == {part_a.pk}
    assert client.get(url("orders:ship", part_b.pk)).status_code == 404
    assert ship(client, part_b).status_code == 404
    part_b.refresh_from_db()
    assert part_b.status == Fulfilment.Status.PENDING

    ship(client, part_a)
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLING  # B's part has not left yet
    ship(login(client, world.bob), part_b)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_operators_may_ship_any_part(client, world):
    fulfilment = paid_order((world.variant_b, 1)).fulfilments.get()

    assert ship(login(client, world.operator), fulfilment).status_code == 302
    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.SHIPPED


def test_counter_staff_and_pickup_parts_have_no_ship_action(client, world):
    delivery = paid_order((world.variant_a, 1)).fulfilments.get()
    pickup = paid_order((world.variant_a, 1), counter=world.counter1).fulfilments.get()

    assert ship(login(client, world.carol), delivery).status_code == 404
    assert ship(login(client, world.alice), pickup).status_code == 404
    assert ship(login(client, world.operator), pickup).status_code == 404
    assert set(Fulfilment.objects.values_list("status", flat=True)) == {Fulfilment.Status.PENDING}


def test_missing_carrier_or_tracking_number_is_a_form_error(client, world):
    fulfilment = paid_order((world.variant_a, 1)).fulfilments.get()
    login(client, world.alice)

    response = ship(client, fulfilment, {"carrier": "", "tracking_number": "   "})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"carrier", "tracking_number"}
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.carrier, fulfilment.tracking_number) == (Fulfilment.Status.PENDING, "", "")


def test_an_unpaid_order_cannot_be_shipped(client, world):
    order = checkout(cart_with((world.variant_a, 1)))
    fulfilment = order.fulfilments.get()
    login(client, world.alice)

    opened = client.get(url("orders:ship", fulfilment.pk), follow=True)
    posted = ship(client, fulfilment)

    assert "cannot be shipped now" in " ".join(messages_of(opened))
    assert "pending payment" in " ".join(str(e) for e in posted.context["form"].non_field_errors())
    assert client.get(url("orders:inspect", order.pk)).context["shippable_ids"] == set()
    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.PENDING
