"""Consumption vouchers (消费券): claims, totals to the fen with a coupon, the budget under 100 concurrent
redemptions, freeing, refunds and the aid ledger's sponsored amounts."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from catalog.services import receive_stock
from orders.aid.reconciliation import reconcile
from orders.aid.statements import statement
from orders.checkout import cart_summary, coupon_quote
from orders.checkout.vouchers import VoucherRefused
from orders.coupons.selectors import CouponCustomer
from orders.coupons.services import apply_code, create_code
from orders.models import AidLedgerEntry, Cart, Coupon, CouponRedemption, Order, OrderStatus, Voucher, VoucherBatch
from orders.payments import cancel_order, expire_overdue_orders
from orders.payments.services import refund_order
from orders.vouchers.services import VoucherError, choose_for_cart, claim
from tests import factories
from tests.aid.helpers import certify, pay, programme
from tests.fixtures.races import run_together
from tests.orders.helpers import cart_with, checkout, stock_snapshot

SPONSOR = "德州市商务局消费帮扶资金"


@pytest.fixture
def prog(db):
    return programme()  # oil 38.00 (oil_coop), orange 25.00 (brocade), cabbage 12.90 (veg_farm); fee 12, free from 99


def make_batch(**fields) -> VoucherBatch:
    now = timezone.now()
    options = {
        "name": "德州消费帮扶券",
        "sponsor": SPONSOR,
        "face_value": 3000,
        "min_spend": 5000,
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        "budget": 1_000_000,
        **fields,
    }
    products = options.pop("products", None)
    batch = VoucherBatch.objects.create(**options)
    if products:
        batch.eligibility = Coupon.Eligibility.CHOSEN
        batch.save(update_fields=["eligibility"])
        batch.products.set(products)
    return batch


def shopper(phone: str | None = None) -> tuple[object, CouponCustomer]:
    user = factories.make_user()
    return user, CouponCustomer(user_id=user.pk, phone=phone or f"139{user.pk:08d}")


def with_voucher(cart, voucher: Voucher, user, customer: CouponCustomer):
    Cart.objects.filter(user=user).exclude(pk=cart.pk).delete()  # a shopper has one cart
    cart.user = user
    cart.save(update_fields=["user"])
    choose_for_cart(cart, voucher, customer=customer)
    return cart


def make_coupon(**fields) -> Coupon:
    now = timezone.now()
    options = {
        "name": "春季促销",
        "sponsor": "秀山电商协会",
        "amount": 2000,
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        "per_customer_limit": 0,
        **fields,
    }
    coupon = Coupon.objects.create(**options)
    create_code(coupon, "SPRING20")
    return coupon


def spent_invariant(batch: VoucherBatch) -> None:
    """spent = the batch's sponsored ledger amounts + the voucher parts of its unpaid orders."""
    batch.refresh_from_db()
    orders = Voucher.objects.filter(batch=batch, order__isnull=False).values("order_id")
    sales = Voucher.objects.filter(batch=batch, counter_sale__isnull=False).values("counter_sale_id")
    ledger = AidLedgerEntry.objects.filter(order_id__in=orders) | AidLedgerEntry.objects.filter(
        counter_sale_id__in=sales
    )
    sponsored = ledger.aggregate(total=Sum("sponsored"))["total"] or 0
    unpaid = (
        Order.objects.filter(pk__in=orders, status=OrderStatus.PENDING_PAYMENT).aggregate(
            total=Sum("voucher_discount")
        )["total"]
        or 0
    )
    assert batch.spent == sponsored + unpaid


# --- totals to the fen -----------------------------------------------------------------------------------


