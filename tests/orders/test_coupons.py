"""Campaign coupon codes: totals to the fen, the discount split per line and per merchant, limits, freeing, races."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from catalog.models import Pack, PackItem
from orders.aid.reconciliation import reconcile
from orders.aid.statements import statement
from orders.cart import add_pack_to_cart
from orders.checkout import CartChanged, cart_summary, coupon_quote
from orders.checkout.coupons import CouponRefused
from orders.coupons.selectors import CouponCustomer
from orders.coupons.services import CouponError, apply_code, create_code, generate_codes
from orders.models import AidLedgerEntry, Coupon, CouponRedemption, Order
from orders.payments import cancel_order, expire_overdue_orders
from orders.payments.services import refund_order
from tests import factories
from tests.aid.helpers import certify, pay, programme
from tests.fixtures.races import run_together
from tests.orders.helpers import cart_with, checkout, stock_snapshot


@pytest.fixture
def prog(db):
    return programme()  # oil 38.00 (oil_coop), orange 25.00 (brocade), cabbage 12.90 (veg_farm); fee 12, free from 99


def make_coupon(code: str = "SPRING20", **fields) -> Coupon:
    now = timezone.now()
    options = {
        "name": "春季促销",
        "sponsor": "秀山消费帮扶项目",
        "kind": Coupon.Kind.SHARED,
        "discount_kind": Coupon.DiscountKind.FIXED,
        "amount": 2000,
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        "per_customer_limit": 0,
        **fields,
    }
    products = options.pop("products", None)
    coupon = Coupon.objects.create(**options)
    if products:
        coupon.eligibility = Coupon.Eligibility.CHOSEN
        coupon.save(update_fields=["eligibility"])
        coupon.products.set(products)
    if coupon.kind == Coupon.Kind.SHARED:
        create_code(coupon, code)
    return coupon


def shopper(phone: str | None = None) -> tuple[object, CouponCustomer]:
    user = factories.make_user()
    return user, CouponCustomer(user_id=user.pk, phone=phone or f"139{user.pk:08d}")


def with_code(cart, code: str, customer: CouponCustomer):
    apply_code(cart, code, customer=customer, quote=coupon_quote(cart_summary(cart), code))
    return cart


def buy(cart, user, customer, **extra) -> Order:
    return checkout(cart, user=user, customer=customer, **extra)


# --- totals to the fen -----------------------------------------------------------------------------------


def test_a_fixed_coupon_on_chosen_products_is_split_over_them_to_the_fen(prog):
    make_coupon(amount=2000, products=[prog.oil.product, prog.orange.product])
    user, customer = shopper()
    cart = with_code(cart_with((prog.oil, 3), (prog.orange, 1), (prog.cabbage, 1)), "spring-20", customer)

    summary = cart_summary(cart)
    assert (summary.subtotal, summary.discount, summary.shipping_fee, summary.total) == (15190, 2000, 0, 13190)
    order = buy(cart, user, customer)

    assert (order.subtotal, order.discount, order.shipping_fee, order.total) == (15190, 2000, 0, 13190)
    assert (order.coupon_code, order.coupon_sponsor) == ("SPRING20", "秀山消费帮扶项目")
    # 2000 over 11400 and 2500: 1640.29 and 359.71, the leftover fen to the larger remainder; cabbage not eligible.
    discounts = {line.variant_id: line.discount for line in order.lines.all()}
    assert discounts == {prog.oil.pk: 1640, prog.orange.pk: 360, prog.cabbage.pk: 0}
    assert sum(discounts.values()) == order.discount
    redemption = CouponRedemption.objects.get()
    assert (redemption.order, redemption.amount, redemption.customer_key, redemption.phone) == (
        order,
        2000,
        f"user:{user.pk}",
        customer.phone,
    )
    cart.refresh_from_db()
    assert cart.coupon_code is None


def test_a_percent_coupon_rounds_down_and_its_discount_can_lose_free_shipping(prog):
    make_coupon(discount_kind="percent", amount=0, percent=17, products=[prog.oil.product, prog.cabbage.product])
    user, customer = shopper()
    cart = with_code(cart_with((prog.oil, 2), (prog.orange, 1), (prog.cabbage, 1)), "SPRING20", customer)

    order = buy(cart, user, customer)

    # 17% of the eligible 88.90 is 15.113 → 15.11; the goods after it (98.79) are below the 99.00 threshold.
    assert (order.subtotal, order.discount, order.shipping_fee, order.total) == (11390, 1511, 1200, 11079)
    discounts = {line.variant_id: line.discount for line in order.lines.all()}
    assert discounts == {prog.oil.pk: 1292, prog.orange.pk: 0, prog.cabbage.pk: 219}


def test_a_gift_packs_components_share_a_coupon_on_the_products_it_names(prog):
    pack = Pack.objects.create(name="中秋礼包", slug="mid-autumn", price=5000, is_published=True)
    PackItem.objects.create(pack=pack, variant=prog.oil, quantity=1, sort_order=1)
    PackItem.objects.create(pack=pack, variant=prog.orange, quantity=1, sort_order=2)
    make_coupon(discount_kind="percent", amount=0, percent=10, products=[prog.orange.product])
    user, customer = shopper()
    cart = cart_with((prog.cabbage, 1))
    add_pack_to_cart(cart, pack.pk, 2)
    with_code(cart, "SPRING20", customer)

    order = buy(cart, user, customer)

    # The pack's 50.00 splits 38:25 → 30.16 + 19.84; the two oranges' 39.68 get 10% off: 3.96 (rounded down).
    oranges = order.lines.get(variant=prog.orange)
    assert (oranges.line_total, oranges.discount, order.discount) == (3968, 396, 396)
    assert order.total == 10000 + 1290 - 396  # goods after the discount 108.94: delivery free
    assert sum(order.lines.values_list("discount", flat=True)) == 396


def test_each_producers_statement_shows_what_was_paid_for_its_goods(prog):
    certify(prog.oil_coop, prog.veg_farm)
    make_coupon(discount_kind="percent", amount=0, percent=17, eligibility=Coupon.Eligibility.CERTIFIED)
    user, customer = shopper()
    cart = with_code(cart_with((prog.oil, 2), (prog.orange, 1), (prog.cabbage, 1)), "SPRING20", customer)
    order = pay(buy(cart, user, customer))

    assert order.discount == 1511  # on the certified oil and cabbage only (orange's orchard has no certificate)
    today = timezone.localdate()
    gross = {m.name: statement(m, today, today, fee_basis_points=0).gross for m in (prog.oil_coop, prog.brocade)}
    gross[prog.veg_farm.name] = statement(prog.veg_farm, today, today, fee_basis_points=0).gross
    assert gross == {prog.oil_coop.name: 7600 - 1292, prog.brocade.name: 2500, prog.veg_farm.name: 1290 - 219}
    assert sum(gross.values()) == order.total - order.shipping_fee
    assert reconcile().balanced


def test_each_merchants_wechat_profit_share_is_what_was_paid_for_its_goods(prog):
    from orders.payments.profit_sharing import merchant_parts

    make_coupon(amount=2000, products=[prog.oil.product, prog.orange.product])
    user, customer = shopper()
    cart = with_code(cart_with((prog.oil, 3), (prog.orange, 1), (prog.cabbage, 1)), "SPRING20", customer)
    order = pay(buy(cart, user, customer))

    # As in the split above: oil 11400 - 1640, orange 2500 - 360, cabbage 1290 (no platform fee is set here).
    parts = merchant_parts(order)
    assert parts == {prog.oil_coop.pk: 9760, prog.brocade.pk: 2140, prog.veg_farm.pk: 1290}
    assert sum(parts.values()) == order.total - order.shipping_fee


def test_the_paid_order_email_shows_the_discount(prog, django_capture_on_commit_callbacks):
    make_coupon(amount=2000)
    user, customer = shopper()
    cart = with_code(cart_with((prog.oil, 3)), "SPRING20", customer)
    order = buy(cart, user, customer)

    with django_capture_on_commit_callbacks(execute=True):
        pay(order)

    consumer = next(m for m in mail.outbox if m.to == [order.contact_email])
    assert "-¥20.00 (SPRING20)" in consumer.body
    assert "¥106.00" in consumer.body  # 3 x 38.00 - 20.00 = 94.00 is below 99.00: 12.00 for delivery


def test_a_line_refunded_in_parts_gives_back_exactly_what_was_paid_and_the_ledger_balances(prog, operator):
    make_coupon(amount=2000, products=[prog.oil.product, prog.orange.product])
    user, customer = shopper()
    cart = with_code(cart_with((prog.oil, 3), (prog.orange, 1)), "SPRING20", customer)
    order = pay(buy(cart, user, customer))
    oil = order.lines.get(variant=prog.oil)
    assert oil.paid_total == 11400 - 1640 == 9760

    first = refund_order(order, actor=operator, reason="破损", lines={oil.pk: 1})
    second = refund_order(order, actor=operator, reason="破损", lines={oil.pk: 1})
    assert (first.amount, second.amount) == (3253, 3253)
    assert reconcile().balanced
    last = refund_order(order, actor=operator, reason="取消")  # the rest: the last oil, the orange and nothing else
    assert last.amount == order.total - 3253 - 3253
    debits = AidLedgerEntry.objects.filter(order_line=oil, kind="order_refund").order_by("pk")
    assert list(debits.values_list("amount", flat=True)) == [-3253, -3253, -3254]
    assert sum(AidLedgerEntry.objects.filter(order=order).values_list("amount", flat=True)) == 0
    assert reconcile().balanced


# --- codes that cannot be used -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_active": False}, "no longer valid"),
        ({"valid_until_days": -1}, "has expired"),
        ({"valid_from_days": 2}, "not valid yet"),
        ({"min_spend": 50000}, "needs at least ¥500.00"),
    ],
)
def test_a_code_that_stopped_working_refuses_checkout_and_changes_nothing(prog, change, message):
    coupon = make_coupon()
    user, customer = shopper()
    cart = with_code(cart_with((prog.oil, 1)), "SPRING20", customer)
    shown = cart_summary(cart).fingerprint
    now = timezone.now()
    if "valid_until_days" in change:
        coupon.valid_from, coupon.valid_until = (
            now - timedelta(days=5),
            now + timedelta(days=change.pop("valid_until_days")),
        )
    if "valid_from_days" in change:
        coupon.valid_from = now + timedelta(days=change.pop("valid_from_days"))
        coupon.valid_until = now + timedelta(days=9)
    for name, value in change.items():
        setattr(coupon, name, value)
    coupon.save()
    before = stock_snapshot()

    with pytest.raises(CouponRefused, match=message):
        buy(cart, user, customer, fingerprint=shown)

    assert cart_summary(cart).coupon.problem
    assert (Order.objects.count(), CouponRedemption.objects.count(), stock_snapshot()) == (0, 0, before)


def test_unknown_codes_and_guests_are_refused_when_typed(prog):
    make_coupon()
    _user, customer = shopper()
    cart = cart_with((prog.oil, 1))
    with pytest.raises(CouponError, match="does not exist"):
        with_code(cart, "NOPE", customer)
    with pytest.raises(CouponError, match="Sign in with your mobile number"):
        with_code(cart, "SPRING20", None)
    with pytest.raises(CouponError, match="Sign in with your mobile number"):
        with_code(cart, "SPRING20", CouponCustomer(user_id=1, phone=""))  # an account without a verified mobile
    cart.refresh_from_db()
    assert cart.coupon_code is None


def test_a_form_shown_before_the_code_was_applied_is_refused(prog):
    make_coupon()
    user, customer = shopper()
    cart = cart_with((prog.oil, 3))
    shown = cart_summary(cart).fingerprint
    with_code(cart, "SPRING20", customer)
    with pytest.raises(CartChanged):
        buy(cart, user, customer, fingerprint=shown)
    assert not Order.objects.exists()


# --- limits ---------------------------------------------------------------------------------------------


def test_the_total_limit_counts_every_customer(prog):
    make_coupon(total_limit=2)
    for _ in range(2):
        user, customer = shopper()
        buy(with_code(cart_with((prog.oil, 1)), "SPRING20", customer), user, customer)
    user, customer = shopper()
    with pytest.raises(CouponError, match="used up"):
        with_code(cart_with((prog.oil, 1)), "SPRING20", customer)


def test_the_per_customer_limit_follows_the_account_and_the_verified_mobile_not_the_email(prog):
    make_coupon(per_customer_limit=1)
    user, customer = shopper("13900000001")
    buy(with_code(cart_with((prog.oil, 1)), "SPRING20", customer), user, customer)

    # The same account with a new e-mail address and a new verified mobile: still its one use.
    user.email = "new@example.com"
    user.save()
    moved = CouponCustomer(user_id=user.pk, phone="13900000002")
    with pytest.raises(CouponError, match="as many times as it allows"):
        with_code(cart_with((prog.oil, 1)), "SPRING20", moved)
    # Another account that has since verified the first number: the number's use counts.
    other = factories.make_user()
    with pytest.raises(CouponError, match="as many times as it allows"):
        with_code(cart_with((prog.oil, 1)), "SPRING20", CouponCustomer(user_id=other.pk, phone="13900000001"))
    # A code kept on a cart before the limit was reached is refused when the order is placed.
    cart = cart_with((prog.oil, 1))
    cart.coupon_code = "SPRING20"
    cart.save()
    with pytest.raises(CouponRefused, match="as many times as it allows"):
        buy(cart, user, moved)
    assert Order.objects.count() == 1


def test_a_single_use_code_is_used_once_and_freed_when_its_order_is_cancelled_or_expires(prog, operator):
    coupon = make_coupon(kind=Coupon.Kind.SINGLE_USE, amount=500)
    code = generate_codes(coupon, 3)[0].code
    assert len(set(coupon.codes.values_list("code", flat=True))) == 3
    first_user, first = shopper()
    order = buy(with_code(cart_with((prog.oil, 1)), code, first), first_user, first)
    user, customer = shopper()
    with pytest.raises(CouponError, match="already been used"):
        with_code(cart_with((prog.oil, 1)), code.lower(), customer)

    cancel_order(order, actor=operator, reason="不要了")
    assert not CouponRedemption.objects.exists()
    order.refresh_from_db()
    assert (order.status, order.coupon_code, order.discount) == ("cancelled", code, 500)  # as it was placed

    second = buy(with_code(cart_with((prog.oil, 1)), code, customer), user, customer)
    assert second.discount == 500
    expire_overdue_orders(now=second.expires_at + timedelta(seconds=1))
    assert not CouponRedemption.objects.exists()
    third_user, third = shopper()
    assert buy(with_code(cart_with((prog.oil, 1)), code, third), third_user, third).discount == 500


# --- races on PostgreSQL ---------------------------------------------------------------------------------


def _racers(prog, code: str, count: int):
    carts = []
    for _ in range(count):
        user, customer = shopper()
        cart = with_code(cart_with((prog.oil, 1)), code, customer)
        carts.append((cart, user, customer, cart_summary(cart).fingerprint))
    return [lambda c=c, u=u, k=k, f=f: buy(c, u, k, fingerprint=f) for c, u, k, f in carts]


@pytest.mark.django_db(transaction=True)
def test_a_single_use_code_redeemed_by_twenty_buyers_at_once_gives_one_order():
    prog = programme()
    coupon = make_coupon(kind=Coupon.Kind.SINGLE_USE, amount=500)
    code = generate_codes(coupon, 1)[0].code

    results = run_together(*_racers(prog, code, 20))

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CouponRefused)]
    assert (len(orders), len(refused)) == (1, 19), [r for r in results if not isinstance(r, Order | CouponRefused)]
    assert all("already been used" in str(exc) for exc in refused)
    assert Order.objects.count() == 1 and Order.objects.get().discount == 500
    assert CouponRedemption.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_shared_code_limited_to_five_and_twelve_buyers_at_once_gives_five_orders():
    prog = programme()
    make_coupon(total_limit=5, amount=300)

    results = run_together(*_racers(prog, "SPRING20", 12))

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CouponRefused)]
    assert (len(orders), len(refused)) == (5, 7), [r for r in results if not isinstance(r, Order | CouponRefused)]
    assert all("used up" in str(exc) for exc in refused)
    assert sorted(Order.objects.values_list("discount", flat=True)) == [300] * 5
    assert CouponRedemption.objects.count() == 5
