"""The console's search and its queue: an order is found at one's own counter by its pickup code (typed, or the QR
on the order page scanned: it holds the code), by the last four digits of the customer's phone or by the order
number; it shows as one row with every merchant's lines; a search by code hands the whole order over in one step.
The queue refreshes as a fragment, its messages once per order and only while there is something to prepare.
Staff of one counter find, see and hand over nothing of another's."""

import re

import pytest

from orders.checkout import Contact
from orders.counter.search import parse_query
from orders.models import CounterCodeGuard, Fulfilment, OrderStatus
from orders.payments import mark_paid
from tests.catalog.admin_world import url
from tests.counter.helpers import paid_order, ready_fulfilment, ready_pickup, wrong_code
from tests.fixtures.http import login, messages_of
from tests.orders.helpers import cart_with, checkout, pickup_at


def search(client, counter, query: str):
    return client.post(url("counter:search", counter.pk), {"q": query})


def found(response) -> list:
    assert response.status_code == 200
    return [pickup.order for pickup in response.context["search"].pickups]


def results_html(response) -> str:
    """The search results' part of the console (the queue below shows the order too)."""
    html = response.content.decode()
    return html[html.index('id="counter-results"') : html.index('id="counter-code-heading"')]


def order_of(world, *lines, counter, phone: str):
    order = checkout(cart_with(*lines), pickup_at(counter), contact=Contact(name="李娜", phone=phone, email=""))
    return mark_paid(order)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123456", ("code", "123456")),
        (" 123 456 ", ("code", "123456")),
        ("https://shop.example/orders/x/pickup/123456", ("code", "123456")),
        ("5678", ("phone", "5678")),
        ("13912345678", ("mobile", "13912345678")),
        ("DX20261129-000042", ("number", "DX20261129-000042")),
        ("dx20261129000042", ("number", "DX20261129-000042")),
        ("42", ("order_id", "-000042")),
        ("张伟", None),
        ("", None),
    ],
)
def test_what_is_typed_is_read_as_a_code_phone_digits_or_order_number(typed, expected):
    assert parse_query(typed) == expected