def test_a_voucher_after_a_coupon_over_three_merchants_is_right_to_the_fen(prog, django_capture_on_commit_callbacks):
    certify(prog.oil_coop, prog.veg_farm)  # the orange's orchard has no certificate: not eligible for the voucher
    make_coupon()  # 20.00 off every product, sponsored by the e-commerce association
    batch = make_batch()  # 30.00 off certified goods from 50.00 (after the coupon)
    user, customer = shopper()
    voucher = claim(batch, customer)
    cart = cart_with((prog.oil, 2), (prog.orange, 1), (prog.cabbage, 3))
    apply_code(cart, "SPRING20", customer=customer, quote=coupon_quote(cart_summary(cart), "SPRING20"))
    with_voucher(cart, voucher, user, customer)

    summary = cart_summary(cart)
    # Goods 139.70; coupon 20.00 → 10.88 / 3.58 / 5.54; the voucher's 98.28 of certified goods after it → 30.00.
    assert (summary.subtotal, summary.coupon_discount, summary.voucher_discount) == (13970, 2000, 3000)
    # 89.70 after both discounts is below the 99.00 threshold: delivery costs 12.00.
    assert (summary.shipping_fee, summary.total) == (1200, 10170)

    order = checkout(cart, user=user, customer=customer)
    assert (order.subtotal, order.discount, order.voucher_discount, order.shipping_fee, order.total) == (
        13970,
        5000,
        3000,
        1200,
        10170,
    )
    assert order.voucher_sponsor == SPONSOR and order.coupon_sponsor == "秀山电商协会"
    lines = {line.variant_id: line for line in order.lines.all()}
    oil, orange, cabbage = lines[prog.oil.pk], lines[prog.orange.pk], lines[prog.cabbage.pk]
    # Voucher 30.00 over what the coupon left of oil (65.12) and cabbage (33.16): 19.88 + 10.12.
    assert [(x.discount, x.voucher_discount) for x in (oil, orange, cabbage)] == [(3076, 1988), (358, 0), (1566, 1012)]
    assert CouponRedemption.objects.get(order=order).amount == 2000  # the coupon's part only
    voucher.refresh_from_db()
    assert (voucher.order_id, voucher.amount) == (order.pk, 3000)
    batch.refresh_from_db()
    assert batch.spent == 3000
    cart.refresh_from_db()
    assert cart.voucher_id is None

    with django_capture_on_commit_callbacks(execute=True):
        pay(order)
    consumer = next(m for m in mail.outbox if m.to == [order.contact_email])
    # The shopper's e-mail shows each discount on its own line: the coupon's 20.00 (its code), the voucher's 30.00.
    assert "-¥20.00 (SPRING20)" in consumer.body and "-¥30.00" in consumer.body and "¥101.70" in consumer.body
    credits = {e.merchant_id: (e.amount, e.sponsored, e.sponsor) for e in AidLedgerEntry.objects.filter(order=order)}
    # Each producer receives what its buyer paid plus what the budget pays for its goods.
    assert credits == {
        prog.oil_coop.pk: (7600 - 3076 + 1988, 1988, SPONSOR),
        prog.brocade.pk: (2500 - 358, 0, ""),
        prog.veg_farm.pk: (3870 - 1566 + 1012, 1012, SPONSOR),
    }
    today = timezone.localdate()
    gross = {m.pk: statement(m, today, today, fee_basis_points=0).gross for m in (prog.oil_coop, prog.brocade)}
    gross[prog.veg_farm.pk] = statement(prog.veg_farm, today, today, fee_basis_points=0).gross
    assert gross == {pk: amount for pk, (amount, _s, _n) in credits.items()}
    assert sum(gross.values()) == order.total - order.shipping_fee + order.voucher_discount
    assert reconcile().balanced
    spent_invariant(batch)


def test_min_spend_counts_eligible_goods_after_the_coupon(prog):
    certify(prog.oil_coop)
    make_coupon(amount=500)
    batch = make_batch(min_spend=7600)  # two oils are 76.00, less 5.00 of coupon: 71.00
    user, customer = shopper()
    cart = cart_with((prog.oil, 2))
    apply_code(cart, "SPRING20", customer=customer, quote=coupon_quote(cart_summary(cart), "SPRING20"))
    with_voucher(cart, claim(batch, customer), user, customer)

    summary = cart_summary(cart)
    assert summary.voucher_discount == 0 and "at least ¥76.00" in summary.voucher.problem
    before = stock_snapshot()
    with pytest.raises(VoucherRefused):
        checkout(cart, user=user, customer=customer)
    assert stock_snapshot() == before and not Order.objects.exists()


def test_a_face_value_above_the_eligible_goods_is_capped_at_them(prog):
    batch = make_batch(face_value=5000, min_spend=0, eligibility=Coupon.Eligibility.ALL)
    user, customer = shopper()
    cart = with_voucher(cart_with((prog.cabbage, 1)), claim(batch, customer), user, customer)
    order = checkout(cart, user=user, customer=customer)
    assert (order.discount, order.voucher_discount, order.total) == (1290, 1290, 1200)


# --- claims -----------------------------------------------------------------------------------------------


