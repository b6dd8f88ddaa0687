"""Checkout under a rush: the stock rows are locked last and briefly, a sold-out cart does not wait for them,
and stock taken between the unlocked plan and the lock is noticed under the lock (PostgreSQL)."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import StockMovement
from catalog.services import adjust_stock
from orders.checkout import SoldOut, allocation, cart_summary
from orders.models import Cart, Fulfilment, Order, OrderEvent, OrderLine
from tests import factories
from tests.fixtures.races import run_together
from tests.orders.helpers import cart_with, checkout, stock_of, stock_snapshot, stocked_variant


def _stock_lock(sql: str) -> bool:
    return sql.startswith('SELECT "catalog_stock"') and sql.endswith("FOR UPDATE")


def _in_another_connection(job) -> None:
    """Run ``job`` and commit it from another thread (another connection), as a concurrent buyer would."""
    failures = []

    def work():
        try:
            job()
        except BaseException as exc:  # handed back below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    assert not failures, failures


def _meanwhile(monkeypatch, moment: str, job) -> None:
    """Run ``job`` in another connection once, at ``moment`` of the checkout: right after the plan is chosen
    without locks ("plan"), or after the unlocked re-check just before the lock ("lock", so only the lock
    can notice)."""
    done = []

    def once():
        if not done:
            done.append(True)
            _in_another_connection(job)

    if moment == "plan":
        original = allocation.provisional_allocation

        def provisional_then_job(*args, **kwargs):
            provisional = original(*args, **kwargs)
            once()
            return provisional

        monkeypatch.setattr("orders.checkout.services.provisional_allocation", provisional_then_job)
    else:
        original_check = allocation.still_holds

        def check_then_job(plan):
            held = original_check(plan)
            once()
            return held

        monkeypatch.setattr("orders.checkout.services.still_holds", check_then_job)


@pytest.mark.django_db
def test_the_stock_row_is_locked_only_for_the_reservation_after_the_order_is_written(warehouse):
    variant = stocked_variant((warehouse, 10))
    cart = cart_with((variant, 2))
    fingerprint = cart_summary(cart).fingerprint

    with CaptureQueriesContext(connection) as captured:
        order = checkout(cart, fingerprint=fingerprint)

    sqls = [q["sql"] for q in captured.captured_queries]
    locks = [i for i, sql in enumerate(sqls) if _stock_lock(sql)]
    assert locks, sqls
    locked = sqls[locks[0] :]
    # Everything about the order is written before the hot row is locked; under the lock only the stock
    # update and its ledger entry (and what catalog.services does with them).
    for table in ("orders_order", "orders_fulfilment", "orders_orderline", "orders_orderevent", "orders_cartline"):
        assert not [sql for sql in locked if f'"{table}"' in sql], table
    assert sum(sql.startswith('UPDATE "catalog_stock"') for sql in locked) == 1
    assert sum(sql.startswith('INSERT INTO "catalog_stockmovement"') for sql in locked) == 1
    assert len(locked) <= 12, locked
    # The plan's stock rows come with their warehouses, and the reserved variant with its (absent) pre-sale.
    assert not [sql for sql in sqls if 'FROM "catalog_location"' in sql], sqls
    assert not [sql for sql in sqls if 'FROM "catalog_presale"' in sql], sqls
    stock = stock_of(variant, warehouse)
    assert (stock.on_hand, stock.allocated) == (10, 2)
    movement = StockMovement.objects.get(kind="allocate")
    assert (movement.allocated_change, movement.reference) == (2, order.number)
    assert OrderLine.objects.get().quantity == 2 and not cart.lines.exists()


@pytest.mark.django_db
def test_a_cart_already_sold_out_is_refused_without_locking_the_stock(warehouse):
    variant = stocked_variant((warehouse, 1))
    cart, other = cart_with((variant, 1)), cart_with((variant, 1))
    fingerprint = cart_summary(cart).fingerprint
    checkout(other)
    before = stock_snapshot()

    with CaptureQueriesContext(connection) as captured, pytest.raises(SoldOut, match="sold out"):
        checkout(cart, fingerprint=fingerprint)

    assert not [q for q in captured.captured_queries if _stock_lock(q["sql"])]
    assert stock_snapshot() == before
    assert Order.objects.count() == 1 and cart.lines.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("moment", ["plan", "lock"])
def test_units_taken_between_the_plan_and_the_lock_make_a_sold_out_and_nothing_is_written(monkeypatch, moment):
    warehouse = factories.make_location(kind="warehouse")
    variant = stocked_variant((warehouse, 3))
    cart = cart_with((variant, 2))
    fingerprint = cart_summary(cart).fingerprint
    _meanwhile(monkeypatch, moment, lambda: checkout(cart_with((variant, 2))))

    with pytest.raises(SoldOut, match="sold out"):
        checkout(cart, fingerprint=fingerprint)

    # Only the other buyer's order, line, fulfilment, event and ledger entry.
    assert StockMovement.objects.filter(kind="allocate").count() == 1
    assert Order.objects.count() == 1 and OrderLine.objects.count() == 1 and Fulfilment.objects.count() == 1
    assert OrderEvent.objects.count() == 1
    assert cart.lines.get().quantity == 2
    stock = stock_of(variant, warehouse)
    assert (stock.on_hand, stock.allocated) == (3, 2)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("moment", ["plan", "lock"])
def test_a_warehouse_emptied_between_the_plan_and_the_lock_is_replaced_by_another(monkeypatch, moment):
    first = factories.make_location(kind="warehouse", name="秀山一号仓", code="xs-wh1")
    second = factories.make_location(kind="warehouse", name="秀山二号仓", code="xs-wh2")
    variant = stocked_variant((first, 5), (second, 5))
    cart = cart_with((variant, 3))
    fingerprint = cart_summary(cart).fingerprint
    _meanwhile(
        monkeypatch,
        moment,
        lambda: adjust_stock(variant=variant, location=first, quantity=-4, actor=None, reason="破损"),
    )

    order = checkout(cart, fingerprint=fingerprint)

    assert [(line.location_id, line.quantity) for line in order.lines.all()] == [(second.pk, 3)]
    assert [f.location_id for f in order.fulfilments.all()] == [second.pk]
    assert (stock_of(variant, first).allocated, stock_of(variant, second).allocated) == (0, 3)
    assert Order.objects.count() == 1 and StockMovement.objects.filter(kind="allocate").count() == 1
    assert not Cart.objects.get(pk=cart.pk).lines.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rush_of_buyers_for_few_units_oversells_nothing():
    warehouse = factories.make_location(kind="warehouse")
    units, buyers = 8, 40
    variant = stocked_variant((warehouse, units), price=5900)
    carts = [cart_with((variant, 1)) for _ in range(buyers)]
    fingerprints = [cart_summary(cart).fingerprint for cart in carts]

    results = run_together(
        *[lambda c=cart, f=fp: checkout(c, fingerprint=f) for cart, fp in zip(carts, fingerprints, strict=True)]
    )

    orders = [r for r in results if isinstance(r, Order)]
    assert [r for r in results if not isinstance(r, Order | SoldOut)] == []
    assert len(orders) == units == Order.objects.count()
    assert all("sold out" in str(r) for r in results if isinstance(r, SoldOut))
    stock = stock_of(variant, warehouse)
    assert (stock.on_hand, stock.allocated) == (units, units)
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == units  # 0 oversold
    assert StockMovement.objects.filter(kind="allocate").count() == units
    assert OrderEvent.objects.count() == units and Fulfilment.objects.count() == units
    # The losers kept their carts; the winners' are empty.
    assert sum(cart.lines.exists() for cart in carts) == buyers - units
