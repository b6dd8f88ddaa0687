import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from catalog.models import Stock, StockMovement
from catalog.services import InsufficientStock
from orders.fulfilment import complete_fulfilment, mark_fulfilling, mark_fulfilment_ready, mark_fulfilment_shipped
from orders.models import AidLedgerEntry, Order, OrderEvent, OrderStatus
from orders.payments import cancel_order, expire_order, expire_overdue_orders, mark_paid
from orders.selectors import order_history
from orders.state import InvalidTransition, OrderError, can_transition, transition
from tests import factories
from tests.orders.helpers import cart_with, checkout, pickup_at, stock_of, stocked_variant
from worker.models import Notification

S = OrderStatus
# The state machine, written out independently of orders/state.py.
LEGAL = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED, S.EXPIRED},
    S.PAID: {S.FULFILLING, S.REFUNDED, S.PARTIALLY_REFUNDED},
    S.FULFILLING: {S.READY_FOR_PICKUP, S.SHIPPED, S.REFUNDED, S.PARTIALLY_REFUNDED},
    S.READY_FOR_PICKUP: {S.COMPLETED, S.REFUNDED, S.PARTIALLY_REFUNDED},
    S.SHIPPED: {S.COMPLETED, S.REFUNDED, S.PARTIALLY_REFUNDED},
    S.COMPLETED: {S.REFUNDED, S.PARTIALLY_REFUNDED},
    S.PARTIALLY_REFUNDED: {S.REFUNDED},
    S.CANCELLED: set(),
    S.EXPIRED: set(),
    S.REFUNDED: set(),
}


@pytest.fixture
def variant(warehouse, counter):
    return stocked_variant((warehouse, 10), (counter, 10), price=2500)


@pytest.fixture
def order(variant):
    return checkout(cart_with((variant, 3)))


@pytest.mark.parametrize("from_status", list(S))
def test_only_the_allowed_transitions_succeed_and_each_writes_an_event(order, from_status):
    operator = factories.make_user()
    for to_status in S:
        Order.objects.filter(pk=order.pk).update(status=from_status)
        order.refresh_from_db()
        events = OrderEvent.objects.filter(order=order).count()
        legal = to_status in LEGAL[from_status] and to_status != S.READY_FOR_PICKUP  # a delivery order

        assert can_transition(order, to_status) is legal
        if legal:
            transition(order, to_status, actor=operator, note="测试")
            event = OrderEvent.objects.filter(order=order).latest("pk")
            assert (event.kind, event.from_status, event.to_status, event.actor, event.note) == (
                "status",
                from_status,
                to_status,
                operator,
                "测试",
            )
        else:
            with pytest.raises(InvalidTransition):
                transition(order, to_status, actor=operator)
            assert OrderEvent.objects.filter(order=order).count() == events
        assert Order.objects.get(pk=order.pk).status == (to_status if legal else from_status)


def test_refusal_messages_say_what_is_wrong(order, counter, variant):
    Order.objects.filter(pk=order.pk).update(status=S.EXPIRED)
    order.refresh_from_db()
    with pytest.raises(InvalidTransition, match="An order that is expired cannot become paid"):
        transition(order, S.PAID)

    Order.objects.filter(pk=order.pk).update(status=S.FULFILLING)
    order.refresh_from_db()
    with pytest.raises(InvalidTransition, match="Only pickup orders can become ready for pickup"):
        transition(order, S.READY_FOR_PICKUP)
    pickup = checkout(cart_with((variant, 1)), pickup_at(counter))
    Order.objects.filter(pk=pickup.pk).update(status=S.FULFILLING)
    pickup.refresh_from_db()
    with pytest.raises(InvalidTransition, match="Only delivery orders can be shipped"):
        transition(pickup, S.SHIPPED)


