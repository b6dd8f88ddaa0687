"""One pickup per order and counter: one code for every merchant's part collected there, given with the order; one
"ready" message (e-mail and text message) when the last part is ready; codes unique among open pickups.

Messages go through the outbox to the fake Tencent Cloud SMS (``tests/fixtures/tencent_sms.py``, the real SDK)
and Django's test mail outbox.
"""

import re

import pytest
from django.core import mail
from django.db import transaction

from orders import notifications
from orders.fulfilment import mark_fulfilment_ready
from orders.fulfilment import pickups as pickup_codes
from orders.fulfilment.pickups import open_pickups
from orders.models import Fulfilment, OrderStatus, Pickup
from orders.payments import cancel_order, mark_paid
from tests import factories
from tests.fixtures.tencent_sms import TEMPLATES
from tests.orders.helpers import CONTACT, cart_with, checkout, pickup_at, stocked_variant
from worker.models import Notification


@pytest.fixture
def oranges_and_scarf(merchants, counter):
    """Two producers' products, both stocked at one counter: 贵措 navel oranges and a Tujia brocade scarf."""
    oranges = stocked_variant((counter, 10), merchant=merchants[0], price=3990)
    scarf = stocked_variant((counter, 10), merchant=merchants[1], price=12800)
    return oranges, scarf


def ready_messages(fake) -> list[list[str]]:
    """The parameters of each "ready for pickup" text message the fake provider accepted."""
    ready_id = TEMPLATES["pickup_ready"][0]
    return [message.params for message in fake.sent if message.template_id == ready_id]


def ready_emails() -> list:
    return [message for message in mail.outbox if "ready for pickup" in message.subject]


def test_two_producers_at_one_counter_share_one_pickup_code(oranges_and_scarf, counter):
    oranges, scarf = oranges_and_scarf

    order = checkout(cart_with((oranges, 1), (scarf, 1)), pickup_at(counter))

    assert order.fulfilments.count() == 2  # one part per merchant, as before
    pickup = order.pickups.get()
    assert pickup.location == counter
    assert re.fullmatch(r"\d{6}", pickup.code)
    assert {part.pickup_id for part in order.fulfilments.all()} == {pickup.pk}
    assert (pickup.ready_at, pickup.handed_over_at, pickup.closed_at) == (None, None, None)


def test_a_delivery_order_has_no_pickup(oranges_and_scarf, warehouse):
    variant = stocked_variant((warehouse, 5))

    order = checkout(cart_with((variant, 1)))

    assert not order.pickups.exists()
    assert order.fulfilments.get().pickup is None


def test_an_order_at_two_counters_has_two_pickups_with_different_codes(merchants, counter):
    other_counter = factories.make_location(name="乐陵专柜")
    oranges = stocked_variant((counter, 5), merchant=merchants[0])
    scarf = stocked_variant((counter, 5), merchant=merchants[1])
    order = mark_paid(checkout(cart_with((oranges, 1), (scarf, 1)), pickup_at(counter)))
    # Checkout places an order for one counter; one split over two (moved by operators, say) gets a pickup for each.
    second = open_pickups(order, [other_counter])[other_counter.pk]
    Fulfilment.objects.filter(order=order, merchant=merchants[1]).update(location=other_counter, pickup=second)

    first = order.pickups.get(location=counter)
    assert order.pickups.count() == 2
    assert first.code != second.code
    assert list(first.parts.values_list("merchant", flat=True)) == [merchants[0].pk]
    assert list(second.parts.values_list("merchant", flat=True)) == [merchants[1].pk]

    mark_fulfilment_ready(first.parts.get(), actor=None)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.ready_at is not None and second.ready_at is None


