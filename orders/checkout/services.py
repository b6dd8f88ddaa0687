"""Placing an order: the cart becomes an order awaiting payment, its units reserved, in one transaction.

Lock order, everywhere: cart row, then coupon row (a cart with a coupon code, ``orders.coupons.services``), then
order row, then ``Stock`` rows by primary key (through ``catalog.services``). Nothing locks them the other way
round, so checkouts cannot deadlock.

A cart with a coupon code: the code is checked as the cart is read (``CouponRefused``, a ``CartChanged``, for a code
that cannot be used), then its coupon row is locked and its redemptions counted under the lock, the discount is
split over the eligible lines (``OrderLine.discount``), the shipping fee counts the goods after it, and the
redemption is written with the order, before any stock row is locked.

A cart with a consumption voucher (``orders.vouchers``, ``orders.checkout.vouchers``): after the coupon's lock and
before the stock rows', the voucher's discount (on its eligible goods after the coupon's share) is taken from its
batch's budget with one conditional update and the voucher is marked used by the order; a budget used up or a
voucher used meanwhile refuses the order (``VoucherRefused``) and nothing is written. ``OrderLine.discount`` holds
both discounts, ``OrderLine.voucher_discount`` the voucher's part of it.

The stock rows are locked last and for as short a time as possible, since in a rush every buyer of a
product waits for the same row: the cart is read and checked, the units are planned from the stock as
last committed, and the order, its fulfilments and lines are written, all before any stock row is
locked. Then the plan's rows are read once more without locks, and only then locked (by primary key,
through ``catalog.services.apply_stock_changes``), checked under the lock and the units reserved with
their ledger entries, just before the commit. A cart that the unlocked reads show sold out is refused
without queueing for the lock; rows that ran short under the lock are planned again, all of them
locked, or the line is sold out (``orders.checkout.allocation``).

Errors raised here carry a translated message meant for the customer.
"""

import re
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.models import Site

from catalog.models import Location, StockMovement
from catalog.services import InsufficientStock, StockChange, apply_stock_changes
from core.scopes import User
from core.text import site_text
from core.users import acting_user
from orders.checkout.allocation import (
    Allocation,
    PlanChanged,
    plan_allocation,
    provisional_allocation,
    replan_allocation,
    still_holds,
)
from orders.checkout.coupons import CouponRefused, Redeeming, check_locked, redeem
from orders.checkout.details import Contact, Delivery, Invoice, validate_checkout
from orders.checkout.errors import CartChanged, CheckoutError, SoldOut
from orders.checkout.selectors import CartSummary, cart_summary, pickup_counters
from orders.checkout.vouchers import check as check_voucher
from orders.checkout.vouchers import redeem as redeem_voucher
from orders.coupons.selectors import CouponCustomer, customer_problem, discount_for, split_discount
from orders.events import record_order_event
from orders.fulfilment.pickups import open_pickups
from orders.models import Cart, DeliveryMethod, Fulfilment, Order, OrderEvent, OrderLine, OrderStatus
from orders.numbers import order_number
from orders.vouchers.selectors import split_voucher, voucher_discount_for

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

# The ledger reason is written in the site's language, whoever places the order.
REASON_RESERVED = gettext_lazy("Reserved for order")


def _clean_checkout_token(token: object) -> str:
    token = token.strip() if isinstance(token, str) else ""
    if not TOKEN_RE.fullmatch(token):
        raise CheckoutError(_("This checkout form is out of date. Please check your order and place it again."))
    return token


def new_checkout_token() -> str:
    """A fresh token for a checkout form; placing twice with the same token gives one order."""
    return secrets.token_urlsafe(24)


def _refuse_changed_cart(summary: CartSummary, expected_fingerprint: str) -> None:
    """Refuse a cart with a line no longer sold or short of stock, or that changed since the customer saw it.

    Availability is as last committed, read without locks: a cart already sold out waits for no stock row.
    """
    for pack in summary.packs:
        if not pack.sellable:
            raise CartChanged(
                _("%(name)s is no longer available. Please remove it from your cart.") % {"name": pack.name},
                summary=summary,
            )
    for item in summary.stock_items:
        if not item.sellable:
            raise CartChanged(
                _("%(name)s is no longer available. Please remove it from your cart.") % {"name": item.name},
                summary=summary,
            )
    for item in summary.stock_items:
        if not item.in_stock and item.pack is not None:
            raise SoldOut(
                _("Sorry, the gift pack %(pack)s is sold out: not enough %(name)s is left. Please check your cart.")
                % {"pack": item.pack.name, "name": item.name},
                summary=summary,
            )
        if not item.in_stock:
            raise SoldOut(
                _("Sorry, %(name)s is sold out or not enough is left (%(available)d). Please check your cart.")
                % {"name": item.name, "available": item.available},
                summary=summary,
            )
    if summary.fingerprint != expected_fingerprint:
        raise CartChanged(
            _("Prices or shipping have changed since you saw your cart. Please check your order and place it again."),
            summary=summary,
        )


