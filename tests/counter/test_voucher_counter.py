"""A consumption voucher redeemed at the counter for a walk-in sale: typed or scanned, the budget taken, the
discount split per line and credited with its sponsor; counter scope; a used voucher refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import StockMovement
from orders.counter.services import record_counter_sale
from orders.coupons.selectors import CouponCustomer
from orders.models import AidLedgerEntry, CounterSale, Coupon, VoucherBatch
from orders.vouchers.services import VoucherError, claim
from tests import factories
from tests.catalog.admin_world import url
from tests.counter.test_sales import priced, sale_form  # noqa: F401 (a fixture)
from tests.fixtures.http import login, messages_of

SPONSOR = "德州市商务局消费帮扶资金"


def batch(**fields) -> VoucherBatch:
    now = timezone.now()
    options = {
        "name": "德州消费帮扶券",
        "sponsor": SPONSOR,
        "face_value": 1000,
        "min_spend": 3000,
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        "eligibility": Coupon.Eligibility.ALL,
        "budget": 100_000,
        **fields,
    }
    return VoucherBatch.objects.create(**options)


def claimed(batch: VoucherBatch):
    user = factories.make_user()
    return claim(batch, CouponCustomer(user_id=user.pk, phone=f"137{user.pk:08d}"))


def test_the_counter_redeems_a_scanned_voucher_for_a_walk_in_sale(client, priced):  # noqa: F811
    world = priced
    voucher_batch = batch()
    voucher = claimed(voucher_batch)
    login(client, world.carol)

    form = sale_form((world.variant_a, 2), (world.variant_b, 1))
    form["voucher_code"] = f"https://shop.example/vouchers/{voucher.code.lower()}/"  # the QR's link, scanned
    response = client.post(url("counter:record_sale", world.counter1.pk), form)

    sale = CounterSale.objects.get()
    assert response.status_code == 302
    # 45.80 of goods, 10.00 voucher split 20.00 : 25.80 → 4.37 + 5.63; the customer pays 35.80.
    assert (sale.total, sale.voucher_discount, sale.customer_paid) == (4580, 1000, 3580)
    lines = {line.variant_id: line.voucher_discount for line in sale.lines.all()}
    assert lines == {world.variant_a.pk: 437, world.variant_b.pk: 563}
    voucher.refresh_from_db()
    voucher_batch.refresh_from_db()
    assert (voucher.counter_sale_id, voucher.amount, voucher_batch.spent) == (sale.pk, 1000, 1000)
    credits = sorted(AidLedgerEntry.objects.filter(counter_sale=sale).values_list("amount", "sponsored", "sponsor"))
    assert credits == [(2000, 437, SPONSOR), (2580, 563, SPONSOR)]  # the producers get the full price
    receipt = client.get(response["Location"])
    assert "voucher ¥10.00, the customer pays ¥35.80" in " ".join(messages_of(receipt))
    assert "¥35.80" in receipt.content.decode()
    day = client.get(url("counter:day_summary", world.counter1.pk)).context["summary"]
    assert (day.cash_to_hand_in, day.matches_ledger) == (3580, True)

    # Another counter's staff see neither the sale nor its receipt.
    login(client, world.dave)
    assert client.get(url("counter:receipt", world.counter1.pk, sale.pk)).status_code == 404
    assert sale.number not in client.get(url("counter:sales", world.counter2.pk)).content.decode()


def test_a_used_voucher_and_a_sale_below_min_spend_are_refused_and_write_nothing(client, priced):  # noqa: F811
    world = priced
    voucher = claimed(batch())
    record_counter_sale(world.counter1, [(world.variant_a.pk, 3)], actor=world.carol, voucher_code=voucher.code)
    movements = StockMovement.objects.count()

    with pytest.raises(VoucherError, match="already been used"):
        record_counter_sale(world.counter1, [(world.variant_a.pk, 3)], actor=world.carol, voucher_code=voucher.code)
    other = claimed(batch())
    with pytest.raises(VoucherError, match="at least"):
        record_counter_sale(world.counter1, [(world.variant_a.pk, 1)], actor=world.carol, voucher_code=other.code)
    with pytest.raises(VoucherError, match="does not exist"):
        record_counter_sale(world.counter1, [(world.variant_a.pk, 3)], actor=world.carol, voucher_code="NOPE1234")
    assert CounterSale.objects.count() == 1 and StockMovement.objects.count() == movements

    login(client, world.carol)
    form = sale_form((world.variant_a, 3))
    form["voucher_code"] = voucher.code
    response = client.post(url("counter:record_sale", world.counter1.pk), form)
    assert response.status_code == 200 and "already been used" in " ".join(response.context["draft"].errors)


def test_a_sale_beyond_the_budget_is_refused(priced):  # noqa: F811
    world = priced
    voucher = claimed(batch(budget=999))
    with pytest.raises(VoucherError, match="budget has been used up"):
        record_counter_sale(world.counter1, [(world.variant_a.pk, 3)], actor=world.carol, voucher_code=voucher.code)
    assert not CounterSale.objects.exists()