def test_a_code_an_open_pickup_holds_is_drawn_again(oranges_and_scarf, counter, monkeypatch):
    """The random draw is replaced by a list of codes (the only stand-in: the rule is what happens on a clash)."""
    oranges, _scarf = oranges_and_scarf
    first = checkout(cart_with((oranges, 1)), pickup_at(counter)).pickups.get()
    draws = iter([first.code, first.code, "424242"])
    monkeypatch.setattr(pickup_codes, "new_pickup_code", lambda: next(draws))

    second = checkout(cart_with((oranges, 1)), pickup_at(counter)).pickups.get()

    assert second.code == "424242"
    assert Pickup.objects.filter(code=first.code).count() == 1


def test_the_code_of_a_closed_pickup_may_be_given_again(oranges_and_scarf, counter, monkeypatch):
    oranges, _scarf = oranges_and_scarf
    cancelled = checkout(cart_with((oranges, 1)), pickup_at(counter))
    cancel_order(cancelled, actor=None)
    old = cancelled.pickups.get()
    assert old.closed_at is not None  # its parts were cancelled with the unpaid order
    monkeypatch.setattr(pickup_codes, "new_pickup_code", lambda: old.code)

    again = checkout(cart_with((oranges, 1)), pickup_at(counter)).pickups.get()

    assert again.code == old.code


def test_no_free_code_fails_the_checkout_loudly(oranges_and_scarf, counter, monkeypatch):
    oranges, _scarf = oranges_and_scarf
    taken = checkout(cart_with((oranges, 1)), pickup_at(counter)).pickups.get().code
    monkeypatch.setattr(pickup_codes, "new_pickup_code", lambda: taken)

    with pytest.raises(RuntimeError, match="no free pickup code"):
        checkout(cart_with((oranges, 1)), pickup_at(counter))

    assert Pickup.objects.count() == 1


def test_ready_is_sent_once_after_the_last_part_is_ready(
    oranges_and_scarf, counter, merchants, tencent_sms, django_capture_on_commit_callbacks
):
    """The measured problem: the customer was told "ready" when only the oranges were, and told twice."""
    oranges, scarf = oranges_and_scarf
    order = checkout(cart_with((oranges, 1), (scarf, 1)), pickup_at(counter), contact=CONTACT, language="en")
    pickup = order.pickups.get()
    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order)
    oranges_part = order.fulfilments.get(merchant=merchants[0])
    scarf_part = order.fulfilments.get(merchant=merchants[1])

    with django_capture_on_commit_callbacks(execute=True):
        mark_fulfilment_ready(oranges_part, actor=None)

    assert ready_messages(tencent_sms) == []
    assert ready_emails() == []
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLING

    with django_capture_on_commit_callbacks(execute=True):
        mark_fulfilment_ready(scarf_part, actor=None)

    assert ready_messages(tencent_sms) == [[order.number, counter.name, pickup.code]]
    (email,) = ready_emails()
    assert email.to == [CONTACT.email]
    assert pickup.code in email.body
    for line in order.lines.all():  # everything to collect, both merchants' parts
        assert line.product_name in email.body
    keys = Notification.objects.filter(template__in=["fulfilment_ready", "pickup_ready"]).values_list("key", flat=True)
    assert sorted(keys) == [f"pickup-{pickup.pk}-ready", f"pickup-{pickup.pk}-ready-sms"]
    order.refresh_from_db()
    pickup.refresh_from_db()
    assert order.status == OrderStatus.READY_FOR_PICKUP
    assert pickup.ready_at is not None

    # Told again (a retried task, say): the keys make it nothing.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notifications.pickup_ready(pickup)
    assert len(ready_messages(tencent_sms)) == 1
    assert len(ready_emails()) == 1


def test_parts_cancelled_with_their_unpaid_order_close_its_pickup(oranges_and_scarf, counter):
    oranges, scarf = oranges_and_scarf
    order = checkout(cart_with((oranges, 1), (scarf, 1)), pickup_at(counter))

    cancel_order(order, actor=None)

    pickup = order.pickups.get()
    assert pickup.closed_at is not None
    assert (pickup.ready_at, pickup.handed_over_at) == (None, None)