def _existing_checkout(token: str, cart: Cart) -> Order | None:
    """The order this checkout token already placed (None for a new one, as almost always: asked with a plain
    query, the order loaded only when there is one); a token used for another cart is refused."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, cart_id FROM {Order._meta.db_table} WHERE checkout_token = %s", [token])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        return None
    if row[1] != cart.pk:
        raise CheckoutError(_("This checkout form has already been used. Please start checkout again."))
    return Order.objects.get(pk=row[0])


def place_order(
    *,
    cart: Cart,
    contact: Contact,
    delivery: Delivery,
    invoice: Invoice | None = None,
    note: str = "",
    checkout_token: str,
    expected_fingerprint: str,
    user: User | None = None,
    language: str | None = None,
    site: Site | None = None,
    customer: CouponCustomer | None = None,
) -> Order:
    """Turn the cart into an order awaiting payment, in one transaction.

    Validates the form data (``CheckoutError`` with field errors), refuses a cart that changed since
    the customer saw it (``CartChanged``, ``SoldOut`` when stock ran out), locks the stock rows by
    primary key and reserves the units (``allocated``, ledger kind ALLOCATE), creates the order with
    line snapshots and per-merchant, per-location fulfilments, and empties the cart. Submitting again
    with the same ``checkout_token`` returns the first order. The cart's coupon code is redeemed for ``customer``
    (the signed-in shopper with a verified mobile) or the order refused (``CouponRefused``); see the module.
    """
    fields, pickup_location = validate_checkout(contact, delivery, invoice, note)
    token = _clean_checkout_token(checkout_token)
    attempt = {
        "cart": cart,
        "fields": fields,
        "pickup_location": pickup_location,
        "token": token,
        "expected_fingerprint": expected_fingerprint,
        "user": acting_user(user),
        "language": language if language is not None else translation.get_language() or "",
        "site": site,
        "customer": customer,
    }
    try:
        try:
            return _place(**attempt, lock_first=False)
        except PlanChanged:
            # The rows planned from ran short while another could still serve: again, every candidate locked.
            return _place(**attempt, lock_first=True)
    except IntegrityError:
        # A concurrent submit with the same token won the race; its order is the answer.
        existing = _existing_checkout(token, cart)
        if existing is None:
            raise
        return existing


def _place(*, cart: Cart, token: str, lock_first: bool, **details) -> Order:
    """One transaction: lock the cart row, answer a token already used, or place the cart."""
    with transaction.atomic():
        locked = Cart.objects.select_for_update().filter(pk=cart.pk).values_list("coupon_code", "voucher_id")
        if not locked:
            existing = _existing_checkout(token, cart)
            if existing is not None:
                return existing
            raise CheckoutError(_("Your cart is empty."))
        cart.coupon_code, cart.voucher_id = locked[0]  # as committed: the code and voucher the shopper last chose
        existing = _existing_checkout(token, cart)
        if existing is not None:
            return existing
        return _place_locked_cart(cart=cart, token=token, lock_first=lock_first, **details)


def _place_locked_cart(
    *,
    cart: Cart,
    fields: dict[str, object],
    pickup_location: Location | None,
    token: str,
    expected_fingerprint: str,
    user: AbstractBaseUser | None,
    language: str,
    site: Site | None,
    lock_first: bool,
    customer: CouponCustomer | None,
) -> Order:
    """Check the cart, write the order, then lock the stock rows and reserve the units (see the module).

    With ``lock_first`` every stock row that could serve the cart is locked before the plan is chosen
    (the fallback when the plan read without locks no longer holds under the lock but another does).
    """
    summary = cart_summary(cart, site=site)
    if summary.is_empty:
        raise CheckoutError(_("Your cart is empty."))
    if summary.coupon is not None:
        problem = customer_problem(customer) or summary.coupon.problem
        if problem:
            raise CouponRefused(problem, summary=summary)
    if summary.voucher is not None:
        check_voucher(summary.voucher, customer, summary=summary)
    _refuse_changed_cart(summary, expected_fingerprint)
    if pickup_location is not None and not pickup_counters(summary.quantities).filter(pk=pickup_location.pk).exists():
        raise CheckoutError(
            {"pickup_location": [_("This counter does not hold enough stock for your order. Choose another.")]}
        )
    # The coupon row is locked after the cart row and before the order and stock rows (see the module).
    redeeming = check_locked(summary.coupon, customer, summary=summary) if summary.coupon is not None else None
    if lock_first:
        plan = plan_allocation(summary, pickup_location)
        order = _write_order(cart, summary, plan, fields, pickup_location, token, user, language, redeeming)
        _reserve(plan, order, user)
        return order
    plan = provisional_allocation(summary, pickup_location)
    order = _write_order(cart, summary, plan, fields, pickup_location, token, user, language, redeeming)
    if not still_holds(plan):
        replan_allocation(summary, pickup_location, locked=False)
    try:
        # The stock rows are locked from here to the commit: only the reservation and its ledger entries follow.
        _reserve(plan, order, user)
    except InsufficientStock:
        # Taken by another buyer since the plan was read (the reservation's savepoint is rolled back).
        replan_allocation(summary, pickup_location, locked=True)
    return order


def _reserve(plan: list[Allocation], order: Order, user: AbstractBaseUser | None) -> None:
    """Lock the plan's stock rows by pk, check they hold enough, reserve the units with a ledger entry each."""
    apply_stock_changes(
        [StockChange(item.variant, location, 0, quantity) for item, location, quantity in plan],
        kind=StockMovement.Kind.ALLOCATE,
        actor=user,
        reason=site_text(REASON_RESERVED),
        reference=order.number,
    )