def test_paying_turns_the_reservation_into_a_sale(order, variant, warehouse):
    cashier = factories.make_user()

    mark_paid(order, actor=cashier, payment_reference="pi_123")

    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None
    stock = stock_of(variant, warehouse)
    assert (stock.on_hand, stock.allocated) == (7, 0)
    sale = StockMovement.objects.get(kind=StockMovement.Kind.SALE)
    assert (sale.quantity, sale.allocated_change, sale.reference) == (-3, -3, order.number)
    event = order.events.latest("pk")
    assert (event.from_status, event.to_status, event.actor) == ("pending_payment", "paid", cashier)
    assert "pi_123" in event.note


def test_paying_twice_is_refused_and_sells_nothing_more(order, variant, warehouse):
    mark_paid(order, payment_reference="pi_1")

    with pytest.raises(InvalidTransition, match="paid cannot become paid"):
        mark_paid(order, payment_reference="pi_1")

    assert stock_of(variant, warehouse).on_hand == 7
    assert StockMovement.objects.filter(kind="sale").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_payment_whose_stock_change_is_refused_writes_nothing(order, variant, warehouse):
    """The sale is the last step of ``mark_paid``: refused, it takes the ledger, the move and the messages with it,
    in its own transaction or in its caller's (which can then only roll back)."""
    Stock.objects.filter(variant=variant, location=warehouse).update(on_hand=2, allocated=2)  # counted short meanwhile

    with pytest.raises(InsufficientStock):
        mark_paid(order, payment_reference="pi_short")
    with transaction.atomic():
        with pytest.raises(InsufficientStock):
            mark_paid(Order.objects.get(pk=order.pk), payment_reference="pi_short")
        assert transaction.get_rollback()

    order.refresh_from_db()
    assert order.status == "pending_payment" and order.paid_at is None
    assert (stock_of(variant, warehouse).on_hand, stock_of(variant, warehouse).allocated) == (2, 2)
    assert not StockMovement.objects.filter(kind="sale").exists()
    assert not AidLedgerEntry.objects.filter(order=order).exists()
    assert not order.events.filter(to_status="paid").exists()
    assert not Notification.objects.filter(key__startswith=f"order-{order.pk}-paid").exists()


def test_overdue_orders_expire_once_and_release_their_stock(order, variant, warehouse):
    later = order.expires_at + timedelta(seconds=1)
    assert expire_overdue_orders(now=order.expires_at - timedelta(seconds=1)) == 0
    assert stock_of(variant, warehouse).allocated == 3

    assert expire_overdue_orders(now=later) == 1
    assert expire_overdue_orders(now=later) == 0
    assert expire_order(order, now=later) is False

    order.refresh_from_db()
    assert order.status == "expired"
    assert (stock_of(variant, warehouse).on_hand, stock_of(variant, warehouse).allocated) == (10, 0)
    release = StockMovement.objects.get(kind=StockMovement.Kind.RELEASE)
    assert (release.allocated_change, release.reference) == (-3, order.number)
    assert order.events.filter(to_status="expired").count() == 1
    assert set(order.fulfilments.values_list("status", flat=True)) == {"cancelled"}


def test_paying_an_expired_order_is_refused_and_flags_it_for_review(order, variant, warehouse):
    expire_overdue_orders(now=order.expires_at)

    with pytest.raises(InvalidTransition, match="expired and can no longer be paid"):
        mark_paid(order, payment_reference="pi_late")

    order.refresh_from_db()
    assert order.status == "expired" and order.needs_review and order.paid_at is None
    assert "pi_late" in order.events.latest("pk").note
    assert stock_of(variant, warehouse).on_hand == 10
    assert not StockMovement.objects.filter(kind="sale").exists()


def test_paying_after_the_deadline_expires_the_order_even_before_the_worker_ran(order, variant, warehouse):
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(InvalidTransition, match="expired"):
        mark_paid(order)

    order.refresh_from_db()
    assert order.status == "expired" and order.needs_review
    assert stock_of(variant, warehouse).allocated == 0
    assert expire_overdue_orders() == 0