def test_claims_per_phone_per_account_and_in_all(prog):
    batch = make_batch(per_person_limit=1, claim_limit=3)
    user, customer = shopper(phone="13900000001")
    first = claim(batch, customer)
    assert len(first.code) == 8 and first.phone == "13900000001"
    with pytest.raises(VoucherError, match="already claimed"):
        claim(batch, customer)
    with pytest.raises(VoucherError, match="already claimed"):  # a second account with the same number
        claim(batch, CouponCustomer(user_id=factories.make_user().pk, phone="13900000001"))
    with pytest.raises(VoucherError, match="already claimed"):  # a new number on the same account
        claim(batch, CouponCustomer(user_id=user.pk, phone="13900000002"))
    claim(batch, shopper()[1])
    claim(batch, shopper()[1])
    with pytest.raises(VoucherError, match="All vouchers"):
        claim(batch, shopper()[1])
    batch.refresh_from_db()
    assert batch.claimed == 3 == batch.vouchers.count()


def test_guests_and_unverified_shoppers_cannot_claim(prog):
    batch = make_batch()
    with pytest.raises(VoucherError, match="mobile number"):
        claim(batch, None)
    with pytest.raises(VoucherError, match="mobile number"):
        claim(batch, CouponCustomer(user_id=factories.make_user().pk, phone=""))
    assert not Voucher.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_active": False}, "no longer valid"),
        (
            {"valid_from": timezone.now() + timedelta(days=1), "valid_until": timezone.now() + timedelta(days=2)},
            "not valid yet",
        ),
        (
            {"valid_from": timezone.now() - timedelta(days=2), "valid_until": timezone.now() - timedelta(days=1)},
            "expired",
        ),
    ],
)
def test_expired_or_future_batches_cannot_be_claimed_or_used(prog, change, message):
    batch = make_batch(eligibility=Coupon.Eligibility.ALL, min_spend=0)
    user, customer = shopper()
    voucher = claim(batch, customer)
    cart = with_voucher(cart_with((prog.oil, 1)), voucher, user, customer)
    VoucherBatch.objects.filter(pk=batch.pk).update(**change)
    with pytest.raises(VoucherError, match=message):
        claim(batch, shopper()[1])
    with pytest.raises(VoucherRefused, match=message):
        checkout(cart, user=user, customer=customer)
    assert not Order.objects.exists()


def test_only_the_owner_may_use_a_voucher(prog):
    batch = make_batch(eligibility=Coupon.Eligibility.ALL, min_spend=0)
    _owner, owner = shopper()
    voucher = claim(batch, owner)
    _thief, customer = shopper()
    with pytest.raises(VoucherError, match="not yours"):
        choose_for_cart(cart_with((prog.oil, 1)), voucher, customer=customer)


# --- freeing and refunds --------------------------------------------------------------------------------


