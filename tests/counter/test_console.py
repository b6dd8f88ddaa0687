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
from orders.models import Fulfilment, OrderEvent, OrderStatus
from tests import factories
from tests.catalog.admin_world import url
from tests.counter.helpers import paid_order, ready_fulfilment, wrong_code
from tests.fixtures.http import login, messages_of
from tests.orders.helpers import cart_with, checkout, pickup_at


def menu_urls(client: Client) -> list[str]:
    request = client.get(url("wagtailadmin_home")).wsgi_request
    return [item.url for item in admin_menu.menu_items_for_request(request)]


def hand_over(client: Client, fulfilment: Fulfilment, code: str):
    return client.post(url("counter:hand_over", fulfilment.pk), {"code": code})


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
    fulfilment = paid_order((world.variant_b, 1), counter=world.counter2).fulfilments.get()
    login(client, world.operator)

    client.post(url("counter:ready", fulfilment.pk))
    fulfilment.refresh_from_db()
    assert hand_over(client, fulfilment, fulfilment.pickup_code).status_code == 302

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

    assert {f.order for f in carol_page.context["to_prepare"]} == {at_counter1}
    assert len(carol_page.context["to_prepare"]) == 2  # one part per merchant
    assert [f.order for f in dave_page.context["to_prepare"]] == [at_counter2]
    carol_html = carol_page.content.decode()
    for text in (at_counter1.number, world.product_a.name, world.variant_a.sku, world.variant_b.sku):
        assert text in carol_html
    for text in (at_counter2.number, unpaid.number, delivery.number):
        assert text not in carol_html
    assert at_counter1.number not in dave_page.content.decode()
    pick_list = {(line.sku, line.quantity) for f in carol_page.context["to_prepare"] for line in f.lines.all()}
    assert pick_list == {(world.variant_a.sku, 2), (world.variant_b.sku, 1)}


def test_console_lists_ready_and_recently_handed_over_parts(client, world):
    ready_order = paid_order((world.variant_a, 1), counter=world.counter1)
    done_order = paid_order((world.variant_a, 1), counter=world.counter1)
    ready = ready_fulfilment(ready_order)
    done = ready_fulfilment(done_order)
    login(client, world.carol)
    hand_over(client, done, done.pickup_code)

    page = client.get(url("counter:console", world.counter1.pk))

    assert [f.pk for f in page.context["ready"]] == [ready.pk]
    assert [f.pk for f in page.context["handed_over"]] == [done.pk]
    assert page.context["to_prepare"] == []
    assert ready.pickup_code not in page.content.decode()  # the code comes from the customer, not the screen


def test_console_shows_the_counters_own_queue_messages(client, world):
    mine = paid_order((world.variant_a, 1), counter=world.counter1)
    theirs = paid_order((world.variant_b, 1), counter=world.counter2)

    carol_page = login(client, world.carol).get(url("counter:console", world.counter1.pk))
    dave_page = login(client, world.dave).get(url("counter:console", world.counter2.pk))

    assert [m["title"] for m in carol_page.context["counter_messages"]] == [f"Prepare order {mine.number} for pickup"]
    assert [m["title"] for m in dave_page.context["counter_messages"]] == [f"Prepare order {theirs.number} for pickup"]
    assert f"Prepare order {mine.number} for pickup" in carol_page.content.decode()


# -- Mark ready ----------------------------------------------------------------------------


def test_mark_ready_gives_a_pickup_code_and_the_order_becomes_ready(client, world):
    order = paid_order((world.variant_a, 2), counter=world.counter1)
    fulfilment = order.fulfilments.get()
    login(client, world.carol)

    response = client.post(url("counter:ready", fulfilment.pk), follow=True)

    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.READY_FOR_PICKUP
    assert len(fulfilment.pickup_code) == 6 and fulfilment.pickup_code.isdigit()
    assert order.status == OrderStatus.READY_FOR_PICKUP
    event = order.events.get(kind=OrderEvent.Kind.FULFILMENT)
    assert (event.actor, event.to_status) == (world.carol, Fulfilment.Status.READY_FOR_PICKUP)
    assert f"Order {order.number} is ready for pickup" in " ".join(messages_of(response))


