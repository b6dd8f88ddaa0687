"""What applying one payment costs the worker (issue 14: a burst of payments on a sale day).

The order is locked once, its lines read once, every check made before the first write, so no savepoint
is taken on the way; the statements do not grow with the order's lines except one stock update per row.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import AidLedgerEntry, OrderStatus
from orders.payments.services import process_event, record_event
from tests import factories
from tests.orders.helpers import cart_with, checkout, pickup_at, stocked_variant
from tests.payments.helpers import intent_event, stripe_payment

pytestmark = pytest.mark.django_db(transaction=True)


def pickup_order(counter, lines: int, intent_id: str):
    merchant = factories.make_merchant()
    variants = [stocked_variant((counter, 10), price=1000 + n, merchant=merchant) for n in range(lines)]
    order = checkout(cart_with(*[(variant, 1) for variant in variants]), pickup_at(counter))
    stripe_payment(order, intent_id)
    return order


def apply(order, intent_id: str) -> list[str]:
    event, _created = record_event(intent_event(order, intent_id=intent_id))
    with CaptureQueriesContext(connection) as queries:
        assert process_event(event.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    statements = [query["sql"] for query in queries.captured_queries]
    # The payment's transaction; what follows its commit is the messages' delivery (run eagerly in tests).
    return statements[: statements.index("COMMIT") + 1]


def test_a_paid_order_takes_no_savepoint_and_its_statements_grow_only_with_stock_rows():
    counter = factories.make_location(kind="counter")
    one = apply(pickup_order(counter, 1, "pi_cost_1"), "pi_cost_1")
    three = apply(pickup_order(counter, 3, "pi_cost_3"), "pi_cost_3")

    assert not [sql for sql in one + three if "SAVEPOINT" in sql]
    assert len(one) <= 24, "\n".join(one)
    # Three lines at one counter: two more stock rows to update; the ledger, movements and history in one insert.
    assert len(three) - len(one) <= 2, "\n".join(three)
    assert AidLedgerEntry.objects.filter(order__number__isnull=False).count() == 4
