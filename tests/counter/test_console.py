"""The counter console: counter staff see and act on their own counter only; operators pick any counter.

Two counters (carol staffs counter 1, dave counter 2), two merchants; the views are driven through the
Wagtail admin with Django's test client.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.admin.menu import admin_menu

from core import roles
from core.text import site_text
from orders.counter.services import NOTE_HANDED_OVER, NOTE_LOCKED, NOTE_WRONG_CODE
from orders.counter.services import hand_over as hand_over_service
from orders.models import CounterCodeGuard, Fulfilment, OrderEvent, OrderStatus, Pickup
from tests import factories
from tests.catalog.admin_world import url
from tests.counter.helpers import paid_order, ready_fulfilment, ready_pickup, split_over_two_counters, wrong_code
from tests.fixtures.http import login, messages_of
from tests.orders.helpers import cart_with, checkout, pickup_at


def menu_urls(client: Client) -> list[str]:
    request = client.get(url("wagtailadmin_home")).wsgi_request
    return [item.url for item in admin_menu.menu_items_for_request(request)]


def hand_over(client: Client, pickup: Pickup, code: str):
    """Hand the order's parts at the pickup's counter over from its row in the console."""
    return client.post(url("counter:hand_over", pickup.pk), {"code": code})


def scan(client: Client, counter, code: str):
    """Type (or scan) a code into the console's code field."""
    return client.post(url("counter:hand_over_by_code", counter.pk), {"code": code})


# -- Who gets the console ------------------------------------------------------------------


def test_counter_menu_is_shown_to_counter_staff_and_operators_only(client, world):
    editor = factories.make_user("editor", group=roles.EDITORS)

    console = url("counter:home")

    assert console in menu_urls(login(client, world.carol))
    assert console in menu_urls(login(client, world.operator))
    assert console not in menu_urls(login(client, world.alice))
    assert console not in menu_urls(login(client, editor))


def test_staff_of_one_counter_go_straight_to_its_console(client, world):
    response = login(client, world.carol).get(url("counter:home"))

    assert response.status_code == 302
    assert response["Location"] == url("counter:console", world.counter1.pk)


def test_operators_choose_among_all_counters(client, world):
    response = login(client, world.operator).get(url("counter:home"))

    assert response.status_code == 200
    assert set(response.context["counters"]) == {world.counter1, world.counter2}
    html = response.content.decode()
    assert url("counter:console", world.counter1.pk) in html
    assert url("counter:console", world.counter2.pk) in html
    assert login(client, world.operator).get(url("counter:console", world.counter2.pk)).status_code == 200


def test_operators_may_act_at_any_counter(client, world):
    order = paid_order((world.variant_b, 1), counter=world.counter2)
    fulfilment, pickup = order.fulfilments.get(), order.pickups.get()
    login(client, world.operator)

    client.post(url("counter:ready", fulfilment.pk))
    assert hand_over(client, pickup, pickup.code).status_code == 302

    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.COMPLETED
    assert fulfilment.events.filter(actor=world.operator).count() == 2


def test_users_without_counter_access_are_turned_away(client, world):
    editor = factories.make_user("editor", group=roles.EDITORS)

    for user in (world.alice, editor):
        response = login(client, user).get(url("counter:console", world.counter1.pk))
        assert response.status_code == 302
        assert response["Location"] == url("wagtailadmin_home")
    client.logout()
    assert client.get(url("counter:console", world.counter1.pk)).status_code == 302


def test_counter_staff_cannot_open_another_counters_console(client, world):
    login(client, world.carol)

    assert client.get(url("counter:console", world.counter2.pk)).status_code == 404
    assert client.get(url("counter:console", world.warehouse.pk)).status_code == 404
    assert client.get("/admin/counter/99999999999999999999999/").status_code == 404


# -- The queue -----------------------------------------------------------------------------


