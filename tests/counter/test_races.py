"""Concurrent hand-overs and counter sales on PostgreSQL: each thread has its own database connection."""

import pytest

from catalog.models import Location, StockMovement
from orders.counter.services import (
    CounterError,
    HandOverLocked,
    WrongPickupCode,
    hand_over,
    hand_over_by_code,
    record_counter_sale,
)
from orders.models import CounterCodeGuard, CounterSale, Fulfilment, OrderEvent, OrderStatus, Pickup
from tests import factories
from tests.counter.helpers import paid_order, ready_pickup, wrong_code
from tests.fixtures.races import run_together
from tests.orders.helpers import stock_of, stocked_variant


@pytest.fixture
def counter(transactional_db) -> Location:
    return factories.make_location(name="德百专柜")


@pytest.fixture
def ready(counter) -> Pickup:
    variant = stocked_variant((counter, 5))
    return ready_pickup(paid_order((variant, 1), counter=counter))


@pytest.fixture
def ready_two_parts(counter) -> Pickup:
    """Two merchants' products collected at one counter: one pickup, two parts, all ready."""
    oranges = stocked_variant((counter, 5), merchant=factories.make_merchant("贵措脐橙种植场"))
    scarf = stocked_variant((counter, 5), merchant=factories.make_merchant("隘口土家织锦坊"))
    return ready_pickup(paid_order((oranges, 1), (scarf, 1), counter=counter))


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_wrong_codes_are_all_counted(ready, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 20
    staff = factories.make_user()

    results = run_together(lambda: hand_over(ready, wrong_code(ready), actor=staff), n=10)

    assert all(isinstance(result, WrongPickupCode) for result in results), results
    ready.refresh_from_db()
    assert ready.handover_failures == 10
    assert ready.handover_locked_until is None
    assert OrderEvent.objects.filter(order=ready.order, kind=OrderEvent.Kind.NOTE, actor=staff).count() == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_codes_lock_after_exactly_the_limit(ready, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 5

    results = run_together(lambda: hand_over(ready, wrong_code(ready), actor=None), n=10)

    wrong = [r for r in results if type(r) is WrongPickupCode]
    locked = [r for r in results if type(r) is HandOverLocked]
    assert (len(wrong), len(locked)) == (4, 6), results  # the fifth wrong code locks; the rest find it locked
    ready.refresh_from_db()
    assert ready.handover_failures == 5
    assert ready.handover_locked_until is not None
    assert OrderEvent.objects.filter(order=ready.order, kind=OrderEvent.Kind.NOTE).count() == 5
    assert ready.handed_over_at is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_unknown_codes_lock_the_code_field_after_exactly_the_limit(ready, counter, settings):
    settings.COUNTER_HANDOVER_MAX_FAILURES = 5

    results = run_together(lambda: hand_over_by_code(counter, wrong_code(ready), actor=None), n=10)

    wrong = [r for r in results if type(r) is WrongPickupCode]
    locked = [r for r in results if type(r) is HandOverLocked]
    assert (len(wrong), len(locked)) == (4, 6), results
    guard = CounterCodeGuard.objects.get(location=counter)
    assert guard.failures == 5 and guard.locked_until is not None
    ready.refresh_from_db()
    assert (ready.handover_failures, ready.handed_over_at) == (0, None)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_right_codes_hand_over_once(ready):
    results = run_together(lambda: hand_over(ready, ready.code, actor=None), n=2)

    done = [r for r in results if isinstance(r, Pickup)]
    refused = [r for r in results if isinstance(r, CounterError)]
    assert (len(done), len(refused)) == (1, 1), results
    assert "already been handed over" in str(refused[0])
    fulfilment = ready.parts.get()
    assert fulfilment.status == Fulfilment.Status.COMPLETED
    assert fulfilment.order.status == OrderStatus.COMPLETED
    completions = OrderEvent.objects.filter(fulfilment=fulfilment, to_status=Fulfilment.Status.COMPLETED)
    assert completions.count() == 1
    order_completions = OrderEvent.objects.filter(order=ready.order, kind=OrderEvent.Kind.STATUS, to_status="completed")
    assert order_completions.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_staff_handing_over_one_pickup_at_once_hand_it_over_once(ready_two_parts, counter):
    """Two counter staff scan (or type) the same customer's code at the same moment: every part is handed over
    once, with one history entry each, and the order completes once."""
    carol, dave = factories.make_user("carol"), factories.make_user("dave")
    pickup = ready_two_parts

    results = run_together(
        lambda: hand_over_by_code(counter, pickup.code, actor=carol),
        lambda: hand_over(pickup, pickup.code, actor=dave),
    )

    done = [r for r in results if isinstance(r, Pickup)]
    refused = [r for r in results if isinstance(r, CounterError)]
    assert (len(done), len(refused)) == (1, 1), results
    assert "already been handed over" in str(refused[0])
    pickup.refresh_from_db()
    assert pickup.handed_over_at is not None and pickup.closed_at is not None
    parts = list(pickup.parts.all())
    assert len(parts) == 2 and {part.status for part in parts} == {Fulfilment.Status.COMPLETED}
    for part in parts:
        completions = OrderEvent.objects.filter(fulfilment=part, to_status=Fulfilment.Status.COMPLETED)
        assert completions.count() == 1
    winner = carol if isinstance(results[0], Pickup) else dave
    assert {e.actor for e in OrderEvent.objects.filter(order=pickup.order, to_status="completed")} == {winner}
    order_completions = OrderEvent.objects.filter(
        order=pickup.order, kind=OrderEvent.Kind.STATUS, to_status="completed"
    )
    assert order_completions.count() == 1
    assert not OrderEvent.objects.filter(order=pickup.order, kind=OrderEvent.Kind.NOTE).exists()  # no wrong code


@pytest.mark.django_db(transaction=True)
def test_concurrent_counter_sales_never_sell_more_than_the_counter_holds(counter):
    variant = stocked_variant((counter, 10))

    results = run_together(lambda: record_counter_sale(counter, [(variant.pk, 3)], actor=None), n=5)

    sales = [r for r in results if isinstance(r, CounterSale)]
    assert len(sales) == 3, results
    assert all(type(r).__name__ == "InsufficientStock" for r in results if not isinstance(r, CounterSale))
    assert stock_of(variant, counter).on_hand == 1
    assert CounterSale.objects.count() == 3
    assert StockMovement.objects.filter(kind=StockMovement.Kind.SALE).count() == 3
