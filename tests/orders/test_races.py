"""Concurrent checkouts on PostgreSQL: each thread has its own database connection."""

from datetime import timedelta

import pytest

from catalog.models import StockMovement
from orders.checkout import SoldOut, cart_summary, new_checkout_token
from orders.models import AidLedgerEntry, Order
from orders.payments import expire_overdue_orders, mark_paid
from orders.state import InvalidTransition
from tests import factories
from tests.fixtures.races import run_together
from tests.orders.helpers import cart_with, checkout, stock_of, stocked_variant


@pytest.mark.django_db(transaction=True)
def test_fifty_checkouts_for_ten_units_make_ten_orders_and_forty_sold_outs():
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 10), price=6800)
    carts = [cart_with((variant, 1)) for _ in range(50)]
    fingerprints = [cart_summary(cart).fingerprint for cart in carts]

    results = run_together(
        *[lambda c=cart, f=fp: checkout(c, fingerprint=f) for cart, fp in zip(carts, fingerprints, strict=True)]
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

    results = run_together(*[lambda c=own: buyer(c) for own in carts])

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

    results = run_together(lambda: checkout(cart, checkout_token=token, fingerprint=fingerprint), n=2)

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

    results = run_together(lambda: expire_overdue_orders(now=later), n=4)

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
        lambda: mark_paid(Order.objects.get(pk=order.pk)), lambda: expire_overdue_orders(now=order.expires_at)
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


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_payments_for_the_same_goods_sells_each_unit_once_without_deadlock():
    """A flash sale's payments all end on the same stock rows (taken last in ``mark_paid``, in the same order)."""
    warehouse = factories.make_location(kind="warehouse")
    first, second = stocked_variant((warehouse, 100)), stocked_variant((warehouse, 100))
    orders = [
        checkout(cart_with((first, 1), (second, 2)) if i % 2 else cart_with((second, 2), (first, 1))) for i in range(16)
    ]

    results = run_together(*[lambda pk=order.pk: mark_paid(Order.objects.get(pk=pk)) for order in orders])

    assert [r for r in results if not isinstance(r, Order)] == []
    assert set(Order.objects.values_list("status", flat=True)) == {"paid"}
    assert (stock_of(first, warehouse).on_hand, stock_of(first, warehouse).allocated) == (84, 0)
    assert (stock_of(second, warehouse).on_hand, stock_of(second, warehouse).allocated) == (68, 0)
    assert StockMovement.objects.filter(kind="sale").count() == 32
    assert AidLedgerEntry.objects.filter(kind="order_paid").count() == 32
