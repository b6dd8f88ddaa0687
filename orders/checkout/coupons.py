"""Redeeming the cart's coupon code inside ``place_order``'s transaction (rules: ``orders.coupons.services``).

Lock order: cart row, coupon row, order row, stock rows. The coupon row is locked (``select_for_update``) before its
redemptions are counted, so checkouts with codes of one coupon count one at a time, each reading what the one
before committed; a single-use code's unique redemption is the second guard.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from orders.checkout.errors import CartChanged
from orders.coupons.selectors import CouponCustomer, CouponQuote, customer_problem, usage_problem, validity_problem
from orders.models import Coupon, CouponCode, CouponRedemption, Order


class CouponRefused(CartChanged):
    """The cart's coupon code cannot be used (unknown, expired, used up...): show the cart again with why."""


@dataclass(frozen=True)
class Redeeming:
    """A code checked under its coupon's lock in ``place_order``'s transaction, to be written with the order."""

    code: CouponCode
    customer: CouponCustomer


def check_locked(quote: CouponQuote, customer: CouponCustomer | None, *, summary: object = None) -> Redeeming:
    """Lock the coupon row, then refuse (``CouponRefused``) a code the cart or the customer cannot use now."""
    problem = customer_problem(customer) or quote.problem
    if problem:
        raise CouponRefused(problem, summary=summary)
    coupon = Coupon.objects.select_for_update().get(pk=quote.code.coupon_id)
    code = quote.code
    code.coupon = coupon  # as locked: the latest limits and dates
    problem = validity_problem(coupon) or usage_problem(code, customer)
    if problem:
        raise CouponRefused(problem, summary=summary)
    return Redeeming(code=code, customer=customer)


def redeem(redeeming: Redeeming, order: Order, *, amount: int) -> CouponRedemption:
    """Record the redemption of the locked, checked code by ``order`` for the coupon's part of its discount
    (``amount``: ``order.discount`` less a voucher's part)."""
    code = redeeming.code
    try:
        with transaction.atomic():
            return CouponRedemption.objects.create(
                code=code,
                coupon=code.coupon,
                order=order,
                single_use=code.coupon.kind == Coupon.Kind.SINGLE_USE,
                customer_key=redeeming.customer.key,
                phone=redeeming.customer.phone,
                amount=amount,
            )
    except IntegrityError as exc:  # the second guard: a single-use code redeemed meanwhile
        raise CouponRefused(_("This coupon code has already been used.")) from exc