def test_cancel_or_expiry_frees_the_voucher_and_the_budget(prog, operator):
    batch = make_batch(eligibility=Coupon.Eligibility.ALL, min_spend=0, face_value=1000)
    user, customer = shopper()
    voucher = claim(batch, customer)
    order = checkout(with_voucher(cart_with((prog.oil, 1)), voucher, user, customer), user=user, customer=customer)
    batch.refresh_from_db()
    assert batch.spent == 1000
    spent_invariant(batch)

    cancel_order(order, actor=operator, reason="不要了")
    voucher.refresh_from_db()
    batch.refresh_from_db()
    assert (voucher.order_id, voucher.used_at, batch.spent) == (None, None, 0)
    order.refresh_from_db()
    assert order.voucher_discount == 1000  # the order keeps what it was placed with

    again = checkout(with_voucher(cart_with((prog.oil, 1)), voucher, user, customer), user=user, customer=customer)
    Order.objects.filter(pk=again.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_overdue_orders()
    voucher.refresh_from_db()
    batch.refresh_from_db()
    assert (voucher.order_id, batch.spent) == (None, 0)
    spent_invariant(batch)


def test_a_refund_gives_the_voucher_part_back_to_the_budget_and_the_ledger_nets_out(prog, operator):
    batch = make_batch(eligibility=Coupon.Eligibility.ALL, min_spend=0, face_value=1000)
    user, customer = shopper()
    voucher = claim(batch, customer)
    order = pay(checkout(with_voucher(cart_with((prog.oil, 3)), voucher, user, customer), user=user, customer=customer))
    oil = order.lines.get()
    assert (oil.discount, oil.voucher_discount, oil.paid_total) == (1000, 1000, 10400)

    first = refund_order(order, actor=operator, reason="破损", lines={oil.pk: 1})
    assert first.amount == 3466  # floor(10400 / 3)
    debit = AidLedgerEntry.objects.get(refund=first)
    assert (debit.amount, debit.sponsored, debit.sponsor) == (-3466 - 333, -333, SPONSOR)
    batch.refresh_from_db()
    assert batch.spent == 1000 - 333
    spent_invariant(batch)
    assert reconcile().balanced

    refund_order(order, actor=operator, reason="取消")
    assert AidLedgerEntry.objects.filter(order=order).aggregate(a=Sum("amount"), s=Sum("sponsored")) == {
        "a": 0,
        "s": 0,
    }
    batch.refresh_from_db()
    assert batch.spent == 0
    voucher.refresh_from_db()
    assert voucher.order_id == order.pk  # the voucher itself stays used
    assert reconcile().balanced
    spent_invariant(batch)


# --- the budget under concurrent redemptions ---------------------------------------------------------------

# The shared PostgreSQL allows 100 connections in all: the 100 racers are released together and at most this many
# hold a connection at a time (the rest queue for one, still all before any has finished).
MAX_CONNECTIONS = 50


@pytest.mark.django_db(transaction=True)
def test_a_hundred_redemptions_at_once_of_a_batch_with_budget_for_forty_give_forty_orders():
    prog = programme()
    certify(prog.oil_coop)
    receive_stock(variant=prog.oil, location=prog.warehouse, quantity=200, actor=None, reason="入库")
    batch = make_batch(face_value=500, min_spend=0, budget=40 * 500, per_person_limit=1)
    racers = []
    for _ in range(100):
        user, customer = shopper()
        cart = with_voucher(cart_with((prog.oil, 1)), claim(batch, customer), user, customer)
        racers.append((cart, user, customer, cart_summary(cart).fingerprint))
    before = stock_snapshot()
    gate = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def job(cart, user, customer, fingerprint):
        with gate:
            try:
                return checkout(cart, user=user, customer=customer, fingerprint=fingerprint)
            finally:
                connection.close()

    results = run_together(*[lambda r=r: job(*r) for r in racers])

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, VoucherRefused)]
    assert (len(orders), len(refused)) == (40, 60), [r for r in results if not isinstance(r, Order | VoucherRefused)]
    assert all("budget has been used up" in str(exc) for exc in refused)
    assert Order.objects.count() == 40
    assert sorted(Order.objects.values_list("voucher_discount", flat=True)) == [500] * 40
    batch.refresh_from_db()
    assert batch.spent == 40 * 500 == batch.budget
    assert Voucher.objects.filter(order__isnull=False).count() == 40
    # The 60 refused wrote nothing: stock moved only for the 40 orders (one allocate entry each).
    rows, movements = stock_snapshot()
    assert movements == before[1] + 40
    warehouse_oil = next(r for r in rows if r[:2] == (prog.oil.pk, prog.warehouse.pk))
    assert warehouse_oil[3] == 40
    spent_invariant(batch)


@pytest.mark.django_db(transaction=True)
def test_claims_at_once_never_pass_the_batchs_limit_nor_one_persons():
    batch = make_batch(claim_limit=10, per_person_limit=1)
    customers = [shopper()[1] for _ in range(30)]
    twice = shopper()[1]

    results = run_together(*[lambda c=c: _claim_closing(batch, c) for c in customers])

    claimed = [r for r in results if isinstance(r, Voucher)]
    refused = [r for r in results if isinstance(r, VoucherError)]
    assert (len(claimed), len(refused)) == (10, 20), [r for r in results if not isinstance(r, Voucher | VoucherError)]
    assert all("have been claimed" in str(exc) for exc in refused)
    batch.refresh_from_db()
    assert batch.claimed == 10 == Voucher.objects.filter(batch=batch).count()

    other = make_batch(per_person_limit=1)
    results = run_together(*[lambda: _claim_closing(other, twice)] * 5)  # one shopper, five taps at once
    assert len([r for r in results if isinstance(r, Voucher)]) == 1
    assert Voucher.objects.filter(batch=other, user_id=twice.user_id).count() == 1


def _claim_closing(batch, customer):
    """A claim from a racing thread, which gives its connection back."""
    try:
        return claim(batch, customer)
    finally:
        connection.close()