def test_a_code_finds_the_order_as_one_row_with_every_merchants_lines_and_hands_it_over_in_one_step(client, world):
    order = paid_order((world.variant_a, 2), (world.variant_b, 1), counter=world.counter1)
    pickup = ready_pickup(order)
    login(client, world.carol)

    response = search(client, world.counter1, pickup.code)

    assert found(response) == [order]
    (row,) = response.context["search"].pickups
    assert {(line.sku, line.quantity) for part in row.live_parts for line in part.lines.all()} == {
        (world.variant_a.sku, 2),
        (world.variant_b.sku, 1),
    }
    html = results_html(response)
    assert html.count(url("counter:hand_over", pickup.pk)) == 1  # one row, one button for both parts
    assert html.count("<tr>") == 2  # the head's and the order's
    assert "Hand over everything" in html

    done = client.post(url("counter:hand_over", pickup.pk), {"code": response.context["search"].code}, follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert set(order.fulfilments.values_list("status", flat=True)) == {Fulfilment.Status.COMPLETED}
    assert messages_of(done) == [f"Order {order.number} has been handed over (2 parts, together)."]
    assert messages_of(client.get(url("counter:console", world.counter1.pk))) == []  # shown once


def test_the_qr_of_the_order_page_holds_the_code_and_finds_the_order(client, world):
    order = paid_order((world.variant_a, 1), counter=world.counter1)
    pickup = ready_pickup(order)

    # What a scanner types from the order page's QR (storefront.timeline draws it from the code alone).
    assert found(search(login(client, world.carol), world.counter1, pickup.code)) == [order]
    assert found(search(client, world.counter1, f"https://x.example/p?code={pickup.code}")) == [order]


def test_phone_digits_and_order_numbers_find_the_counters_orders(client, world):
    mine = order_of(world, (world.variant_a, 1), counter=world.counter1, phone="13700001234")
    other_phone = order_of(world, (world.variant_a, 1), counter=world.counter1, phone="13700009999")
    login(client, world.carol)

    assert found(search(client, world.counter1, "1234")) == [mine]
    assert found(search(client, world.counter1, "13700001234")) == [mine]
    assert found(search(client, world.counter1, mine.number)) == [mine]
    assert found(search(client, world.counter1, mine.number.lower())) == [mine]
    assert found(search(client, world.counter1, str(mine.pk))) == [mine]
    assert found(search(client, world.counter1, "9999")) == [other_phone]
    # Found by phone or number, the customer still gives the code: the row asks for it.
    html = results_html(search(client, world.counter1, "1234"))
    assert "Hand over everything" not in html
    nothing = search(client, world.counter1, "0000")
    assert nothing.context["search"].error and nothing.context["search"].pickups == []


def test_staff_of_one_counter_find_nothing_of_another_counters(client, world, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 5
    theirs = order_of(world, (world.variant_b, 1), counter=world.counter2, phone="13600004321")
    pickup = ready_pickup(theirs)
    login(client, world.carol)

    for query in (pickup.code, "4321", "13600004321", theirs.number, str(theirs.pk)):
        response = search(client, world.counter1, query)
        assert found(response) == [], query
        assert "李娜" not in response.content.decode()  # their customer's name, shown on any row of the order
    # Their code counted against carol's field like any unknown code; their pickup is untouched.
    assert CounterCodeGuard.objects.get(location=world.counter1).failures == 1
    assert search(client, world.counter2, "4321").status_code == 404
    assert client.get(url("counter:queue", world.counter2.pk)).status_code == 404
    pickup.refresh_from_db()
    assert (pickup.handed_over_at, pickup.handover_failures) == (None, 0)
    assert found(search(login(client, world.dave), world.counter2, pickup.code)) == [theirs]


def test_searching_codes_that_match_nothing_locks_the_code_field(client, world, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 3
    pickup = ready_pickup(paid_order((world.variant_a, 1), counter=world.counter1))
    login(client, world.carol)

    for _ in range(3):
        last = search(client, world.counter1, wrong_code(pickup))

    assert "this field is locked until" in last.context["search"].error
    locked = search(client, world.counter1, pickup.code)
    assert found(locked) == [] and "this field is locked until" in locked.context["search"].error
    # Phone digits and order numbers tell nothing about codes: they still work.
    assert found(search(client, world.counter1, pickup.order.number)) == [pickup.order]


def test_a_code_just_handed_over_shows_the_order_as_handed_over(client, world):
    pickup = ready_pickup(paid_order((world.variant_a, 1), counter=world.counter1))
    login(client, world.carol)
    client.post(url("counter:hand_over_by_code", world.counter1.pk), {"code": pickup.code})

    response = search(client, world.counter1, pickup.code)

    assert found(response) == [pickup.order]
    assert "Hand over everything" not in results_html(response)
    assert not CounterCodeGuard.objects.filter(location=world.counter1, failures__gt=0).exists()


def test_the_queue_refreshes_as_a_fragment_with_each_message_once(client, world):
    order = paid_order((world.variant_a, 1), (world.variant_b, 1), counter=world.counter1)
    login(client, world.carol)

    queue = client.get(url("counter:queue", world.counter1.pk))

    html = queue.content.decode()
    assert queue.status_code == 200 and "no-store" in queue["Cache-Control"]
    assert "<html" not in html and order.number in html
    # One "prepare" message per merchant's part was sent; the queue shows the order once.
    assert html.count(f"Prepare order {order.number} for pickup") == 1
    assert len(re.findall(rf"<tr>\s*<td[^>]*>\s*<a[^>]*>{order.number}<", html)) == 1
    for part in order.fulfilments.all():
        ready_fulfilment(order, pk=part.pk)
    # Nothing left to prepare: the message is stale and goes.
    assert f"Prepare order {order.number}" not in client.get(url("counter:queue", world.counter1.pk)).content.decode()
