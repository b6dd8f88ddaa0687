"""The orders' dashboard panels: what each role is shown, from real orders, and nothing of anyone else's.

Merchants: parts to ship and this month's sales of their own merchant only. Counter staff: the pickups to
prepare and waiting at their own counters only, and their counters' sales today. Operators: every flagged
order and every settlement due. Editors (who see every merchant's catalogue) see no order at all.
"""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from core import roles
from orders.counter.services import record_counter_sale
from orders.dashboard import selectors
from orders.fulfilment import mark_fulfilment_ready
from orders.models import Fulfilment, Order
from orders.payments import mark_paid
from tests import factories
from tests.fixtures.http import login
from tests.fixtures.users import english_admin
from tests.orders.helpers import cart_with, checkout, pickup_at

pytestmark = pytest.mark.django_db


@dataclass
class Orders:
    a_delivery: Order  # merchant A's, delivered from the warehouse: A must ship it
    b_delivery: Order  # merchant B's, delivered
    mixed_pickup: Order  # A's and B's, collected at counter 1: still to prepare
    b_ready: Order  # B's, collected at counter 2: packed, waiting for the customer


@pytest.fixture
def orders(world) -> Orders:
    a_delivery = mark_paid(checkout(cart_with((world.variant_a, 2))))
    b_delivery = mark_paid(checkout(cart_with((world.variant_b, 1))))
    mixed_pickup = mark_paid(checkout(cart_with((world.variant_a, 1), (world.variant_b, 1)), pickup_at(world.counter1)))
    b_ready = mark_paid(checkout(cart_with((world.variant_b, 3)), pickup_at(world.counter2)))
    for part in b_ready.fulfilments.all():
        mark_fulfilment_ready(part, actor=world.dave)
    return Orders(a_delivery, b_delivery, mixed_pickup, b_ready)


@pytest.fixture
def editor(db):
    return english_admin(factories.make_user("editor", group=roles.EDITORS))


def dashboard(client, user) -> str:
    response = login(client, english_admin(user)).get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


def panel_ids(html: str) -> set[str]:
    return set(re.findall(r'data-dashboard-panel="([a-z-]+)"', html))


# -- Merchants -----------------------------------------------------------------------------


def test_merchant_ships_only_its_own_delivery_parts(world, orders):
    alice_parts = list(selectors.parts_to_ship(world.alice))
    bob_parts = list(selectors.parts_to_ship(world.bob))

    assert [part.order for part in alice_parts] == [orders.a_delivery]
    assert alice_parts[0].units == 2
    assert [part.order for part in bob_parts] == [orders.b_delivery]
    assert {part.order for part in selectors.parts_to_ship(world.operator)} == {orders.a_delivery, orders.b_delivery}


def test_a_shipped_or_unpaid_part_is_not_to_ship(world, orders):
    unpaid = checkout(cart_with((world.variant_a, 1)))

    assert unpaid not in {part.order for part in selectors.parts_to_ship(world.alice)}
    orders.a_delivery.fulfilments.update(status=Fulfilment.Status.SHIPPED)
    assert list(selectors.parts_to_ship(world.alice)) == []


def test_merchant_dashboard_lists_its_parts_linking_to_the_ship_form(client, world, orders):
    html = dashboard(client, world.alice)

    assert {"parts-to-ship", "low-stock", "certificates", "month-sales"} <= panel_ids(html)
    assert orders.a_delivery.number in html
    assert reverse("orders:ship", args=[orders.a_delivery.fulfilments.get().pk]) in html
    for other in (orders.b_delivery, orders.b_ready):
        assert other.number not in html
    assert not panel_ids(html) & {"pickups-to-prepare", "waiting-pickups", "flagged-orders", "settlements-due"}


def test_merchant_with_nothing_to_ship_is_told_so(client, world):
    html = dashboard(client, world.alice)

    assert 'data-dashboard-panel="parts-to-ship" data-count="0"' in html
    assert "Nothing to ship: every paid delivery has gone out." in html


def test_month_sales_count_only_the_merchants_own_lines(world, orders):
    a_price, b_price = world.variant_a.price, world.variant_b.price

    alice = selectors.month_sales(world.alice)
    bob = selectors.month_sales(world.bob)

    assert (alice.amount, alice.units) == (3 * a_price, 3)  # 2 delivered + 1 in the mixed pickup
    assert [row.product_name for row in alice.top_products] == [world.product_a.name]
    assert (bob.amount, bob.units) == (5 * b_price, 5)
    assert selectors.month_sales(world.operator).amount == 3 * a_price + 5 * b_price


def test_last_months_sales_are_not_this_months(world, orders):
    next_month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)

    assert selectors.month_sales(world.alice, today=next_month).amount == 0


# -- Counter staff -------------------------------------------------------------------------


