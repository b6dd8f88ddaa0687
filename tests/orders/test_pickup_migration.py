"""Migrating existing orders to pickups (``orders/0011``): the parts of one order at one counter share one pickup,
which keeps the code the customer was already sent where it can, and its lock."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from orders.models import Fulfilment, Order, Pickup
from orders.payments import cancel_order, mark_paid
from tests import factories
from tests.orders.helpers import cart_with, checkout, pickup_at, stocked_variant

FIRST = importlib.import_module("orders.migrations.0010_pickups").Migration
BEFORE = [dependency for dependency in FIRST.dependencies if dependency[0] == "orders"]


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] == "orders"]


@pytest.fixture
def before_pickups(transactional_db):
    """Orders as today's code makes them, then the orders tables taken back to before pickups (and forward after)."""
    target = latest()
    executor = MigrationExecutor(connection)

    def back():
        executor.migrate(BEFORE)
        return executor.loader.project_state(BEFORE).apps

    def forward():
        executor.loader.build_graph()
        executor.migrate(target)

    yield back, forward
    executor.loader.build_graph()
    if executor.migration_plan(target):
        executor.migrate(target)


@pytest.mark.django_db(transaction=True)
def test_existing_parts_at_one_counter_share_one_pickup_keeping_their_codes(before_pickups):
    back, forward = before_pickups
    counter = factories.make_location(name="德百专柜")
    oranges_farm, brocade = factories.make_merchant("贵措脐橙"), factories.make_merchant("隘口织锦")
    oranges = stocked_variant((counter, 20), merchant=oranges_farm)
    scarf = stocked_variant((counter, 20), merchant=brocade)
    half_ready = mark_paid(checkout(cart_with((oranges, 1), (scarf, 1)), pickup_at(counter)))
    clashing = mark_paid(checkout(cart_with((oranges, 1)), pickup_at(counter)))
    collected = mark_paid(checkout(cart_with((scarf, 1)), pickup_at(counter)))
    locked = mark_paid(checkout(cart_with((oranges, 1), (scarf, 1)), pickup_at(counter)))
    cancelled = checkout(cart_with((oranges, 1)), pickup_at(counter))
    cancel_order(cancelled, actor=None)
    delivery = checkout(cart_with((stocked_variant((factories.make_location(kind="warehouse"), 5)), 1)))
    lock_until = timezone.now() + timedelta(minutes=10)

    old = back().get_model("orders", "Fulfilment")
    # What the per-part codes left: the oranges part ready with the code its customer was sent, the scarf part not;
    # another order's ready part with the same code (codes were not unique); a collected order; a locked part.
    old.objects.filter(order_id=half_ready.pk, merchant_id=oranges_farm.pk).update(
        status="ready_for_pickup", pickup_code="111111"
    )
    old.objects.filter(order_id=clashing.pk).update(status="ready_for_pickup", pickup_code="111111")
    old.objects.filter(order_id=collected.pk).update(status="completed", pickup_code="222222")
    earlier, later = old.objects.filter(order_id=locked.pk).order_by("pk").values_list("pk", flat=True)
    old.objects.filter(pk=later).update(
        status="ready_for_pickup", pickup_code="444444", handover_failures=5, handover_locked_until=lock_until
    )
    old.objects.filter(pk=earlier).update(status="ready_for_pickup", pickup_code="333333", handover_failures=1)
    forward()

    def pickup_of(order: Order) -> Pickup:
        pickup = Pickup.objects.get(order=order)
        assert set(Fulfilment.objects.filter(order=order).values_list("pickup", flat=True)) == {pickup.pk}
        return pickup

    first = pickup_of(half_ready)
    assert first.code == "111111" and first.location == counter
    assert (first.ready_at, first.closed_at) == (None, None)  # the scarf is not ready yet
    second = pickup_of(clashing)
    assert second.code != "111111" and len(second.code) == 6  # an open pickup had it already
    assert second.ready_at is not None
    done = pickup_of(collected)
    assert done.code == "222222" and done.handed_over_at is not None and done.closed_at is not None
    guarded = pickup_of(locked)
    assert guarded.code == "333333"  # the first part (by id) with a code; the guard: the most wrong codes, the lock
    assert (guarded.handover_failures, guarded.handover_locked_until) == (5, lock_until)
    gone = pickup_of(cancelled)
    assert gone.closed_at is not None and gone.ready_at is None
    assert not Pickup.objects.filter(order=delivery).exists()
    assert Fulfilment.objects.get(order=delivery).pickup is None
    open_codes = list(Pickup.objects.filter(closed_at__isnull=True).values_list("code", flat=True))
    assert len(open_codes) == len(set(open_codes))
