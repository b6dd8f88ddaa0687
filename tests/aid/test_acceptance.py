"""Crafted data: three merchants, two counters, partial and whole refunds, counter sales.

Every report total is checked against the hand computation written next to it, to the fen, and
``reconcile_ledger`` balances until a deliberate mismatch is introduced.
"""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from catalog.regions import DezhouCounty, XiushanTownship
from orders.aid import report, report_totals
from orders.models import AidLedgerEntry, CounterSale, CounterSaleLine, Payment, PaymentProvider
from orders.payments.services import refund_order
from tests.aid.helpers import order_of, pay, pickup_at, sell_at_counter


@pytest.fixture
def crafted(prog, operator):
    p = prog
    # Order 1: delivery, 2 x oil 38.00 + 1 x orange 25.00 = 101.00 (free shipping from 99.00).
    first = pay(order_of((p.oil, 2), (p.orange, 1)))
    # Order 2: delivery, 3 x cabbage 12.90 = 38.70 + shipping 12.00 = 50.70.
    second = pay(order_of((p.cabbage, 3)))
    # Order 3: pickup at the Decheng counter, 1 x oil = 38.00, no shipping.
    third = pay(order_of((p.oil, 1), delivery=pickup_at(p.decheng_counter)))
    # Order 4: placed, never paid.
    unpaid = order_of((p.orange, 1))
    # Partial refund of order 1: the orange (25.00). Whole refund of order 2: 50.70 (38.70 goods + 12.00 shipping).
    orange_line = first.lines.get(variant=p.orange)
    refund_order(first, actor=operator, reason="坏果", lines={orange_line.pk: 1})
    refund_order(second, actor=operator, reason="取消")
    # Counter sales: Decheng 1 x oil + 2 x cabbage = 38.00 + 25.80; Lingcheng 4 x orange = 100.00.
    sell_at_counter(p.decheng_counter, (p.oil, 1), (p.cabbage, 2))
    sell_at_counter(p.lingcheng_counter, (p.orange, 4))
    return {"first": first, "second": second, "third": third, "unpaid": unpaid}


def by_key(dimension: str) -> dict:
    return {row.key: row.net for row in report(AidLedgerEntry.objects.all(), dimension).rows}


def test_every_report_total_matches_the_hand_computation(crafted, prog):
    p = prog
    assert crafted["first"].shipping_fee == 0 and crafted["second"].shipping_fee == 1200
    # Credits: 7600 + 2500 + 3870 + 3800 (orders) + 3800 + 2580 + 10000 (counters) = 34150.
    # Debits: 2500 (orange) + 3870 (cabbage goods; the 12.00 shipping is not aid money) = 6370.
    assert report_totals(AidLedgerEntry.objects.all()) == {"credits": 34150, "debits": 6370, "net": 27780, "entries": 9}

    assert by_key("merchant") == {p.oil_coop.pk: 15200, p.brocade.pk: 10000, p.veg_farm.pk: 2580}
    assert by_key("township") == {
        XiushanTownship.HONGAN: 15200,
        XiushanTownship.AIKOU: 10000,
        XiushanTownship.GUANZHUANG: 2580,
    }
    assert by_key("paired_county") == {
        DezhouCounty.DECHENG: 15200,
        DezhouCounty.LINGCHENG: 10000,
        DezhouCounty.YUCHENG: 2580,
    }
    # Decheng counter: order 3 picked up there (3800) + its sale (6380); Lingcheng: 10000; warehouse: 7600.
    assert by_key("counter") == {p.decheng_counter.pk: 10180, p.lingcheng_counter.pk: 10000, None: 7600}
    assert by_key("category") == {p.oil_category_id: 15200, p.fruit_category_id: 12580}
    channel = {
        row.key: (row.credits, row.debits, row.net) for row in report(AidLedgerEntry.objects.all(), "channel").rows
    }
    assert channel == {"online": (17770, 6370, 11400), "counter": (16380, 0, 16380)}
    this_month = timezone.localdate().strftime("%Y-%m")
    months = report(AidLedgerEntry.objects.all(), "month")
    assert [(row.label, row.net) for row in months.rows] == [(this_month, 27780)]
    for period in ("day", "quarter", "year"):
        assert report(AidLedgerEntry.objects.all(), period).net == 27780


