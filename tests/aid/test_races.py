"""Concurrent payments and refunds of one order on PostgreSQL write each credit and debit once."""

import uuid

import pytest

from orders.models import AidLedgerEntry, Order, Payment, PaymentProvider
from orders.payments.services import PaymentError, apply_intent_succeeded, refund_order
from tests import factories
from tests.aid.helpers import order_of, pay, programme
from tests.fixtures.races import run_together


def demo_payment(order: Order, attempt: int) -> Payment:
    return Payment.objects.create(
        order=order,
        provider=PaymentProvider.DEMO,
        attempt=attempt,
        intent_id=f"demo_{uuid.uuid4().hex}",
        amount=order.total,
        currency="CNY",
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_the_same_and_of_a_second_payment_credit_once():
    prog = programme()
    order = order_of((prog.oil, 2), (prog.orange, 1))
    first, second = demo_payment(order, 1), demo_payment(order, 2)

    results = run_together(
        lambda: apply_intent_succeeded(first, amount=order.total, currency="CNY"),
        lambda: apply_intent_succeeded(first, amount=order.total, currency="CNY"),
        lambda: apply_intent_succeeded(second, amount=order.total, currency="CNY"),
        lambda: apply_intent_succeeded(second, amount=order.total, currency="CNY"),
    )

    assert [type(r) for r in results] == [Order] * 4
    credits = AidLedgerEntry.objects.filter(order=order, kind=AidLedgerEntry.Kind.ORDER_PAID)
    assert sorted(credits.values_list("amount", flat=True)) == [2500, 7600]
    order.refresh_from_db()
    assert order.status == "paid" and order.needs_review  # the second payment is flagged for a refund


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_the_last_unit_debit_once():
    prog = programme()
    operator = factories.make_user("op-race", superuser=True)
    order = pay(order_of((prog.oil, 1)))
    line = order.lines.get()

    results = run_together(lambda: refund_order(order, actor=operator, reason="重复", lines={line.pk: 1}), n=4)

    refused = [r for r in results if isinstance(r, PaymentError)]
    assert len(refused) == 3, results
    debits = AidLedgerEntry.objects.filter(order=order, kind=AidLedgerEntry.Kind.ORDER_REFUND)
    assert list(debits.values_list("amount", flat=True)) == [-3800]
