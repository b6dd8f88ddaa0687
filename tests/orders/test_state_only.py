"""Every status change goes through ``orders/state.py``, every history entry through ``orders/events.py``.

The source of every app is scanned (ast) for the ways around them: a queryset ``update()`` or
``bulk_update()`` of the status of orders or fulfilments, a status assigned on an order or fulfilment
outside the state machine, and an ``OrderEvent`` made anywhere else. Then the behaviour: cancelling
records one event per part cancelled and refuses a part that cannot be cancelled, and ``can_cancel``,
``can_refund`` and ``can_ship`` say yes exactly when the move would be accepted.
"""

import ast
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import transaction

from catalog.models import StockMovement
from orders.fulfilment import mark_fulfilment_shipped
from orders.models import DeliveryMethod, Fulfilment, Order, OrderEvent, OrderStatus
from orders.payments import cancel_order, expire_overdue_orders
from orders.state import (
    InvalidTransition,
    can_cancel,
    can_refund,
    can_ship,
    lock_order,
    transition,
    transition_fulfilment,
)
from tests import factories
from tests.orders.helpers import cart_with, checkout, pickup_at, stock_of, stocked_variant

ROOT = Path(__file__).resolve().parents[2]
APPS = ["catalog", "orders", "cms", "storefront", "worker", "demo", "core", "config"]
STATE = Path("orders/state.py")
# A bulk order's own state machine: the only other place a status named like an order's is written.
BULK_STATE = Path("orders/institutions/lifecycle.py")
EVENTS = Path("orders/events.py")

# Names that lead to orders or fulfilments: the models, their related managers, querysets named after them.
ORDER_NAMES = {"Order", "Fulfilment", "orders", "fulfilments"}
# Names whose use as a status value means an order's or a fulfilment's status.
STATUS_NAMES = {"OrderStatus", "Status"}
STATUS_OWNERS = {"Order", "Fulfilment", "OrderStatus"}
EVENT_MAKERS = {"create", "bulk_create", "get_or_create", "update_or_create"}


def _names(node: ast.AST) -> set[str]:
    """The names and attribute names along an expression (``order.fulfilments.filter(...)`` → all three)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _receiver(call: ast.Call) -> ast.AST | None:
    return call.func.value if isinstance(call.func, ast.Attribute) else None


def _is_order_status(value: ast.AST) -> bool:
    """``OrderStatus.X``, ``Order.Status.X``, ``Fulfilment.Status.X`` (a status of an order or a fulfilment)."""
    names = _names(value)
    return bool(names & STATUS_NAMES) and bool(names & STATUS_OWNERS)


def _mentions_status(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == "status" for n in ast.walk(node))


def _order_variables(scope: ast.AST) -> set[str]:
    """Names in a function that hold an order or a fulfilment (or a queryset of them): parameters annotated
    ``Order`` or ``Fulfilment``, and names assigned or looped over from an expression that leads to them."""
    found: set[str] = set()
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        arguments = [*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs]
        found |= {a.arg for a in arguments if a.annotation is not None and _names(a.annotation) & ORDER_NAMES}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            source, targets = node.value, node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.For | ast.comprehension):
            source, targets = node.iter, [node.target]
        else:
            continue
        if _names(source) & ORDER_NAMES:
            found |= {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    return found


def _holds_order(owner: ast.AST, variables: set[str]) -> bool:
    name = ast.unparse(owner)
    return name in variables or "order" in name.lower() or "fulfilment" in name.lower()


def status_writes(tree: ast.AST) -> list[tuple[int, str]]:
    """Writes of an order's or a fulfilment's status that do not go through the state machine: a queryset
    ``update(status=...)`` or ``bulk_update(..., ["status"])``, ``<order>.status = ...``, and
    ``<order>.save(update_fields=[..."status"...])``."""
    found = set()
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in [tree, *functions]:
        variables = _order_variables(scope) if scope is not tree else set()
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = node.func.value
                on_orders = bool(_names(receiver) & ORDER_NAMES) or _holds_order(receiver, variables)
                if node.func.attr == "update":
                    status = next((k.value for k in node.keywords if k.arg == "status"), None)
                    if status is not None and (on_orders or _is_order_status(status)):
                        found.add((node.lineno, "update(status=...)"))
                elif node.func.attr == "bulk_update" and on_orders and _mentions_status(node):
                    found.add((node.lineno, 'bulk_update(..., ["status"])'))
                elif node.func.attr == "save" and on_orders:
                    fields = next((k.value for k in node.keywords if k.arg == "update_fields"), None)
                    if fields is not None and _mentions_status(fields):
                        found.add((node.lineno, f'{ast.unparse(receiver)}.save(update_fields=[..."status"...])'))
            elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if not (isinstance(target, ast.Attribute) and target.attr == "status"):
                        continue
                    if _holds_order(target.value, variables) or (node.value and _is_order_status(node.value)):
                        found.add((node.lineno, f"{ast.unparse(target)} = ..."))
    return sorted(found)


def event_writes(tree: ast.AST) -> list[tuple[int, str]]:
    """``OrderEvent(...)``, ``OrderEvent.objects.create(...)`` and ``<order>.events.create(...)``."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id == "OrderEvent") or (
            isinstance(func, ast.Attribute) and func.attr == "OrderEvent"
        ):
            found.append((node.lineno, "OrderEvent(...)"))
        elif isinstance(func, ast.Attribute) and func.attr in EVENT_MAKERS:
            receiver = ast.unparse(func.value)
            if receiver.startswith("OrderEvent.") or receiver.endswith(".events"):
                found.append((node.lineno, f"{receiver}.{func.attr}(...)"))
    return found


def sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts:
                yield relative, ast.parse(path.read_text(), filename=str(relative))


def offenders(check: Callable[[ast.AST], list[tuple[int, str]]], *allowed: Path) -> list[str]:
    return [f"{path}:{line}: {what}" for path, tree in sources() if path not in allowed for line, what in check(tree)]


def test_no_status_of_an_order_or_fulfilment_changes_outside_the_state_machine():
    assert offenders(status_writes, STATE, BULK_STATE) == []


def test_the_bulk_order_state_machine_is_checked_like_the_orders_one():
    """Its writes are found by the same check (so a bulk order's status written anywhere else is an offender)."""
    found = offenders(status_writes, STATE)
    assert found and all(line.startswith(str(BULK_STATE)) for line in found), found


def test_no_order_event_is_written_outside_orders_events():
    assert offenders(event_writes, EVENTS) == []


def test_the_scan_looks_at_every_app_and_finds_the_state_machine_itself():
    scanned = {path for path, _tree in sources()}
    assert {STATE, EVENTS, Path("storefront/order_views.py"), Path("orders/backoffice.py")} <= scanned
    assert status_writes(ast.parse((ROOT / STATE).read_text()))
    assert event_writes(ast.parse((ROOT / EVENTS).read_text()))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("order.fulfilments.filter(status=s).update(status=Fulfilment.Status.CANCELLED)", ["update(status=...)"]),
        ("Order.objects.filter(pk=1).update(needs_review=True, status='paid')", ["update(status=...)"]),
        ("due.update(status=OrderStatus.EXPIRED)", ["update(status=...)"]),
        ("Fulfilment.objects.bulk_update(parts, ['status'])", ['bulk_update(..., ["status"])']),
        ("order.status = 'paid'", ["order.status = ..."]),
        ("part.status = Fulfilment.Status.SHIPPED", ["part.status = ..."]),
        ("Payment.objects.filter(pk=1).update(status=Payment.Status.CANCELED)", []),
        ("fields.update(status=Notification.Status.DELIVERED)", []),
        ("refund.status = status", []),
        ("def f(part: Fulfilment):\n    part.status = s", ["part.status = ..."]),
        (
            "def f(pk):\n    locked = Fulfilment.objects.get(pk=pk)\n    locked.status = s\n"
            "    locked.save(update_fields=['status'])",
            ["locked.status = ...", 'locked.save(update_fields=[..."status"...])'],
        ),
        (
            "def f(pk):\n    payment = Payment.objects.get(pk=pk)\n    payment.status = s\n"
            "    payment.save(update_fields=['status', 'updated_at'])",
            [],
        ),
    ],
)
def test_the_status_scan_catches_a_write_around_the_state_machine(source, expected):
    assert [what for _line, what in status_writes(ast.parse(source))] == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("OrderEvent.objects.create(order=order, kind='note')", ["OrderEvent.objects.create(...)"]),
        ("OrderEvent(order=order, kind='note').save()", ["OrderEvent(...)"]),
        ("models.OrderEvent(order=order)", ["OrderEvent(...)"]),
        ("order.events.create(kind='note')", ["order.events.create(...)"]),
        ("OrderEvent.objects.filter(order=order).count()", []),
        ("record_order_event(order.pk, OrderEvent.Kind.NOTE)", []),
    ],
)
def test_the_event_scan_catches_an_event_written_elsewhere(source, expected):
    assert [what for _line, what in event_writes(ast.parse(source))] == expected


# --- Behaviour -------------------------------------------------------------------------------------


@pytest.fixture
def two_part_order(merchants, warehouse, warehouse2):
    """A delivery order awaiting payment with two parts: one merchant per warehouse."""
    first = stocked_variant((warehouse, 5), merchant=merchants[0])
    second = stocked_variant((warehouse2, 5), merchant=merchants[1])
    return checkout(cart_with((first, 2), (second, 1)))


def _part_events(order: Order) -> list[tuple]:
    events = order.events.filter(kind=OrderEvent.Kind.FULFILMENT).order_by("pk")
    return [(e.fulfilment_id, e.from_status, e.to_status, e.actor) for e in events]