def test_the_debit_is_exactly_the_refunded_lines(crafted, prog):
    first, second = crafted["first"], crafted["second"]
    debits = AidLedgerEntry.objects.filter(kind=AidLedgerEntry.Kind.ORDER_REFUND).order_by("pk")
    assert [(d.order_id, d.merchant_id, d.amount, d.quantity) for d in debits] == [
        (first.pk, prog.brocade.pk, -2500, -1),
        (second.pk, prog.veg_farm.pk, -3870, -3),
    ]


def reconcile_output(*args: str) -> str:
    out = io.StringIO()
    call_command("reconcile_ledger", *args, stdout=out)
    return out.getvalue()


def test_reconcile_ledger_balances_then_names_a_payment_without_credit(crafted):
    output = reconcile_output()
    assert "balanced" in output
    # payments 10100 + 5070 + 3800 - refunds 7570 - shipping 12.00 + refunded shipping 12.00 + counters 16380.
    assert "= 277.80" in output

    unpaid = crafted["unpaid"]
    Payment.objects.create(
        order=unpaid,
        provider=PaymentProvider.DEMO,
        intent_id=f"demo_{uuid.uuid4().hex}",
        amount=unpaid.total,
        currency="CNY",
        status=Payment.Status.SUCCEEDED,
        succeeded_at=timezone.now(),
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("reconcile_ledger", stdout=out)
    assert error.value.returncode == 1
    assert f"MISMATCH {unpaid.number}: ledger 0.00, expected 37.00" in out.getvalue()


def test_reconcile_ledger_names_a_counter_sale_missing_from_the_ledger(crafted, prog):
    sale = CounterSale.objects.create(number="CS-RAW-1", location=prog.decheng_counter, total=3800)
    CounterSaleLine.objects.create(
        sale=sale,
        variant=prog.oil,
        merchant=prog.oil_coop,
        product_name="油茶",
        variant_name="500ml",
        sku=prog.oil.sku,
        unit_price=3800,
        quantity=1,
        line_total=3800,
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", stdout=out)
    assert "MISMATCH CS-RAW-1: ledger 0.00, expected 38.00" in out.getvalue()
    assert f"    line {prog.oil.sku} 油茶: ledger 0.00, expected 38.00" in out.getvalue()


def test_reconcile_ledger_names_a_raw_ledger_row(crafted, prog):
    line = crafted["unpaid"].lines.get()
    AidLedgerEntry.objects.create(
        kind=AidLedgerEntry.Kind.ORDER_PAID,
        channel="online",
        amount=line.line_total,
        quantity=line.quantity,
        merchant=prog.brocade,
        township=prog.brocade.township,
        paired_county=prog.brocade.paired_county,
        category_id=prog.fruit_category_id,
        product=prog.orange.product,
        product_name=line.product_name,
        order=crafted["unpaid"],
        order_line=line,
        reference=crafted["unpaid"].number,
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", stdout=out)
    assert f"MISMATCH {crafted['unpaid'].number}: ledger 25.00, expected 0.00" in out.getvalue()
    assert f"    line {line.product_name}: ledger 25.00, expected 0.00" in out.getvalue()


def test_reconcile_ledger_period_leaves_out_other_days(crafted):
    today = timezone.localdate()
    output = reconcile_output(
        "--from", str(today.replace(year=today.year - 1)), "--to", str(today.replace(year=today.year - 1))
    )
    assert "credits 0.00 - debits 0.00 = 0.00" in output
    assert "balanced" in output
    assert "= 277.80" in reconcile_output("--from", str(today), "--to", str(today))


def test_backfill_writes_what_a_ledger_started_later_would_miss_once(crafted):
    before = sorted(AidLedgerEntry.objects.values_list("reference", "amount", "created_at"))
    with connection.cursor() as cursor:  # as if the ledger had not existed yet (the guard is bypassed here)
        cursor.execute("SET session_replication_role = replica")
        AidLedgerEntry.objects.all().delete()
        cursor.execute("SET session_replication_role = DEFAULT")
    with pytest.raises(CommandError):
        call_command("reconcile_ledger", stdout=io.StringIO())

    call_command("backfill_aid_ledger", stdout=io.StringIO())
    assert sorted(AidLedgerEntry.objects.values_list("reference", "amount", "created_at")) == before
    assert "balanced" in reconcile_output()
    out = io.StringIO()
    call_command("backfill_aid_ledger", stdout=out)
    assert out.getvalue().startswith("0 ")
