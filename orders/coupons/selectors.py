"""What a coupon code is worth on a cart or an order, by the rules below (reads only; redeeming is in ``services``).

Rules:
- Codes are compared normalised (``normalize_code``): full-width characters folded, spaces and hyphens dropped,
  upper-case. A code is usable while its coupon is active and ``valid_from <= now < valid_until``.
- Eligible goods: every line, or only lines of products with a valid aid certificate today (the rule the aid
  ledger uses, ``catalog.certificates.certificates_by_product``), or only the coupon's chosen products. A gift
  pack's components count one by one, each at its share of the pack price.
- The discount: a fixed amount is capped at the eligible goods; a percentage (whole percent) of the eligible goods
  is rounded down to the fen. Nothing when the eligible goods are below ``min_spend`` (or there are none).
- The discount is split over the eligible lines in proportion to their line totals by largest remainder
  (``core.money.split_by_weight``), so the lines' discounts sum exactly to it and each merchant's statement shows
  what its buyers paid for its goods.
- The free-shipping threshold compares the goods after the discount (``orders.checkout.shipping``).
- Limits (total, per customer, a single-use code used once) are counted by ``services.redeem`` under the coupon's
  row lock; ``usage_problem`` reads them without a lock, for the early answer to a shopper typing a code.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.certificates import certificates_by_product
from catalog.models import Product
from core.money import format_fen, split_by_weight
from orders.models import Coupon, CouponCode, CouponRedemption


@dataclass(frozen=True)
class CouponCustomer:
    """Whom a redemption counts against: the signed-in account and its verified mobile number ("" if none).

    A coupon needs both (``services.customer_problem``): an e-mail address can be changed at will, an account with
    a verified mobile cannot be made again for the same number, and a number verified elsewhere still counts.
    """

    user_id: int
    phone: str = ""

    @property
    def key(self) -> str:
        return f"user:{self.user_id}"


@dataclass(frozen=True)
class CouponQuote:
    """A code read against some goods: ``discount`` (fen) or the ``problem`` that makes it unusable ("")."""

    text: str
    code: CouponCode | None = None
    eligible_subtotal: int = 0
    discount: int = 0
    problem: str = ""
    eligible_products: frozenset[int] = field(default_factory=frozenset)

    @property
    def coupon(self) -> Coupon | None:
        return self.code.coupon if self.code is not None else None

    @property
    def usable(self) -> bool:
        return self.code is not None and not self.problem


def normalize_code(text: object) -> str:
    """``" ab-12 cd "`` → ``"AB12CD"`` (full-width folded, spaces and hyphens dropped, upper-case)."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").upper()[:32]


def find_code(text: str) -> CouponCode | None:
    code = normalize_code(text)
    if not code:
        return None
    return CouponCode.objects.select_related("coupon").filter(code=code).first()


def period_problem(campaign: object, now: datetime | None, *, inactive: str, not_yet: str, expired: str) -> str:
    """Which of the three messages applies to a campaign (a coupon, a voucher batch: ``is_active``, ``valid_from``,
    ``valid_until``) at ``now``, or "": usable while active and ``valid_from <= now < valid_until``."""
    now = now or timezone.now()
    if not campaign.is_active:
        return inactive
    if now < campaign.valid_from:
        return not_yet
    if now >= campaign.valid_until:
        return expired
    return ""


def validity_problem(coupon: Coupon, now: datetime | None = None) -> str:
    """Why the coupon cannot be used at ``now`` (inactive, not yet, expired), or ""."""
    return period_problem(
        coupon,
        now,
        inactive=_("This coupon code is no longer valid."),
        not_yet=_("This coupon code is not valid yet."),
        expired=_("This coupon code has expired."),
    )


