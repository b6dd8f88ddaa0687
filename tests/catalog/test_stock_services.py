import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import Stock, StockMovement
from catalog.services import (
    InsufficientStock,
    StockChange,
    StockError,
    adjust_stock,
    apply_stock_changes,
    receive_stock,
    set_stock_level,
    transfer_stock,
)
from tests import factories
from tests.fixtures.races import errors_in, run_together


@pytest.fixture
def variant(db):
    return factories.make_product().variants.get()


def stock_of(variant, location) -> Stock:
    return Stock.objects.get(variant=variant, location=location)


def test_receive_creates_stock_and_ledger_entry(variant, warehouse, operator):
    movement = receive_stock(variant=variant, location=warehouse, quantity=40, actor=operator, reason="首批入库")

    stock = stock_of(variant, warehouse)
    assert (stock.on_hand, stock.allocated) == (40, 0)
    assert movement.kind == StockMovement.Kind.RECEIVE
    assert (movement.quantity, movement.on_hand_after, movement.actor, movement.reason) == (
        40,
        40,
        operator,
        "首批入库",
    )


def test_adjust_down_below_zero_is_refused_and_changes_nothing(variant, warehouse, operator):
    receive_stock(variant=variant, location=warehouse, quantity=3, actor=operator, reason="入库")

    with pytest.raises(InsufficientStock, match="Not enough stock"):
        adjust_stock(variant=variant, location=warehouse, quantity=-4, actor=operator, reason="破损")

    assert stock_of(variant, warehouse).on_hand == 3
    assert StockMovement.objects.count() == 1


def test_adjust_cannot_take_allocated_units(variant, warehouse, operator):
    receive_stock(variant=variant, location=warehouse, quantity=5, actor=operator, reason="入库")
    Stock.objects.filter(variant=variant, location=warehouse).update(allocated=4)

    with pytest.raises(InsufficientStock):
        adjust_stock(variant=variant, location=warehouse, quantity=-2, actor=operator, reason="盘亏")
    adjust_stock(variant=variant, location=warehouse, quantity=-1, actor=operator, reason="盘亏")

    assert stock_of(variant, warehouse).on_hand == 4


@pytest.mark.parametrize("quantity", [0, 1.5, "3", None, True])
def test_quantity_must_be_a_nonzero_whole_number(variant, warehouse, operator, quantity):
    with pytest.raises(StockError):
        adjust_stock(variant=variant, location=warehouse, quantity=quantity, actor=operator, reason="x")
    assert not StockMovement.objects.exists()


def test_receive_refuses_negative_quantities(variant, warehouse, operator):
    with pytest.raises(StockError, match="positive"):
        receive_stock(variant=variant, location=warehouse, quantity=-5, actor=operator, reason="x")


def test_reason_is_required(variant, warehouse, operator):
    with pytest.raises(StockError, match="reason"):
        receive_stock(variant=variant, location=warehouse, quantity=5, actor=operator, reason="   ")
    assert not Stock.objects.filter(on_hand__gt=0).exists()


def test_set_stock_level_records_the_difference_as_a_correction(variant, warehouse, operator):
    receive_stock(variant=variant, location=warehouse, quantity=10, actor=operator, reason="入库")

    movement = set_stock_level(variant=variant, location=warehouse, on_hand=7, actor=operator, reason="月末盘点")
    unchanged = set_stock_level(variant=variant, location=warehouse, on_hand=7, actor=operator, reason="再盘点")

    assert movement.kind == StockMovement.Kind.CORRECTION and movement.quantity == -3
    assert unchanged is None
    assert stock_of(variant, warehouse).on_hand == 7


def test_transfer_moves_units_with_paired_entries(variant, warehouse, counter, operator):
    receive_stock(variant=variant, location=warehouse, quantity=10, actor=operator, reason="入库")

    out, into = transfer_stock(
        variant=variant, source=warehouse, destination=counter, quantity=4, actor=operator, reason="补货到专柜"
    )

    assert (stock_of(variant, warehouse).on_hand, stock_of(variant, counter).on_hand) == (6, 4)
    assert out.reference == into.reference and out.reference.startswith("TR-")
    assert (out.quantity, into.quantity) == (-4, 4)


def test_transfer_of_more_than_available_changes_neither_location(variant, warehouse, counter, operator):
    receive_stock(variant=variant, location=warehouse, quantity=2, actor=operator, reason="入库")

    with pytest.raises(InsufficientStock):
        transfer_stock(
            variant=variant, source=warehouse, destination=counter, quantity=3, actor=operator, reason="补货"
        )

    assert stock_of(variant, warehouse).on_hand == 2
    assert not Stock.objects.filter(location=counter, on_hand__gt=0).exists()
    assert StockMovement.objects.count() == 1


