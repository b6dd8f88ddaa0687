"""Walk-in sales carry how the customer paid, on the sale and on each of its aid-ledger entries; the receipt and the
counter's day-end summary (sales, hand-overs, cash to hand in) match the ledger to the fen, and stay with their
counter."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from catalog.models import Variant
from orders.counter.selectors import day_summary
from orders.counter.services import CounterError, record_counter_sale
from orders.models import AidLedgerEntry, CounterPaymentMethod, CounterSale
from tests.catalog.admin_world import url
from tests.counter.helpers import paid_order, ready_pickup
from tests.fixtures.http import login


def sell(world, counter, variant, quantity: int, method: str) -> CounterSale:
    staff = world.carol if counter == world.counter1 else world.dave
    return record_counter_sale(counter, [(variant.pk, quantity)], actor=staff, payment_method=method)


def ledger_total(counter, **lookup) -> int:
    entries = AidLedgerEntry.objects.filter(kind=AidLedgerEntry.Kind.COUNTER_SALE, counter=counter, **lookup)
    return entries.aggregate(total=Sum("amount"))["total"] or 0


def test_the_payment_method_is_kept_on_the_sale_and_on_each_ledger_entry(client, world):
    login(client, world.carol)
    response = client.post(
        url("counter:record_sale", world.counter1.pk),
        {
            "variant": [world.variant_a.pk, world.variant_b.pk],
            "quantity": ["2", "1"],
            "payment_method": "wechat",
            "record": "1",
        },
    )

    sale = CounterSale.objects.get()
    assert response["Location"] == url("counter:receipt", world.counter1.pk, sale.pk)
    assert sale.payment_method == CounterPaymentMethod.WECHAT
    entries = AidLedgerEntry.objects.filter(counter_sale=sale)
    assert entries.count() == 2
    assert set(entries.values_list("payment_method", flat=True)) == {"wechat"}
    receipt = client.get(response["Location"]).content.decode()
    assert "WeChat Pay" in receipt and sale.number in receipt and "counter-print" in receipt


def test_the_service_refuses_an_unknown_payment_method(world):
    with pytest.raises(CounterError, match="how the customer paid"):
        record_counter_sale(world.counter1, [(world.variant_a.pk, 1)], actor=world.carol, payment_method="bitcoin")
    assert CounterSale.objects.count() == 0


def test_the_day_end_summary_matches_the_ledger_to_the_fen(client, world):
    Variant.objects.filter(pk=world.variant_b.pk).update(price=2580)
    sell(world, world.counter1, world.variant_a, 2, "cash")  # 20.00
    sell(world, world.counter1, world.variant_b, 1, "cash")  # 25.80
    sell(world, world.counter1, world.variant_b, 3, "alipay")  # 77.40
    sell(world, world.counter2, world.variant_a, 1, "cash")  # another counter's
    handed = ready_pickup(paid_order((world.variant_a, 1), counter=world.counter1))
    login(client, world.carol)
    client.post(url("counter:hand_over", handed.pk), {"code": handed.code})

    summary = day_summary(world.counter1)

    assert (summary.sales_count, summary.sales_total) == (3, 2000 + 2580 + 7740)
    assert summary.cash_to_hand_in == 2000 + 2580
    assert {row.method: (row.count, row.total) for row in summary.methods} == {
        "cash": (2, 4580),
        "wechat": (0, 0),
        "alipay": (1, 7740),
        "unionpay": (0, 0),
    }
    assert summary.handed_over == 1
    today = timezone.localdate()
    assert summary.ledger_total == ledger_total(world.counter1, created_at__date=today) == summary.sales_total
    assert summary.cash_to_hand_in == ledger_total(world.counter1, created_at__date=today, payment_method="cash")
    assert summary.matches_ledger

    page = client.get(url("counter:day_summary", world.counter1.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert "¥123.20" in html and "¥45.80" in html and "Matches the aid ledger (3 entries)." in html


def test_a_sale_whose_ledger_time_differs_shows_the_mismatch(world):
    """A sale moved to yesterday behind the ledger's back (its entry stays today): the summary says they differ."""
    sale = sell(world, world.counter1, world.variant_a, 1, "unionpay")
    CounterSale.objects.filter(pk=sale.pk).update(created_at=timezone.now() - timedelta(days=1))

    summary = day_summary(world.counter1)

    assert summary.sales_total == 0 and summary.ledger_total == 1000
    assert not summary.matches_ledger


def test_staff_see_only_their_own_counters_summary_and_receipts(client, world):
    theirs = sell(world, world.counter2, world.variant_b, 2, "cash")
    mine = sell(world, world.counter1, world.variant_a, 1, "cash")
    login(client, world.carol)

    assert client.get(url("counter:day_summary", world.counter2.pk)).status_code == 404
    assert client.get(url("counter:receipt", world.counter2.pk, theirs.pk)).status_code == 404
    assert client.get(url("counter:receipt", world.counter1.pk, theirs.pk)).status_code == 404
    assert client.get(url("counter:receipt", world.counter1.pk, mine.pk)).status_code == 200
    own = client.get(url("counter:day_summary", world.counter1.pk))
    assert own.context["summary"].sales_total == 1000
    assert theirs.number not in own.content.decode()
    login(client, world.alice)  # a merchant: no counter access at all
    assert client.get(url("counter:day_summary", world.counter1.pk))["Location"] == url("wagtailadmin_home")


def test_a_day_can_be_chosen_and_a_bad_one_shows_today(client, world):
    sell(world, world.counter1, world.variant_a, 1, "cash")
    login(client, world.carol)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    assert (
        client.get(url("counter:day_summary", world.counter1.pk), {"day": yesterday}).context["summary"].sales_count
        == 0
    )
    for bad in ("2026-02-30", "nonsense", ""):
        response = client.get(url("counter:day_summary", world.counter1.pk), {"day": bad})
        assert response.status_code == 200 and response.context["summary"].day == timezone.localdate()