def test_cancelling_records_one_event_per_part_cancelled(two_part_order):
    customer = factories.make_user()
    parts = list(two_part_order.fulfilments.order_by("pk").values_list("pk", flat=True))

    cancel_order(two_part_order, actor=customer, reason="买错了")

    assert _part_events(two_part_order) == [(pk, "pending", "cancelled", customer) for pk in parts]
    assert set(two_part_order.fulfilments.values_list("status", flat=True)) == {"cancelled"}
    statuses = two_part_order.events.filter(kind=OrderEvent.Kind.STATUS)
    assert [(e.from_status, e.to_status) for e in statuses] == [("pending_payment", "cancelled")]


def test_expiry_records_one_event_per_part_cancelled_by_no_one(two_part_order):
    parts = list(two_part_order.fulfilments.order_by("pk").values_list("pk", flat=True))

    assert expire_overdue_orders(now=two_part_order.expires_at) == 1

    assert _part_events(two_part_order) == [(pk, "pending", "cancelled", None) for pk in parts]


def test_cancelling_refuses_a_part_that_cannot_be_cancelled_and_changes_nothing(two_part_order, warehouse):
    first, second = two_part_order.fulfilments.order_by("pk")
    Fulfilment.objects.filter(pk=second.pk).update(status=Fulfilment.Status.COMPLETED)  # an impossible state
    events = two_part_order.events.count()

    with pytest.raises(InvalidTransition, match="A fulfilment that is completed cannot become cancelled"):
        cancel_order(two_part_order, actor=None)

    two_part_order.refresh_from_db()
    assert two_part_order.status == "pending_payment"
    assert two_part_order.events.count() == events
    assert Fulfilment.objects.get(pk=first.pk).status == "pending"
    assert not StockMovement.objects.filter(kind="release").exists()
    assert stock_of(first.lines.get().variant, warehouse).allocated == 2


def test_a_part_cannot_be_cancelled_once_its_order_is_paid(two_part_order):
    Order.objects.filter(pk=two_part_order.pk).update(status=OrderStatus.PAID)
    part = two_part_order.fulfilments.first()

    with (
        pytest.raises(InvalidTransition, match="The order is paid; its fulfilments cannot change"),
        transaction.atomic(),
    ):
        order = lock_order(Order(pk=two_part_order.pk))
        transition_fulfilment(part, Fulfilment.Status.CANCELLED, order=order)

    assert Fulfilment.objects.get(pk=part.pk).status == "pending"


def accepted(move: Callable[[], object]) -> bool:
    """Whether the state machine accepts ``move()``; whatever it changed is rolled back."""

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            move()
            raise Rollback
    except Rollback:
        return True
    except InvalidTransition:
        return False


@pytest.fixture
def variant(warehouse, counter):
    return stocked_variant((warehouse, 10), (counter, 10), price=2500)


def test_can_cancel_and_can_refund_agree_with_the_state_machine_for_every_status(variant):
    order = checkout(cart_with((variant, 1)))
    answers = []
    for status in OrderStatus:
        Order.objects.filter(pk=order.pk).update(status=status)
        order.refresh_from_db()
        cancel, refund = can_cancel(order), can_refund(order)

        assert cancel is accepted(lambda: transition(order, OrderStatus.CANCELLED)), status
        order.refresh_from_db()
        assert cancel is accepted(lambda: cancel_order(order, actor=None)), status
        order.refresh_from_db()
        assert refund is accepted(lambda: transition(order, OrderStatus.REFUNDED)), status
        answers += [cancel, refund]
    assert True in answers and False in answers


@pytest.mark.parametrize("method", list(DeliveryMethod))
def test_can_ship_agrees_with_the_state_machine_for_every_status(variant, counter, method):
    cart = cart_with((variant, 1))
    order = checkout(cart, pickup_at(counter)) if method == DeliveryMethod.PICKUP else checkout(cart)
    part = order.fulfilments.get()
    answers = []
    for order_status in OrderStatus:
        for part_status in Fulfilment.Status:
            Order.objects.filter(pk=order.pk).update(status=order_status)
            Fulfilment.objects.filter(pk=part.pk).update(status=part_status)
            loaded = Fulfilment.objects.select_related("order").get(pk=part.pk)
            answer = can_ship(loaded)

            def ship_in_state_machine(loaded=loaded):
                locked = lock_order(Order(pk=order.pk))
                transition_fulfilment(
                    loaded, Fulfilment.Status.SHIPPED, order=locked, carrier="顺丰", tracking_number="SF1"
                )

            def ship(loaded=loaded):
                mark_fulfilment_shipped(loaded, actor=None, carrier="顺丰", tracking_number="SF1")

            assert answer is accepted(ship_in_state_machine), (order_status, part_status)
            assert answer is accepted(ship), (order_status, part_status)
            answers.append(answer)
    assert (True in answers) is (method == DeliveryMethod.DELIVERY)
    assert False in answers