def test_mark_ready_twice_or_on_another_counter_changes_nothing(client, world):
    mine = paid_order((world.variant_a, 1), counter=world.counter1).fulfilments.get()
    theirs = paid_order((world.variant_a, 1), counter=world.counter2).fulfilments.get()
    login(client, world.carol)

    assert client.post(url("counter:ready", theirs.pk)).status_code == 404
    assert client.get(url("counter:ready", mine.pk)).status_code == 405
    client.post(url("counter:ready", mine.pk))
    mine.refresh_from_db()
    code = mine.pickup_code
    again = client.post(url("counter:ready", mine.pk), follow=True)

    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.status == Fulfilment.Status.PENDING
    assert mine.pickup_code == code
    assert "cannot become ready for pickup" in " ".join(messages_of(again))


def test_mark_ready_of_an_unpaid_order_is_refused(client, world):
    unpaid = checkout(cart_with((world.variant_a, 1)), pickup_at(world.counter1))
    fulfilment = unpaid.fulfilments.get()

    response = login(client, world.carol).post(url("counter:ready", fulfilment.pk), follow=True)

    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.PENDING
    assert "pending payment" in " ".join(messages_of(response))


# -- Hand-over -----------------------------------------------------------------------------


def test_hand_over_with_the_right_code_completes_the_order(client, world):
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    fulfilment = ready_fulfilment(order)
    login(client, world.carol)

    response = hand_over(client, fulfilment, fulfilment.pickup_code)

    assert response.status_code == 302
    assert response["Location"] == url("counter:console", world.counter1.pk)
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.COMPLETED
    assert order.status == OrderStatus.COMPLETED
    event = order.events.filter(kind=OrderEvent.Kind.FULFILMENT).last()
    assert (event.actor, event.to_status, event.note) == (
        world.carol,
        Fulfilment.Status.COMPLETED,
        site_text(NOTE_HANDED_OVER),
    )


def test_hand_over_with_a_wrong_code_is_refused_and_recorded(client, world, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 5
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    fulfilment = ready_fulfilment(order)
    login(client, world.carol)

    response = hand_over(client, fulfilment, wrong_code(fulfilment))

    assert response.status_code == 200
    assert "Wrong pickup code. 4 more wrong codes lock this order" in response.context["form"].errors["code"][0]
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.READY_FOR_PICKUP
    assert order.status == OrderStatus.READY_FOR_PICKUP
    assert fulfilment.handover_failures == 1
    note = order.events.get(kind=OrderEvent.Kind.NOTE)
    assert (note.actor, note.fulfilment) == (world.carol, fulfilment)
    assert note.note == site_text(NOTE_WRONG_CODE, count=1)  # history notes are written in the site's language


def test_a_malformed_code_is_a_form_error_and_not_counted(client, world):
    fulfilment = ready_fulfilment(paid_order((world.variant_a, 1), counter=world.counter1))
    login(client, world.carol)

    for code in ("", "12345", "abcdef", "1234567"):
        response = hand_over(client, fulfilment, code)
        assert response.status_code == 200
        assert response.context["form"].errors["code"]

    fulfilment.refresh_from_db()
    assert fulfilment.handover_failures == 0
    assert fulfilment.status == Fulfilment.Status.READY_FOR_PICKUP


def test_hand_over_of_another_counters_fulfilment_is_not_found(client, world):
    theirs = ready_fulfilment(paid_order((world.variant_b, 1), counter=world.counter2))
    login(client, world.carol)

    assert client.get(url("counter:hand_over", theirs.pk)).status_code == 404
    assert hand_over(client, theirs, theirs.pickup_code).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Fulfilment.Status.READY_FOR_PICKUP
    assert theirs.handover_failures == 0
    assert hand_over(login(client, world.dave), theirs, theirs.pickup_code).status_code == 302


def test_hand_over_of_a_part_not_ready_yet_is_refused_without_counting(client, world):
    fulfilment = paid_order((world.variant_a, 1), counter=world.counter1).fulfilments.get()

    response = hand_over(login(client, world.carol), fulfilment, "123456")

    assert "not ready for pickup yet" in response.context["form"].errors["code"][0]
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.handover_failures) == (Fulfilment.Status.PENDING, 0)