def test_cancelling_an_unpaid_order_releases_its_stock_at_once(order, variant, warehouse):
    customer = factories.make_user()

    cancel_order(order, actor=customer, reason="买错了")

    order.refresh_from_db()
    assert order.status == "cancelled"
    assert stock_of(variant, warehouse).allocated == 0
    assert StockMovement.objects.filter(kind="release", reference=order.number).count() == 1
    event = order.events.latest("pk")
    assert (event.to_status, event.actor, event.note) == ("cancelled", customer, "买错了")
    assert [(e.kind, e.from_status, e.to_status, e.actor) for e in order_history(order)] == [
        ("placed", "", "pending_payment", None),
        ("fulfilment", "pending", "cancelled", customer),
        ("status", "pending_payment", "cancelled", customer),
    ]
    with pytest.raises(InvalidTransition):
        cancel_order(order, actor=customer)
    assert StockMovement.objects.filter(kind="release").count() == 1


def test_a_paid_order_cannot_be_cancelled_here(order, variant, warehouse):
    mark_paid(order)

    with pytest.raises(InvalidTransition, match="paid cannot become cancelled"):
        cancel_order(order, actor=None)

    assert stock_of(variant, warehouse).on_hand == 7


def test_delivery_order_is_shipped_when_every_fulfilment_is(merchants, warehouse, warehouse2):
    first = stocked_variant((warehouse, 5), merchant=merchants[0])
    second = stocked_variant((warehouse2, 5), merchant=merchants[1])
    order = checkout(cart_with((first, 1), (second, 1)))
    staff = factories.make_user()
    mark_paid(order)
    one, two = order.fulfilments.order_by("pk")

    with pytest.raises(InvalidTransition, match="Only pickup orders"):
        mark_fulfilment_ready(one, actor=staff)
    with pytest.raises(OrderError, match="carrier and the tracking number"):
        mark_fulfilment_shipped(one, actor=staff, carrier="", tracking_number="")
    mark_fulfilment_shipped(one, actor=staff, carrier="顺丰", tracking_number="SF100")
    order.refresh_from_db()
    assert order.status == "fulfilling"

    mark_fulfilment_shipped(two, actor=staff, carrier="邮政", tracking_number="EMS200")
    order.refresh_from_db()
    assert order.status == "shipped"
    one.refresh_from_db()
    assert (one.status, one.carrier, one.tracking_number) == ("shipped", "顺丰", "SF100")

    complete_fulfilment(one, actor=staff)
    order.refresh_from_db()
    assert order.status == "shipped"
    complete_fulfilment(two, actor=staff)
    order.refresh_from_db()
    assert order.status == "completed"
    assert list(order.events.filter(kind="status").values_list("to_status", flat=True)) == [
        "paid",
        "fulfilling",
        "shipped",
        "completed",
    ]
    assert order.events.filter(kind="fulfilment").count() == 4


def test_pickup_order_gets_a_code_and_completes_on_collection(variant, counter):
    order = checkout(cart_with((variant, 2)), pickup_at(counter))
    mark_paid(order)
    mark_fulfilling(order)
    fulfilment = order.fulfilments.get()

    mark_fulfilment_ready(fulfilment, actor=None)
    fulfilment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "ready_for_pickup"
    assert re.fullmatch(r"\d{6}", fulfilment.pickup.code)
    assert fulfilment.pickup.ready_at is not None
    with pytest.raises(InvalidTransition, match="ready for pickup cannot become ready for pickup"):
        mark_fulfilment_ready(fulfilment, actor=None)

    complete_fulfilment(fulfilment, actor=None)
    order.refresh_from_db()
    assert order.status == "completed"
    assert stock_of(variant, counter).on_hand == 8


def test_fulfilments_of_an_unpaid_order_cannot_move(order):
    with pytest.raises(InvalidTransition, match="pending payment"):
        mark_fulfilment_shipped(order.fulfilments.get(), actor=None, carrier="顺丰", tracking_number="SF1")
    assert order.fulfilments.get().status == "pending"