def _write_order(
    cart: Cart,
    summary: CartSummary,
    plan: list[Allocation],
    fields: dict[str, object],
    pickup_location: Location | None,
    token: str,
    user: AbstractBaseUser | None,
    language: str,
    redeeming: Redeeming | None = None,
) -> Order:
    """The order with its number, per-merchant, per-location fulfilments (a pickup order's parts at a counter
    share one pickup and its code), line snapshots with their share of the coupon's discount, the redemption and
    "placed" event; the cart emptied. Touches no stock row."""
    method = fields["delivery_method"]
    subtotal = sum(item.unit_price * quantity for item, _loc, quantity in plan)
    discount, discounts = 0, [0] * len(plan)
    if redeeming is not None:
        eligible = summary.coupon.eligible_products
        weights = [(item.product.pk in eligible, item.unit_price * quantity) for item, _loc, quantity in plan]
        discount = discount_for(redeeming.code.coupon, sum(total for ok, total in weights if ok))
        discounts = split_discount(discount, weights)
    coupon_discount, voucher_discount, voucher_discounts = discount, 0, [0] * len(plan)
    if summary.voucher is not None:
        # After the coupon, on the voucher's eligible goods: what the coupon left of each line.
        eligible = summary.voucher.eligible_products
        lefts = [
            (item.product.pk in eligible, item.unit_price * quantity - share)
            for (item, _loc, quantity), share in zip(plan, discounts, strict=True)
        ]
        voucher_discount = voucher_discount_for(summary.voucher.batch, sum(left for ok, left in lefts if ok))
        voucher_discounts = split_voucher(voucher_discount, lefts)
        discount += voucher_discount
        discounts = [a + b for a, b in zip(discounts, voucher_discounts, strict=True)]
    shipping_fee = summary.rule.fee_for(subtotal, method, discount=discount)
    now = timezone.now()
    order = Order.objects.create(
        number=f"NEW-{uuid.uuid4().hex}",
        token=secrets.token_urlsafe(24),
        checkout_token=token,
        user=user,
        cart=cart,
        pickup_location=pickup_location,
        subtotal=subtotal,
        discount=discount,
        coupon_code=redeeming.code.code if redeeming is not None else "",
        coupon_sponsor=redeeming.code.coupon.sponsor if redeeming is not None else "",
        voucher_discount=voucher_discount,
        voucher_sponsor=summary.voucher.batch.sponsor if voucher_discount else "",
        shipping_fee=shipping_fee,
        total=subtotal - discount + shipping_fee,
        language=language[:16],
        expires_at=now + timedelta(minutes=settings.ORDER_RESERVATION_MINUTES),
        created_at=now,
        **fields,
    )
    order.number = order_number(order)
    order.save(update_fields=["number"])

    pickups = open_pickups(order, [location for _item, location, _q in plan]) if method == DeliveryMethod.PICKUP else {}
    fulfilments: dict[tuple[int, int], Fulfilment] = {}
    lines = []
    for (item, location, quantity), line_discount, line_voucher in zip(plan, discounts, voucher_discounts, strict=True):
        key = (item.merchant.pk, location.pk)
        if key not in fulfilments:
            fulfilments[key] = Fulfilment.objects.create(
                order=order, merchant=item.merchant, location=location, method=method, pickup=pickups.get(location.pk)
            )
        lines.append(
            OrderLine(
                order=order,
                fulfilment=fulfilments[key],
                variant=item.variant,
                merchant=item.merchant,
                location=location,
                product_name=item.product.name,
                variant_name=item.variant.name,
                sku=item.variant.sku,
                merchant_name=item.merchant.name,
                location_name=location.name,
                unit_price=item.unit_price,
                quantity=quantity,
                line_total=item.unit_price * quantity,
                pack=item.pack,
                pack_name=item.pack.name if item.pack is not None else "",
                pack_quantity=item.pack_line.quantity if item.pack_line is not None else None,
                discount=line_discount,
                voucher_discount=line_voucher,
            )
        )
    OrderLine.objects.bulk_create(lines)
    if redeeming is not None:
        redeem(redeeming, order, amount=coupon_discount)
        Cart.objects.filter(pk=cart.pk).update(coupon_code=None)
        cart.coupon_code = None
    if voucher_discount:
        redeem_voucher(summary.voucher, order, voucher_discount)
        Cart.objects.filter(pk=cart.pk).update(voucher=None)
        cart.voucher_id = None
    record_order_event(order.pk, OrderEvent.Kind.PLACED, actor=user, to_status=OrderStatus.PENDING_PAYMENT)
    cart.lines.all().delete()
    if summary.packs:
        cart.pack_lines.all().delete()
    return order