def test_console_queues_each_counters_own_paid_pickups_with_pick_lists(client, world):
    at_counter1 = paid_order((world.variant_a, 2), (world.variant_b, 1), counter=world.counter1)
    at_counter2 = paid_order((world.variant_b, 3), counter=world.counter2)
    unpaid = checkout(cart_with((world.variant_a, 1)), pickup_at(world.counter1))
    delivery = paid_order((world.variant_a, 1))

    carol_page = login(client, world.carol).get(url("counter:console", world.counter1.pk))
    dave_page = login(client, world.dave).get(url("counter:console", world.counter2.pk))

    # One row per order and counter, holding each merchant's part with its own "Mark ready".
    assert [p.order for p in carol_page.context["to_prepare"]] == [at_counter1]
    assert len(carol_page.context["to_prepare"][0].live_parts) == 2
    assert [p.order for p in dave_page.context["to_prepare"]] == [at_counter2]
    carol_html = carol_page.content.decode()
    assert carol_html.count(url("counter:ready", at_counter1.fulfilments.first().pk)) == 1
    for text in (at_counter1.number, world.product_a.name, world.variant_a.sku, world.variant_b.sku):
        assert text in carol_html
    for text in (at_counter2.number, unpaid.number, delivery.number):
        assert text not in carol_html
    assert at_counter1.number not in dave_page.content.decode()
    pick_list = {
        (line.sku, line.quantity)
        for p in carol_page.context["to_prepare"]
        for part in p.live_parts
        for line in part.lines.all()
    }
    assert pick_list == {(world.variant_a.sku, 2), (world.variant_b.sku, 1)}


def test_console_lists_ready_and_recently_handed_over_orders(client, world):
    ready_order = paid_order((world.variant_a, 1), counter=world.counter1)
    done_order = paid_order((world.variant_a, 1), counter=world.counter1)
    half_ready = paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
    ready = ready_pickup(ready_order)
    done = ready_pickup(done_order)
    ready_fulfilment(half_ready, merchant=world.merchant_a)
    login(client, world.carol)
    hand_over(client, done, done.code)

    page = client.get(url("counter:console", world.counter1.pk))

    assert [p.pk for p in page.context["ready"]] == [ready.pk]
    assert [p.pk for p in page.context["handed_over"]] == [done.pk]
    # An order with one part ready and one still to pack waits under "To prepare", its ready part marked so.
    assert [p.order for p in page.context["to_prepare"]] == [half_ready]
    html = page.content.decode()
    assert ready.code not in html  # the code comes from the customer, not the screen
    assert "Ready for pickup" in html


def test_console_shows_the_counters_own_queue_messages(client, world):
    mine = paid_order((world.variant_a, 1), counter=world.counter1)
    theirs = paid_order((world.variant_b, 1), counter=world.counter2)

    carol_page = login(client, world.carol).get(url("counter:console", world.counter1.pk))
    dave_page = login(client, world.dave).get(url("counter:console", world.counter2.pk))

    assert [m["title"] for m in carol_page.context["counter_messages"]] == [f"Prepare order {mine.number} for pickup"]
    assert [m["title"] for m in dave_page.context["counter_messages"]] == [f"Prepare order {theirs.number} for pickup"]
    assert f"Prepare order {mine.number} for pickup" in carol_page.content.decode()


# -- Mark ready ----------------------------------------------------------------------------


def test_mark_ready_makes_the_order_ready_and_tells_the_customer(client, world):
    order = paid_order((world.variant_a, 2), counter=world.counter1)
    fulfilment = order.fulfilments.get()
    code = order.pickups.get().code
    login(client, world.carol)

    response = client.post(url("counter:ready", fulfilment.pk), follow=True)

    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.READY_FOR_PICKUP
    assert order.pickups.get().code == code  # the code was given with the order and stays
    assert order.status == OrderStatus.READY_FOR_PICKUP
    event = order.events.get(kind=OrderEvent.Kind.FULFILMENT)
    assert (event.actor, event.to_status) == (world.carol, Fulfilment.Status.READY_FOR_PICKUP)
    assert f"Order {order.number} is ready for pickup" in " ".join(messages_of(response))


def test_mark_ready_of_one_part_of_two_says_what_is_left(client, world):
    order = paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
    part_a = order.fulfilments.get(merchant=world.merchant_a)
    login(client, world.carol)

    response = client.post(url("counter:ready", part_a.pk), follow=True)

    assert f"This part of order {order.number} is ready. 1 more part to prepare" in " ".join(messages_of(response))
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLING
    assert order.pickups.get().ready_at is None


def test_mark_ready_twice_or_on_another_counter_changes_nothing(client, world):
    mine = paid_order((world.variant_a, 1), counter=world.counter1).fulfilments.get()
    theirs = paid_order((world.variant_a, 1), counter=world.counter2).fulfilments.get()
    login(client, world.carol)

    assert client.post(url("counter:ready", theirs.pk)).status_code == 404
    assert client.get(url("counter:ready", mine.pk)).status_code == 405
    client.post(url("counter:ready", mine.pk))
    ready_at = Pickup.objects.get(parts=mine).ready_at
    again = client.post(url("counter:ready", mine.pk), follow=True)

    theirs.refresh_from_db()
    assert theirs.status == Fulfilment.Status.PENDING
    assert Pickup.objects.get(parts=mine).ready_at == ready_at
    assert "cannot become ready for pickup" in " ".join(messages_of(again))