def eligible_product_ids(coupon: Coupon, products: Iterable[Product], now: datetime | None = None) -> frozenset[int]:
    """Which of ``products`` the coupon applies to (one query for certified or chosen products, none for all)."""
    products = list(products)
    if coupon.eligibility == Coupon.Eligibility.ALL:
        return frozenset(product.pk for product in products)
    if coupon.eligibility == Coupon.Eligibility.CERTIFIED:
        found = certificates_by_product(products, timezone.localdate(now or timezone.now()))
        return frozenset(pk for pk, entry in found.items() if entry["aid"] is not None)
    chosen = set(coupon.products.filter(pk__in=[product.pk for product in products]).values_list("pk", flat=True))
    return frozenset(chosen)


def discount_for(coupon: Coupon, eligible_subtotal: int) -> int:
    """The discount on ``eligible_subtotal`` fen: fixed capped at it, percent rounded down; 0 below min spend."""
    if eligible_subtotal <= 0 or eligible_subtotal < coupon.min_spend:
        return 0
    if coupon.discount_kind == Coupon.DiscountKind.PERCENT:
        return eligible_subtotal * coupon.percent // 100
    return min(coupon.amount, eligible_subtotal)


def quote(text: str, goods: list[tuple[Product, int]], *, now: datetime | None = None) -> CouponQuote:
    """The code ``text`` read against ``goods`` (product, line total in fen): its discount or its problem."""
    normalised = normalize_code(text)
    code = find_code(normalised)
    if code is None:
        return CouponQuote(text=normalised, problem=_("This coupon code does not exist."))
    coupon = code.coupon
    problem = validity_problem(coupon, now)
    if problem:
        return CouponQuote(text=code.code, code=code, problem=problem)
    eligible = eligible_product_ids(coupon, {product.pk: product for product, _total in goods}.values(), now)
    eligible_subtotal = sum(total for product, total in goods if product.pk in eligible)
    if eligible_subtotal <= 0:
        return CouponQuote(
            text=code.code, code=code, problem=_("None of the items in your cart can use this coupon code.")
        )
    if eligible_subtotal < coupon.min_spend:
        return CouponQuote(
            text=code.code,
            code=code,
            eligible_subtotal=eligible_subtotal,
            eligible_products=eligible,
            problem=_("This coupon code needs at least %(amount)s of eligible goods.")
            % {"amount": format_fen(coupon.min_spend)},
        )
    return CouponQuote(
        text=code.code,
        code=code,
        eligible_subtotal=eligible_subtotal,
        discount=discount_for(coupon, eligible_subtotal),
        eligible_products=eligible,
    )


def split_discount(discount: int, lines: list[tuple[bool, int]]) -> list[int]:
    """``discount`` over ``lines`` (eligible, line total): eligible lines in proportion to their totals, by largest
    remainder (sums to ``discount``); 0 for the others."""
    weights = [total if eligible else 0 for eligible, total in lines]
    return split_by_weight(discount, weights)


def usage_problem(code: CouponCode, customer: CouponCustomer) -> str:
    """Why ``customer`` cannot redeem ``code`` now (used, used up, their own limit reached), or "".

    ``services.redeem`` asks the same under the coupon's row lock; here it is read without one.
    """
    coupon = code.coupon
    redemptions = CouponRedemption.objects.filter(coupon=coupon)
    if coupon.kind == Coupon.Kind.SINGLE_USE and redemptions.filter(code=code).exists():
        return _("This coupon code has already been used.")
    if coupon.total_limit and redemptions.count() >= coupon.total_limit:
        return _("This coupon has been used up.")
    if coupon.per_customer_limit:
        own = Q(customer_key=customer.key)
        if customer.phone:
            own |= Q(phone=customer.phone)
        if redemptions.filter(own).count() >= coupon.per_customer_limit:
            return _("You have already used this coupon as many times as it allows.")
    return ""


def customer_problem(customer: CouponCustomer | None) -> str:
    """A coupon needs a signed-in shopper with a verified mobile number (signing in by SMS code verifies it)."""
    if customer is None or not customer.phone:
        return _("Sign in with your mobile number to use a coupon code.")
    return ""