def test_database_refuses_negative_stock_even_without_the_service(variant, warehouse):
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.create(variant=variant, location=warehouse, on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.create(variant=variant, location=warehouse, on_hand=2, allocated=3)


def test_ledger_is_append_only_in_the_database(variant, warehouse, operator):
    movement = receive_stock(variant=variant, location=warehouse, quantity=5, actor=operator, reason="入库")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=500)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()

    # Deleting the user keeps the entry and only clears who made it.
    operator.delete()
    movement.refresh_from_db()
    assert (movement.quantity, movement.actor) == (5, None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_of_one_row_end_exact():
    """Eight threads, each with its own connection, adjust the same stock row 10 times."""
    operator = factories.make_user("racer")
    warehouse = factories.make_location(kind="warehouse")
    variant = factories.make_product().variants.get()
    receive_stock(variant=variant, location=warehouse, quantity=100, actor=operator, reason="入库")

    def work(delta: int) -> None:
        for _ in range(10):
            adjust_stock(variant=variant, location=warehouse, quantity=delta, actor=operator, reason="并发调整")

    errors = errors_in(run_together(*[lambda d=delta: work(d) for delta in (3, -2, 5, -1, 4, -3, 2, -1)]))

    assert errors == []
    stock = stock_of(variant, warehouse)
    assert stock.on_hand == 100 + 10 * (3 - 2 + 5 - 1 + 4 - 3 + 2 - 1)
    movements = StockMovement.objects.filter(stock=stock).order_by("pk")
    assert movements.count() == 1 + 80
    # Each entry's running total follows from the one before: no lost update.
    running = 0
    for movement in movements:
        running += movement.quantity
        assert movement.on_hand_after == running


@pytest.mark.django_db(transaction=True)
def test_concurrent_removals_never_oversell():
    """Twenty threads each try to take 1 of 10 units: exactly 10 succeed, stock ends at 0."""
    operator = factories.make_user("racer2")
    warehouse = factories.make_location(kind="warehouse")
    variant = factories.make_product().variants.get()
    receive_stock(variant=variant, location=warehouse, quantity=10, actor=operator, reason="入库")

    def outcome(result: object) -> str:
        if isinstance(result, InsufficientStock):
            return "refused"
        return repr(result) if isinstance(result, BaseException) else "ok"  # repr so the assertion shows it

    results = run_together(
        lambda: adjust_stock(variant=variant, location=warehouse, quantity=-1, actor=operator, reason="出库"), n=20
    )
    outcomes = [outcome(result) for result in results]

    assert sorted(outcomes) == ["ok"] * 10 + ["refused"] * 10
    assert stock_of(variant, warehouse).on_hand == 0


@pytest.mark.django_db(transaction=True)
def test_opposite_transfers_do_not_deadlock():
    """Transfers A→B and B→A at the same time lock rows in the same order and both finish."""
    operator = factories.make_user("racer3")
    a = factories.make_location(kind="warehouse")
    b = factories.make_location()
    variant = factories.make_product().variants.get()
    receive_stock(variant=variant, location=a, quantity=100, actor=operator, reason="入库")
    receive_stock(variant=variant, location=b, quantity=100, actor=operator, reason="入库")

    def work(source, destination) -> None:
        for _ in range(20):
            transfer_stock(
                variant=variant, source=source, destination=destination, quantity=1, actor=operator, reason="互调"
            )

    errors = errors_in(run_together(lambda: work(a, b), lambda: work(b, a)))

    assert errors == []
    assert stock_of(variant, a).on_hand + stock_of(variant, b).on_hand == 200
    assert StockMovement.objects.filter(kind__startswith="transfer").count() == 80


def test_changes_to_one_row_in_one_call_are_checked_together(variant, warehouse, operator):
    receive_stock(variant=variant, location=warehouse, quantity=5, actor=operator, reason="入库")
    take = [StockChange(variant, warehouse, -3), StockChange(variant, warehouse, -3)]
    with pytest.raises(InsufficientStock):
        apply_stock_changes(take, kind=StockMovement.Kind.ADJUST, actor=operator, reason="两次出库")
    assert stock_of(variant, warehouse).on_hand == 5

    moved = apply_stock_changes(
        [StockChange(variant, warehouse, -2), StockChange(variant, warehouse, -3)],
        kind=StockMovement.Kind.ADJUST,
        actor=operator,
        reason="两次出库",
    )
    assert [m.on_hand_after for m in moved] == [3, 0]
    assert stock_of(variant, warehouse).on_hand == 0


def test_a_refusal_inside_a_callers_transaction_writes_nothing_and_leaves_it_usable(
    variant, warehouse, counter, operator
):
    """Every change is checked before the first write, so no savepoint is needed: the caller may go on."""
    receive_stock(variant=variant, location=warehouse, quantity=5, actor=operator, reason="入库")
    receive_stock(variant=variant, location=counter, quantity=1, actor=operator, reason="入库")
    entries = StockMovement.objects.count()
    with transaction.atomic():
        with pytest.raises(InsufficientStock):
            apply_stock_changes(
                [StockChange(variant, warehouse, -2), StockChange(variant, counter, -2)],
                kind=StockMovement.Kind.ADJUST,
                actor=operator,
                reason="出库",
            )
        # The first row was not touched, and the transaction still works.
        assert stock_of(variant, warehouse).on_hand == 5
        adjust_stock(variant=variant, location=warehouse, quantity=-1, actor=operator, reason="出库")
    assert (stock_of(variant, warehouse).on_hand, stock_of(variant, counter).on_hand) == (4, 1)
    assert StockMovement.objects.count() == entries + 1


def test_taking_units_from_a_location_without_a_row_is_refused_without_creating_one(variant, counter, operator):
    with pytest.raises(InsufficientStock):
        apply_stock_changes(
            [StockChange(variant, counter, -1)], kind=StockMovement.Kind.ADJUST, actor=operator, reason="出库"
        )
    assert not Stock.objects.filter(variant=variant, location=counter).exists()


def test_reserving_units_at_a_location_without_a_row_is_refused_without_creating_one(variant, counter, operator):
    """A reservation never finds units in a row it would have to create: refused, no empty row left behind in
    the caller's transaction (checkout catches the refusal and plans again), and no insert tried on the way."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries, pytest.raises(InsufficientStock):
            apply_stock_changes(
                [StockChange(variant, counter, 0, 1)], kind=StockMovement.Kind.ALLOCATE, actor=operator, reason="预留"
            )
        assert not [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
        assert not Stock.objects.filter(variant=variant, location=counter).exists()
