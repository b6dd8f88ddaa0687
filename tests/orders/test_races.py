"""Concurrent checkouts on PostgreSQL: each thread has its own database connection."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import translation

from catalog.models import StockMovement
from orders.models import Order
from orders.selectors import cart_summary
from orders.services import SoldOut, expire_overdue_orders, mark_paid, new_checkout_token
from orders.state import InvalidTransition
from tests import factories
from tests.orders.helpers import cart_with, checkout, stock_of, stocked_variant


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job at the same moment; return each result or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def work(index: int, job: Callable[[], object]) -> None:
        translation.activate("en")
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as exc:  # returned to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung"
    return results


@pytest.mark.django_db(transaction=True)
def test_fifty_checkouts_for_ten_units_make_ten_orders_and_forty_sold_outs():
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 10), price=6800)
    carts = [cart_with((variant, 1)) for _ in range(50)]
    fingerprints = [cart_summary(cart).fingerprint for cart in carts]

    results = run_together(
        [lambda c=cart, f=fp: checkout(c, fingerprint=f) for cart, fp in zip(carts, fingerprints, strict=True)]
    )

    orders = [r for r in results if isinstance(r, Order)]
    sold_out = [r for r in results if isinstance(r, SoldOut)]
    others = [r for r in results if not isinstance(r, Order | SoldOut)]
    assert others == []
    assert (len(orders), len(sold_out)) == (10, 40)
    assert all("sold out" in str(exc) for exc in sold_out)
    stock = stock_of(variant, warehouse)
    assert (stock.on_hand, stock.allocated) == (10, 10)
    assert Order.objects.count() == 10
    assert StockMovement.objects.filter(kind="allocate").count() == 10
    assert len({order.number for order in orders}) == 10


@pytest.mark.django_db(transaction=True)
def test_two_variants_bought_in_opposite_orders_do_not_deadlock():
    warehouse = factories.make_location(kind="warehouse")
    first = stocked_variant((warehouse, 1000))
    second = stocked_variant((warehouse, 1000))
    rounds = 5
    carts = [
        [cart_with((first, 1), (second, 2)) if i % 2 else cart_with((second, 2), (first, 1)) for _ in range(rounds)]
        for i in range(12)
    ]

    def buyer(own_carts):
        return [checkout(cart) for cart in own_carts]

    results = run_together([lambda c=own: buyer(c) for own in carts])

    assert [r for r in results if not isinstance(r, list)] == []
    assert Order.objects.count() == 12 * rounds
    assert stock_of(first, warehouse).allocated == 12 * rounds
    assert stock_of(second, warehouse).allocated == 2 * 12 * rounds


@pytest.mark.django_db(transaction=True)
def test_the_same_checkout_submitted_twice_at_once_makes_one_order():
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 10))
    cart = cart_with((variant, 2))
    token, fingerprint = new_checkout_token(), cart_summary(cart).fingerprint

    results = run_together([lambda: checkout(cart, checkout_token=token, fingerprint=fingerprint) for _ in range(2)])

    assert all(isinstance(r, Order) for r in results), results
    assert results[0].pk == results[1].pk
    assert Order.objects.count() == 1
    assert stock_of(variant, warehouse).allocated == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_expiry_runs_release_each_order_once():
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 20))
    orders = [checkout(cart_with((variant, 2))) for _ in range(5)]
    later = max(order.expires_at for order in orders) + timedelta(seconds=1)

    results = run_together([lambda: expire_overdue_orders(now=later) for _ in range(4)])

    assert sum(results) == 5
    assert set(Order.objects.values_list("status", flat=True)) == {"expired"}
    assert StockMovement.objects.filter(kind="release").count() == 5
    assert stock_of(variant, warehouse).allocated == 0


@pytest.mark.django_db(transaction=True)
def test_payment_racing_expiry_has_exactly_one_winner():
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 10))
    order = checkout(cart_with((variant, 3)))

    paid, expired = run_together(
        [lambda: mark_paid(Order.objects.get(pk=order.pk)), lambda: expire_overdue_orders(now=order.expires_at)]
    )

    order.refresh_from_db()
    stock = stock_of(variant, warehouse)
    if order.status == "paid":
        assert isinstance(paid, Order) and expired == 0
        assert (stock.on_hand, stock.allocated) == (7, 0)
    else:
        assert order.status == "expired" and expired == 1 and isinstance(paid, InvalidTransition)
        assert (stock.on_hand, stock.allocated) == (10, 0)
    assert StockMovement.objects.filter(kind__in=["sale", "release"]).count() == 1