def test_counter_staff_prepare_only_their_counters_pickups(world, orders):
    assert [p.order for p in selectors.pickups_to_prepare(world.carol)] == [orders.mixed_pickup]
    assert list(selectors.pickups_to_prepare(world.dave)) == []
    assert list(selectors.pickups_to_prepare(world.alice)) == []  # a merchant staffs no counter


def test_waiting_pickups_are_the_packed_ones_at_ones_own_counter(world, orders):
    waiting = list(selectors.pickups_waiting(world.dave))

    assert [p.order for p in waiting] == [orders.b_ready]
    assert waiting[0].units == 3
    assert list(selectors.pickups_waiting(world.carol)) == []


def test_counter_dashboard_shows_how_long_a_pickup_has_waited(client, world, orders):
    pickup = orders.b_ready.pickups.get()
    pickup.ready_at = timezone.now() - datetime.timedelta(days=4, hours=1)
    pickup.save(update_fields=["ready_at"])

    html = dashboard(client, world.dave)

    assert {"pickups-to-prepare", "waiting-pickups", "counter-sales"} <= panel_ids(html)
    assert orders.b_ready.number in html
    assert "Waiting 4\xa0days" in html
    assert reverse("counter:hand_over", args=[pickup.pk]) in html
    for other in (orders.mixed_pickup, orders.a_delivery, orders.b_delivery):
        assert other.number not in html
    assert "No orders to prepare" in html
    assert not panel_ids(html) & {"parts-to-ship", "month-sales", "low-stock", "flagged-orders"}


def test_counter_sales_today_are_those_of_ones_own_counters(world, orders):
    sale = record_counter_sale(world.counter1, [(world.variant_a.pk, 2)], actor=world.carol)

    carol = selectors.counter_sales_today(world.carol)
    assert (carol.count, carol.amount, carol.sales) == (1, sale.total, [sale])
    assert selectors.counter_sales_today(world.dave).count == 0
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert selectors.counter_sales_today(world.carol, today=tomorrow).count == 0


# -- Operators -----------------------------------------------------------------------------


def test_operator_sees_every_flagged_order_with_the_reason(client, world, orders):
    Order.objects.filter(pk__in=[orders.a_delivery.pk, orders.b_ready.pk]).update(needs_review=True)
    orders.a_delivery.events.create(kind="note", note="Late payment: refund it")

    flagged = list(selectors.flagged_orders(world.operator))

    assert flagged == [orders.a_delivery, orders.b_ready]
    assert flagged[0].flag_note == "Late payment: refund it"
    assert list(selectors.flagged_orders(world.alice)) == []  # merchants do not review orders
    html = dashboard(client, world.operator)
    assert "2 orders are flagged for review" in html and "Late payment: refund it" in html
    assert "needs_review=true" in html


def test_flagged_orders_filter_in_the_order_listing(client, world, orders):
    Order.objects.filter(pk=orders.b_delivery.pk).update(needs_review=True)

    response = login(client, world.operator).get(reverse("orders:index"), {"needs_review": "true"})

    assert list(response.context["object_list"]) == [orders.b_delivery]


def test_settlements_fall_due_for_last_months_unsettled_entries(client, world, orders):
    next_month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)

    assert list(selectors.settlements_due(world.operator)) == []  # this month's entries are not due yet
    due = {m.name: m for m in selectors.settlements_due(world.operator, today=next_month)}
    assert set(due) == {world.merchant_a.name, world.merchant_b.name}
    assert due[world.merchant_a.name].unsettled == 3 * world.variant_a.price
    assert due[world.merchant_b.name].entry_count == 3
    assert list(selectors.settlements_due(world.alice, today=next_month)) == []  # merchants do not settle


# -- Editors -------------------------------------------------------------------------------


def test_editor_sees_no_orders(client, world, orders, editor):
    Order.objects.update(needs_review=True)
    record_counter_sale(world.counter1, [(world.variant_a.pk, 1)], actor=world.carol)

    assert list(selectors.parts_to_ship(editor)) == []
    assert list(selectors.pickups_to_prepare(editor)) == []
    assert list(selectors.pickups_waiting(editor)) == []
    assert list(selectors.flagged_orders(editor)) == []
    assert selectors.month_sales(editor).entries == 0
    assert selectors.counter_sales_today(editor).count == 0
    assert list(selectors.settlements_due(editor, today=timezone.localdate() + datetime.timedelta(days=40))) == []
    html = dashboard(client, editor)
    for order in Order.objects.all():
        assert order.number not in html
    assert not panel_ids(html) & {
        "parts-to-ship",
        "month-sales",
        "pickups-to-prepare",
        "waiting-pickups",
        "counter-sales",
        "flagged-orders",
        "settlements-due",
        "low-stock",
    }
