"""Coupon writes: a code kept on a cart, redeemed by ``place_order``, freed when an unpaid order ends; batches.

Rules:
- A shopper types a code on the cart or checkout page; it is kept on the cart (``Cart.coupon_code``) only when it is
  usable on that cart for that shopper now (``apply_code``), and checked again every time the cart is priced
  (``orders.checkout.selectors.cart_summary``) and when the order is placed.
- Who counts: a coupon needs a signed-in shopper with a verified mobile number (``selectors.customer_problem``).
  Guests are asked to sign in with their mobile number: signing in by SMS code verifies it and is open to anyone,
  so nothing is keyed on a typed contact number or e-mail, and changing either never resets a limit. A redemption
  records the account (``customer_key`` "user:<id>") and the verified number (``phone``); the per-customer limit
  counts the redemptions of either, so neither a second account for the same number nor a new number on the
  same account gets around it.
- Redeeming (``orders.checkout.coupons``) runs inside ``place_order``'s transaction. Lock order there: cart row,
  coupon row, order row, stock rows. The coupon row is locked (``select_for_update``) before anything is counted,
  so redemptions of one coupon are counted one checkout at a time (each count reads what the previous holder
  committed); a single-use code's unique redemption is the second guard. A refused code raises ``CouponRefused``
  (a ``CartChanged``: the page shows the cart again with the reason) and the transaction writes nothing.
- An order that is cancelled or expires unpaid frees its code: its redemption is deleted (``release``, under the
  order's lock, with a note in the order's history); the order keeps the code and the discount it was placed with.
  Freeing takes no coupon lock: a checkout counting meanwhile sees the redemption or not, at worst refusing once.
"""

import secrets

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.scopes import User
from core.text import site_text
from orders.coupons.selectors import (
    CouponCustomer,
    CouponQuote,
    customer_problem,
    normalize_code,
    usage_problem,
)
from orders.events import record_order_event
from orders.models import Cart, Coupon, CouponCode, CouponRedemption, Order, OrderEvent
from orders.state import OrderError

# Codes are read aloud and typed on phones: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 10
MAX_BATCH = 10_000

NOTE_RELEASED = gettext_lazy("Coupon code %(code)s freed: the order was not paid.")


class CouponError(OrderError):
    """A code typed by a shopper, or a batch asked by an operator, refused; the message says why."""


def apply_code(cart: Cart, text: str, *, customer: CouponCustomer | None, quote: CouponQuote) -> str:
    """Keep the code on the cart if ``quote`` (the code read against this cart) is usable by ``customer``.

    Returns the normalised code; raises ``CouponError`` with the reason otherwise (the cart keeps its old code).
    """
    problem = customer_problem(customer) or quote.problem
    if not problem and quote.code is not None:
        problem = usage_problem(quote.code, customer)
    if problem:
        raise CouponError(problem)
    Cart.objects.filter(pk=cart.pk).update(coupon_code=quote.code.code)
    cart.coupon_code = quote.code.code
    return quote.code.code


def remove_code(cart: Cart) -> None:
    Cart.objects.filter(pk=cart.pk).update(coupon_code=None)
    cart.coupon_code = None


def release(order: Order, *, actor: User | None = None) -> bool:
    """Free the code of an order that ends unpaid (call under the order's lock); True if one was freed."""
    deleted, _rows = CouponRedemption.objects.filter(order_id=order.pk).delete()
    if deleted:
        record_order_event(
            order.pk, OrderEvent.Kind.NOTE, actor=actor, note=site_text(NOTE_RELEASED, code=order.coupon_code)
        )
    return bool(deleted)


def create_code(coupon: Coupon, text: str) -> CouponCode:
    """The one code of a shared coupon (an operator's choice of letters and digits, 4 to 32)."""
    code = normalize_code(text)
    if coupon.kind != Coupon.Kind.SHARED:
        raise CouponError(_("Only a shared coupon has a code of your choice; generate codes for single-use coupons."))
    if coupon.codes.exists():
        raise CouponError(_("This coupon already has its code."))
    if not (4 <= len(code) <= 32 and code.isascii() and code.isalnum()):
        raise CouponError(_("A code is 4 to 32 letters and digits."))
    if CouponCode.objects.filter(code=code).exists():
        raise CouponError(_("This code is already taken."))
    return CouponCode.objects.create(coupon=coupon, code=code)


def generate_codes(coupon: Coupon, count: int) -> list[CouponCode]:
    """``count`` new random codes for a single-use coupon (``CODE_LENGTH`` characters of ``CODE_ALPHABET``)."""
    if coupon.kind != Coupon.Kind.SINGLE_USE:
        raise CouponError(_("Codes are generated for single-use coupons only."))
    if not 1 <= count <= MAX_BATCH:
        raise CouponError(_("Generate between 1 and %(max)d codes at a time.") % {"max": MAX_BATCH})
    made: list[CouponCode] = []
    while len(made) < count:
        wanted = count - len(made)
        candidates = {"".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH)) for _j in range(wanted)}
        taken = set(CouponCode.objects.filter(code__in=candidates).values_list("code", flat=True))
        made += CouponCode.objects.bulk_create(
            [CouponCode(coupon=coupon, code=code) for code in sorted(candidates - taken)]
        )
    return made