def test_mark_ready_of_an_unpaid_order_is_refused(client, world):
    unpaid = checkout(cart_with((world.variant_a, 1)), pickup_at(world.counter1))
    fulfilment = unpaid.fulfilments.get()

    response = login(client, world.carol).post(url("counter:ready", fulfilment.pk), follow=True)

    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.PENDING
    assert "pending payment" in " ".join(messages_of(response))


# -- Hand-over ---------------------------------------------------------------------------


def test_hand_over_with_the_right_code_completes_the_order(client, world):
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    pickup = ready_pickup(order)
    login(client, world.carol)

    response = hand_over(client, pickup, pickup.code)

    assert response.status_code == 302
    assert response["Location"] == url("counter:console", world.counter1.pk)
    fulfilment = order.fulfilments.get()
    order.refresh_from_db()
    pickup.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.COMPLETED
    assert order.status == OrderStatus.COMPLETED
    assert pickup.handed_over_at is not None and pickup.closed_at is not None
    event = order.events.filter(kind=OrderEvent.Kind.FULFILMENT).last()
    assert (event.actor, event.to_status, event.note) == (
        world.carol,
        Fulfilment.Status.COMPLETED,
        site_text(NOTE_HANDED_OVER),
    )


def test_one_code_hands_over_both_merchants_parts_in_one_step(client, world):
    order = paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
    pickup = ready_pickup(order)
    login(client, world.carol)

    response = scan(client, world.counter1, pickup.code)

    assert response.status_code == 302
    assert response["Location"] == url("counter:console", world.counter1.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert set(order.fulfilments.values_list("status", flat=True)) == {Fulfilment.Status.COMPLETED}
    completions = order.events.filter(kind=OrderEvent.Kind.FULFILMENT, to_status=Fulfilment.Status.COMPLETED)
    assert sorted(completions.values_list("fulfilment_id", flat=True)) == sorted(
        order.fulfilments.values_list("pk", flat=True)
    )
    assert {event.actor for event in completions} == {world.carol}
    page = client.get(url("counter:console", world.counter1.pk))
    assert f"Order {order.number} has been handed over (2 parts, together)." in " ".join(messages_of(page))
    assert [p.pk for p in page.context["handed_over"]] == [pickup.pk]


@pytest.mark.parametrize(
    "typed",
    ["{code}", " {c1} {c2} ", "https://shop.example/orders/abc/pickup/{code}", "https://x.example/p?code={code}"],
)
def test_the_code_field_takes_the_code_typed_or_scanned_from_its_qr(client, world, typed):
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    pickup = ready_pickup(order)
    login(client, world.carol)

    response = scan(client, world.counter1, typed.format(code=pickup.code, c1=pickup.code[:3], c2=pickup.code[3:]))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_the_code_field_shows_the_code_form_and_refuses_a_half_ready_order_without_counting(client, world):
    order = paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
    ready_fulfilment(order, merchant=world.merchant_a)
    pickup = order.pickups.get()
    login(client, world.carol)
    assert 'id="scan-code"' in client.get(url("counter:console", world.counter1.pk)).content.decode()

    response = scan(client, world.counter1, pickup.code)

    assert response.status_code == 200
    assert "not ready for pickup yet: 1 of its 2 parts here are ready" in response.context["form"].errors["code"][0]
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLING
    assert set(order.fulfilments.values_list("status", flat=True)) == {"ready_for_pickup", "pending"}
    pickup.refresh_from_db()
    assert pickup.handover_failures == 0


def test_a_code_from_another_counter_finds_nothing_here(client, world, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 5
    theirs = ready_pickup(paid_order((world.variant_b, 1), counter=world.counter2))
    login(client, world.carol)

    response = scan(client, world.counter1, theirs.code)

    assert response.status_code == 200
    assert "No order waiting here has this pickup code. 4 more such codes" in response.context["form"].errors["code"][0]
    theirs.refresh_from_db()
    assert (theirs.handed_over_at, theirs.handover_failures) == (None, 0)
    assert theirs.order.fulfilments.get().status == Fulfilment.Status.READY_FOR_PICKUP
    # Carol cannot reach the other counter's field or the order's row either; Dave hands it over.
    assert scan(client, world.counter2, theirs.code).status_code == 404
    assert hand_over(client, theirs, theirs.code).status_code == 404
    assert scan(login(client, world.dave), world.counter2, theirs.code).status_code == 302


def test_scanning_a_code_again_says_it_was_handed_over_and_counts_nothing(client, world):
    pickup = ready_pickup(paid_order((world.variant_a, 1), counter=world.counter1))
    login(client, world.carol)
    assert scan(client, world.counter1, pickup.code).status_code == 302

    again = scan(client, world.counter1, pickup.code)

    assert "This order has already been handed over." in again.context["form"].errors["code"][0]
    assert not CounterCodeGuard.objects.filter(location=world.counter1, failures__gt=0).exists()
    assert pickup.order.events.filter(kind=OrderEvent.Kind.FULFILMENT, to_status="completed").count() == 1


def test_codes_that_match_nothing_lock_the_code_field_but_not_the_orders_rows(client, world, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 3
    settings.COUNTER_HANDOVER_LOCK_MINUTES = 15
    pickup = ready_pickup(paid_order((world.variant_a, 1), counter=world.counter1))
    login(client, world.carol)

    for _ in range(2):
        scan(client, world.counter1, wrong_code(pickup))
    third = scan(client, world.counter1, wrong_code(pickup))

    assert "After 3 such codes in a row, this field is locked until" in third.context["form"].errors["code"][0]
    locked = scan(client, world.counter1, pickup.code)
    assert "this field is locked until" in locked.context["form"].errors["code"][0]
    pickup.refresh_from_db()
    assert (pickup.handed_over_at, pickup.handover_failures) == (None, 0)
    # The order's own row still works, with its own count.
    assert hand_over(client, pickup, pickup.code).status_code == 302
    pickup.refresh_from_db()
    assert pickup.handed_over_at is not None


def test_hand_over_with_a_wrong_code_is_refused_and_recorded(client, world, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 5
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    pickup = ready_pickup(order)
    login(client, world.carol)

    response = hand_over(client, pickup, wrong_code(pickup))

    assert response.status_code == 200
    assert "Wrong pickup code. 4 more wrong codes lock this order" in response.context["form"].errors["code"][0]
    fulfilment = order.fulfilments.get()
    order.refresh_from_db()
    pickup.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.READY_FOR_PICKUP
    assert order.status == OrderStatus.READY_FOR_PICKUP
    assert pickup.handover_failures == 1
    note = order.events.get(kind=OrderEvent.Kind.NOTE)
    assert note.actor == world.carol
    assert note.note == site_text(NOTE_WRONG_CODE, count=1)  # history notes are written in the site's language


def test_a_malformed_code_is_a_form_error_and_not_counted(client, world):
    pickup = ready_pickup(paid_order((world.variant_a, 1), counter=world.counter1))
    login(client, world.carol)

    for code in ("", "12345", "abcdef", "1234567", "https://x.example/1234567", "12345６"):
        for response in (hand_over(client, pickup, code), scan(client, world.counter1, code)):
            assert response.status_code == 200
            assert response.context["form"].errors["code"]

    pickup.refresh_from_db()
    assert pickup.handover_failures == 0
    assert pickup.handed_over_at is None


def test_hand_over_of_another_counters_pickup_is_not_found(client, world):
    theirs = ready_pickup(paid_order((world.variant_b, 1), counter=world.counter2))
    login(client, world.carol)

    assert client.get(url("counter:hand_over", theirs.pk)).status_code == 404
    assert hand_over(client, theirs, theirs.code).status_code == 404
    theirs.refresh_from_db()
    assert theirs.handed_over_at is None
    assert theirs.handover_failures == 0
    assert hand_over(login(client, world.dave), theirs, theirs.code).status_code == 302


def test_hand_over_of_an_order_not_ready_yet_is_refused_without_counting(client, world):
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    pickup = order.pickups.get()

    response = hand_over(login(client, world.carol), pickup, pickup.code)

    assert "not ready for pickup yet: 0 of its 1 part here is ready" in response.context["form"].errors["code"][0]
    pickup.refresh_from_db()
    assert (order.fulfilments.get().status, pickup.handover_failures) == (Fulfilment.Status.PENDING, 0)


def test_an_order_at_two_counters_completes_when_both_are_handed_over(client, world):
    """Orders are placed for one counter; an order split over two (placed before, or by operators) has two pickups
    with a code each, each handed over at its own counter."""
    order = split_over_two_counters(world)
    first, second = ready_pickup(order, location=world.counter1), ready_pickup(order, location=world.counter2)
    assert first.code != second.code

    assert scan(login(client, world.carol), world.counter1, second.code).status_code == 200  # not this counter's
    assert scan(client, world.counter1, first.code).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.READY_FOR_PICKUP
    assert scan(login(client, world.dave), world.counter2, second.code).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_too_many_wrong_codes_lock_the_hand_over_until_the_window_ends(client, world, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 5
    settings.COUNTER_HANDOVER_LOCK_MINUTES = 15
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    pickup = ready_pickup(order)
    login(client, world.carol)

    for _ in range(4):
        hand_over(client, pickup, wrong_code(pickup))
    before = timezone.now()
    fifth = hand_over(client, pickup, wrong_code(pickup))

    assert "After 5 wrong codes in a row, this order is locked until" in fifth.context["form"].errors["code"][0]
    pickup.refresh_from_db()
    assert pickup.handover_failures == 5
    assert before + timedelta(minutes=15) <= pickup.handover_locked_until <= timezone.now() + timedelta(minutes=15)
    until = f"{timezone.localtime(pickup.handover_locked_until):%H:%M}"
    assert order.events.filter(kind=OrderEvent.Kind.NOTE).last().note == site_text(NOTE_LOCKED, count=5, until=until)

    # While locked, even the right code is refused, from the row or the code field, and that is not another try.
    locked = hand_over(client, pickup, pickup.code)
    assert "Too many wrong pickup codes: this order is locked until" in locked.context["form"].errors["code"][0]
    scanned = scan(client, world.counter1, pickup.code)
    assert "Too many wrong pickup codes: this order is locked until" in scanned.context["form"].errors["code"][0]
    console = client.get(url("counter:console", world.counter1.pk)).content.decode()
    assert "Locked until" in console
    pickup.refresh_from_db()
    assert (order.fulfilments.get().status, pickup.handover_failures) == (Fulfilment.Status.READY_FOR_PICKUP, 5)
    assert order.events.filter(kind=OrderEvent.Kind.NOTE).count() == 5

    # Once the window has passed, the counter starts afresh: a wrong code counts as the first, the right one works.
    Pickup.objects.filter(pk=pickup.pk).update(handover_locked_until=timezone.now() - timedelta(seconds=1))
    after = hand_over(client, pickup, wrong_code(pickup))
    assert "4 more wrong codes" in after.context["form"].errors["code"][0]
    assert hand_over(client, pickup, pickup.code).status_code == 302
    pickup.refresh_from_db()
    assert order.fulfilments.get().status == Fulfilment.Status.COMPLETED
    assert (pickup.handover_failures, pickup.handover_locked_until) == (0, None)


def test_hand_over_needs_the_csrf_token(world):
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    pickup = ready_pickup(order)
    client = login(Client(enforce_csrf_checks=True), world.carol)

    assert hand_over(client, pickup, pickup.code).status_code == 403
    assert scan(client, world.counter1, pickup.code).status_code == 403
    assert client.post(url("counter:ready", order.fulfilments.get().pk)).status_code == 403
    pickup.refresh_from_db()
    assert pickup.handed_over_at is None


@pytest.mark.parametrize("name", ["counter:ready", "counter:hand_over", "counter:hand_over_by_code"])
def test_merchants_cannot_use_the_counter_actions(client, world, name):
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    pickup = ready_pickup(order)
    target = {"counter:ready": order.fulfilments.get().pk, "counter:hand_over": pickup.pk}.get(name, world.counter1.pk)

    response = login(client, world.alice).post(url(name, target), {"code": pickup.code})

    assert response.status_code == 302
    assert response["Location"] == url("wagtailadmin_home")
    pickup.refresh_from_db()
    assert pickup.handed_over_at is None


def test_console_queries_do_not_grow_with_the_queue(client, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("counter:console", world.counter1.pk)).status_code == 200
        return len(captured)

    def add_orders() -> None:
        paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
        ready_pickup(paid_order((world.variant_a, 1), counter=world.counter1))
        done = ready_pickup(paid_order((world.variant_b, 1), counter=world.counter1))
        hand_over_service(done, done.code, actor=world.carol)

    add_orders()
    login(client, world.carol)
    queries()  # the first admin page of a session does some one-off work
    few = queries()
    for _ in range(4):
        add_orders()

    assert queries() == few
