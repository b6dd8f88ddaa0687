"""The hold an unpaid order keeps on its items (``orders.payments.hold``): time left, and whether it can be paid."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import OrderStatus
from orders.payments import cancel_order, expire_order
from orders.payments.hold import can_pay_now, hold_is_running, payment_hold, seconds_left
from tests.payments.helpers import placed_order, stripe_payment

pytestmark = pytest.mark.django_db


def test_a_new_order_is_held_for_the_reservation_time_and_can_be_paid(settings):
    order = placed_order()
    now = timezone.now()

    hold = payment_hold(order, now=now)

    assert hold.expires_at == order.expires_at
    expected = (order.expires_at - now).total_seconds()
    assert expected <= hold.seconds_left < expected + 1
    assert settings.ORDER_RESERVATION_MINUTES * 60 - 5 < hold.seconds_left <= settings.ORDER_RESERVATION_MINUTES * 60
    assert hold.running and hold.can_pay and not hold.attempted
    assert can_pay_now(order, now=now)


def test_the_last_fraction_of_a_second_still_counts_and_the_deadline_itself_does_not():
    order = placed_order()

    assert seconds_left(order, now=order.expires_at - timedelta(milliseconds=200)) == 1
    assert seconds_left(order, now=order.expires_at) == 0
    assert seconds_left(order, now=order.expires_at + timedelta(minutes=5)) == 0
    assert not hold_is_running(order, now=order.expires_at)


def test_a_hold_past_its_deadline_has_ended_before_the_expiry_task_runs():
    order = placed_order()
    after = order.expires_at + timedelta(seconds=1)

    hold = payment_hold(order, now=after)

    assert order.status == OrderStatus.PENDING_PAYMENT
    assert (hold.seconds_left, hold.running, hold.can_pay) == (0, False, False)
    assert not can_pay_now(order, now=after)


def test_an_expired_order_shows_an_ended_hold_and_others_none():
    expired = placed_order()
    assert expire_order(expired, now=expired.expires_at + timedelta(seconds=1))
    cancelled = cancel_order(placed_order(), actor=None)

    assert payment_hold(expired).seconds_left == 0 and not payment_hold(expired).running
    assert payment_hold(cancelled) is None
    assert not can_pay_now(cancelled)


def test_without_a_payment_method_the_hold_runs_but_cannot_be_paid(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = False
    order = placed_order()

    hold = payment_hold(order)

    assert hold.running and not hold.can_pay
    assert not can_pay_now(order)
    settings.DEBUG = True  # the demo method
    assert can_pay_now(order)


def test_an_earlier_attempt_makes_it_paying_again():
    order = placed_order()
    stripe_payment(order)

    assert payment_hold(order).attempted