def test_order_completes_only_when_every_part_is_handed_over(client, world):
    order = paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
    part_a = ready_fulfilment(order, merchant=world.merchant_a)
    part_b = ready_fulfilment(order, merchant=world.merchant_b)
    login(client, world.carol)

    hand_over(client, part_a, part_a.pickup_code)
    order.refresh_from_db()
    assert order.status == OrderStatus.READY_FOR_PICKUP
    hand_over(client, part_b, part_b.pickup_code)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_too_many_wrong_codes_lock_the_hand_over_until_the_window_ends(client, world, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 5
    settings.COUNTER_HANDOVER_LOCK_MINUTES = 15
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    fulfilment = ready_fulfilment(order)
    login(client, world.carol)

    for _ in range(4):
        hand_over(client, fulfilment, wrong_code(fulfilment))
    before = timezone.now()
    fifth = hand_over(client, fulfilment, wrong_code(fulfilment))

    assert "After 5 wrong codes in a row, this order is locked until" in fifth.context["form"].errors["code"][0]
    fulfilment.refresh_from_db()
    assert fulfilment.handover_failures == 5
    assert before + timedelta(minutes=15) <= fulfilment.handover_locked_until <= timezone.now() + timedelta(minutes=15)
    until = f"{timezone.localtime(fulfilment.handover_locked_until):%H:%M}"
    assert order.events.filter(kind=OrderEvent.Kind.NOTE).last().note == site_text(NOTE_LOCKED, count=5, until=until)

    # While locked, even the right code is refused, and the refusal is not another wrong try.
    locked = hand_over(client, fulfilment, fulfilment.pickup_code)
    assert "Too many wrong pickup codes: this order is locked until" in locked.context["form"].errors["code"][0]
    console = client.get(url("counter:console", world.counter1.pk)).content.decode()
    assert "Locked until" in console
    fulfilment.refresh_from_db()
    assert (fulfilment.status, fulfilment.handover_failures) == (Fulfilment.Status.READY_FOR_PICKUP, 5)
    assert order.events.filter(kind=OrderEvent.Kind.NOTE).count() == 5

    # Once the window has passed, the counter starts afresh: a wrong code counts as the first, the right one works.
    Fulfilment.objects.filter(pk=fulfilment.pk).update(handover_locked_until=timezone.now() - timedelta(seconds=1))
    after = hand_over(client, fulfilment, wrong_code(fulfilment))
    assert "4 more wrong codes" in after.context["form"].errors["code"][0]
    assert hand_over(client, fulfilment, fulfilment.pickup_code).status_code == 302
    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.COMPLETED
    assert (fulfilment.handover_failures, fulfilment.handover_locked_until) == (0, None)


def test_hand_over_needs_the_csrf_token(world):
    fulfilment = ready_fulfilment(paid_order((world.variant_a, 1), counter=world.counter1))
    client = login(Client(enforce_csrf_checks=True), world.carol)

    assert hand_over(client, fulfilment, fulfilment.pickup_code).status_code == 403
    assert client.post(url("counter:ready", fulfilment.pk)).status_code == 403
    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.READY_FOR_PICKUP


@pytest.mark.parametrize("name", ["counter:ready", "counter:hand_over"])
def test_merchants_cannot_use_the_counter_actions(client, world, name):
    fulfilment = ready_fulfilment(paid_order((world.variant_a, 1), counter=world.counter1))

    response = login(client, world.alice).post(url(name, fulfilment.pk), {"code": fulfilment.pickup_code})

    assert response.status_code == 302
    assert response["Location"] == url("wagtailadmin_home")
    fulfilment.refresh_from_db()
    assert fulfilment.status == Fulfilment.Status.READY_FOR_PICKUP


def test_console_queries_do_not_grow_with_the_queue(client, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("counter:console", world.counter1.pk)).status_code == 200
        return len(captured)

    def add_orders() -> None:
        paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
        ready_fulfilment(paid_order((world.variant_a, 1), counter=world.counter1))
        done = ready_fulfilment(paid_order((world.variant_b, 1), counter=world.counter1))
        hand_over_service(done, done.pickup_code, actor=world.carol)

    add_orders()
    login(client, world.carol)
    queries()  # the first admin page of a session does some one-off work
    few = queries()
    for _ in range(4):
        add_orders()

    assert queries() == few
