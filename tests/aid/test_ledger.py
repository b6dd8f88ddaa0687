"""The ledger is written with the event that causes it, once, goods only, and never edited."""

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from orders.aid.services import credit_counter_sale, credit_order
from orders.models import AidLedgerEntry, CounterSale, CounterSaleLine, Refund
from orders.payments.services import process_event, record_event, refund_order
from tests.aid.helpers import order_of, pay, pickup_at, sell_at_counter
from tests.payments.helpers import intent_event, stripe_payment


def test_paying_credits_each_line_with_its_merchant_place_and_counter(prog):
    order = pay(order_of((prog.oil, 2), (prog.orange, 1), delivery=pickup_at(prog.lingcheng_counter)))
    entries = AidLedgerEntry.objects.order_by("amount")
    assert [
        (e.kind, e.channel, e.amount, e.quantity, e.merchant_id, e.township, e.paired_county, e.counter_id)
        for e in entries
    ] == [
        ("order_paid", "online", 2500, 1, prog.brocade.pk, "aikou", "lingcheng", prog.lingcheng_counter.pk),
        ("order_paid", "online", 7600, 2, prog.oil_coop.pk, "hongan", "decheng", prog.lingcheng_counter.pk),
    ]
    assert {e.reference for e in entries} == {order.number}
    assert entries[1].village == "贵措社区" and entries[1].category_id == prog.oil_category_id
    assert entries[0].created_at == order.payments.get().succeeded_at


def test_an_unpaid_order_has_no_entries_and_a_second_credit_is_refused(prog):
    order = order_of((prog.oil, 1))
    assert not AidLedgerEntry.objects.exists()
    pay(order)
    with pytest.raises(IntegrityError), transaction.atomic():
        credit_order(order)
    assert AidLedgerEntry.objects.count() == 1


def test_a_replayed_webhook_credits_once(prog, django_capture_on_commit_callbacks):
    order = order_of((prog.oil, 1))
    stripe_payment(order, "pi_replay")
    event = intent_event(order, intent_id="pi_replay")
    record_event(event)
    assert process_event(event["id"]) is True
    assert process_event(event["id"]) is False
    assert AidLedgerEntry.objects.filter(order=order).count() == 1


def test_a_partial_refund_debits_exactly_the_refunded_units(prog, operator):
    order = pay(order_of((prog.oil, 3), (prog.orange, 2)))
    oil_line = order.lines.get(variant=prog.oil)
    refund = refund_order(order, actor=operator, reason="破损", lines={oil_line.pk: 2})
    debit = AidLedgerEntry.objects.get(kind=AidLedgerEntry.Kind.ORDER_REFUND)
    assert (debit.amount, debit.quantity, debit.refund_id, debit.order_line_id) == (-7600, -2, refund.pk, oil_line.pk)
    assert (debit.merchant_id, debit.township, debit.paired_county) == (prog.oil_coop.pk, "hongan", "decheng")
    # The rest of the order, later: one 38.00 oil and two oranges; the ledger nets to zero for the order.
    refund_order(order, actor=operator, reason="取消")
    assert sum(AidLedgerEntry.objects.filter(order=order).values_list("amount", flat=True)) == 0


def test_a_whole_refund_with_shipping_debits_the_goods_only(prog, operator):
    order = pay(order_of((prog.cabbage, 1)))
    assert order.shipping_fee == 1200
    refund = refund_order(order, actor=operator, reason="取消")
    assert refund.amount == 1290 + 1200
    assert list(AidLedgerEntry.objects.filter(order=order).values_list("amount", flat=True).order_by("pk")) == [
        1290,
        -1290,
    ]


def test_a_stripe_refund_confirmed_by_charge_refunded_is_debited(prog, operator, webhook):
    order = order_of((prog.oil, 1))
    stripe_payment(order, "pi_dash")
    webhook(intent_event(order, intent_id="pi_dash"))
    line = order.lines.get()
    refund = Refund.objects.create(
        order=order,
        payment=order.payments.get(),
        amount=3800,
        lines=[{"line": line.pk, "quantity": 1}],
        reason="退货",
        idempotency_key="dexiu-refund-test",
        stripe_refund_id="re_pending",
    )
    charge = {
        "id": "evt_charge_refunded_dash",
        "object": "event",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": "ch_1",
                "object": "charge",
                "payment_intent": "pi_dash",
                "amount": 3800,
                "amount_refunded": 3800,
                "currency": "cny",
                "refunds": {"object": "list", "data": [{"id": "re_pending", "status": "succeeded"}]},
            }
        },
    }
    webhook(charge)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert list(AidLedgerEntry.objects.filter(refund=refund).values_list("amount", flat=True)) == [-3800]


def test_a_counter_sale_credits_each_line_at_the_counter(prog):
    sale = sell_at_counter(prog.decheng_counter, (prog.oil, 1), (prog.cabbage, 2))
    entries = AidLedgerEntry.objects.filter(counter_sale=sale).order_by("amount")
    assert [(e.kind, e.channel, e.amount, e.counter_id, e.reference) for e in entries] == [
        ("counter_sale", "counter", 2580, prog.decheng_counter.pk, sale.number),
        ("counter_sale", "counter", 3800, prog.decheng_counter.pk, sale.number),
    ]
    assert all(e.created_at == sale.created_at for e in entries)


def test_credit_counter_sale_on_a_sale_built_directly(prog):
    sale = CounterSale.objects.create(number="CS-DIRECT", location=prog.lingcheng_counter, total=5000)
    CounterSaleLine.objects.create(
        sale=sale,
        variant=prog.orange,
        merchant=prog.brocade,
        product_name="脐橙",
        variant_name="5kg",
        sku=prog.orange.sku,
        unit_price=2500,
        quantity=2,
        line_total=5000,
    )
    credit_counter_sale(sale)
    entry = AidLedgerEntry.objects.get()
    assert (entry.amount, entry.merchant_id, entry.counter_id, entry.paired_county) == (
        5000,
        prog.brocade.pk,
        prog.lingcheng_counter.pk,
        "lingcheng",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        credit_counter_sale(sale)


def test_the_ledger_refuses_updates_and_deletes(prog):
    pay(order_of((prog.oil, 1)))
    entry = AidLedgerEntry.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AidLedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AidLedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.amount == 3800


def test_the_database_refuses_a_credit_with_the_wrong_sign(prog):
    pay(order_of((prog.oil, 1)))
    entry = AidLedgerEntry.objects.get()
    entry.pk = None
    entry.amount = -3800
    entry.kind = AidLedgerEntry.Kind.COUNTER_SALE
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()
