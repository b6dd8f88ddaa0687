"""What a consumption voucher is worth on some goods, and which vouchers a shopper may claim or use (reads only).

Rules:
- A voucher is usable while it is unused and its batch is active and ``valid_from <= now < valid_until``.
- Eligible goods: as for coupons (``orders.coupons.selectors.eligible_product_ids``: all, certified aid products
  today, or the batch's chosen products), counted after a coupon's share (the coupon comes first).
- The discount is ``min(face_value, eligible goods after the coupon)``, nothing below ``min_spend`` (or with no
  eligible goods). It is split over the eligible lines in proportion to what is left of them after the coupon
  (``split_voucher``, ``core.money.split_by_weight``), so each producer's statement is right to the fen.
- The budget (``batch.budget - batch.spent``) is read here only for an early answer; ``services.take_budget`` takes it
  with one conditional update.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Product
from core.money import format_fen, split_by_weight
from orders.coupons.selectors import CouponCustomer, eligible_product_ids, normalize_code, period_problem
from orders.coupons.selectors import customer_problem as coupon_customer_problem
from orders.models import Voucher, VoucherBatch

BUDGET_USED_UP = gettext_lazy("This voucher batch's budget has been used up.")
SIGN_IN = gettext_lazy("Sign in with your mobile number to claim a consumption voucher.")


def customer_problem(customer: CouponCustomer | None) -> str:
    """Vouchers, like coupons, need a signed-in shopper with a verified mobile number; said for vouchers."""
    return str(SIGN_IN) if coupon_customer_problem(customer) else ""


@dataclass(frozen=True)
class VoucherQuote:
    """A voucher read against some goods: ``discount`` (fen) or the ``problem`` that makes it unusable ("")."""

    voucher: Voucher
    eligible_subtotal: int = 0
    discount: int = 0
    problem: str = ""
    eligible_products: frozenset[int] = field(default_factory=frozenset)

    @property
    def usable(self) -> bool:
        return not self.problem

    @property
    def batch(self) -> VoucherBatch:
        return self.voucher.batch


def batch_problem(batch: VoucherBatch, now: datetime | None = None) -> str:
    """Why the batch's vouchers cannot be claimed or used at ``now`` (inactive, not yet, expired), or ""."""
    return period_problem(
        batch,
        now,
        inactive=_("This consumption voucher is no longer valid."),
        not_yet=_("This consumption voucher is not valid yet."),
        expired=_("This consumption voucher has expired."),
    )


def voucher_problem(voucher: Voucher, now: datetime | None = None) -> str:
    """Why ``voucher`` cannot be used now (used, or its batch's dates), or ""."""
    if voucher.used_at is not None or voucher.order_id or voucher.counter_sale_id:
        return _("This consumption voucher has already been used.")
    return batch_problem(voucher.batch, now)


def voucher_discount_for(batch: VoucherBatch, eligible_after_coupon: int) -> int:
    """The voucher's discount on ``eligible_after_coupon`` fen: its face value capped at it; 0 below min spend."""
    if eligible_after_coupon <= 0 or eligible_after_coupon < batch.min_spend:
        return 0
    return min(batch.face_value, eligible_after_coupon)


def quote(
    voucher: Voucher, goods: list[tuple[Product, int]], *, now: datetime | None = None, own_problem: str = ""
) -> VoucherQuote:
    """``voucher`` read against ``goods`` (product, line total after the coupon's share, fen)."""
    problem = own_problem or voucher_problem(voucher, now)
    if problem:
        return VoucherQuote(voucher=voucher, problem=problem)
    batch = voucher.batch
    eligible = eligible_product_ids(batch, {product.pk: product for product, _total in goods}.values(), now)
    eligible_subtotal = sum(total for product, total in goods if product.pk in eligible)
    if eligible_subtotal <= 0:
        return VoucherQuote(
            voucher=voucher, problem=_("None of the items in your cart can use this consumption voucher.")
        )
    if eligible_subtotal < batch.min_spend:
        return VoucherQuote(
            voucher=voucher,
            eligible_subtotal=eligible_subtotal,
            eligible_products=eligible,
            problem=_("This consumption voucher needs at least %(amount)s of eligible goods.")
            % {"amount": format_fen(batch.min_spend)},
        )
    discount = voucher_discount_for(batch, eligible_subtotal)
    if discount > batch.budget - batch.spent:
        return VoucherQuote(voucher=voucher, eligible_subtotal=eligible_subtotal, problem=str(BUDGET_USED_UP))
    return VoucherQuote(
        voucher=voucher, eligible_subtotal=eligible_subtotal, discount=discount, eligible_products=eligible
    )


def split_voucher(discount: int, lines: list[tuple[bool, int]]) -> list[int]:
    """``discount`` over ``lines`` (eligible, line total after the coupon's share), eligible lines in proportion to
    what is left of them, by largest remainder (sums to ``discount``); 0 for the others."""
    return split_by_weight(discount, [left if eligible else 0 for eligible, left in lines])


def find_voucher(text: object) -> Voucher | None:
    """The voucher of a typed or scanned code (a link ending in the code is accepted), with its batch."""
    code = normalize_code(text)
    if "/" in str(text or ""):
        code = normalize_code(str(text).rstrip("/").rsplit("/", 1)[-1])
    if not code:
        return None
    return Voucher.objects.select_related("batch").filter(code=code).first()


def open_batches(now: datetime | None = None) -> QuerySet[VoucherBatch]:
    """Batches shoppers may claim from now: active, in their dates, claims left (budget is checked when used)."""
    now = now or timezone.now()
    return (
        VoucherBatch.objects.filter(is_active=True, valid_from__lte=now, valid_until__gt=now)
        .filter(Q(claim_limit=0) | Q(claimed__lt=F("claim_limit")))
        .order_by("valid_until", "pk")
    )


def claims_of(batch: VoucherBatch, customer: CouponCustomer) -> int:
    """How many vouchers of ``batch`` the customer claimed, by account or by verified mobile."""
    own = Q(user_id=customer.user_id)
    if customer.phone:
        own |= Q(phone=customer.phone)
    return batch.vouchers.filter(own).count()


def claim_problem(batch: VoucherBatch, customer: CouponCustomer, now: datetime | None = None) -> str:
    """Why ``customer`` cannot claim a voucher of ``batch`` now, or "" (read without a lock: the early answer)."""
    problem = batch_problem(batch, now)
    if problem:
        return problem
    if batch.claim_limit and batch.claimed >= batch.claim_limit:
        return _("All vouchers of this batch have been claimed.")
    if batch.per_person_limit and claims_of(batch, customer) >= batch.per_person_limit:
        return _("You have already claimed as many of these vouchers as allowed.")
    return ""


def my_vouchers(user_id: int) -> QuerySet[Voucher]:
    """A shopper's vouchers, newest first, with their batches."""
    return Voucher.objects.filter(user_id=user_id).select_related("batch").order_by("-claimed_at", "-pk")


def usable_vouchers(user_id: int, now: datetime | None = None) -> list[Voucher]:
    """A shopper's unused vouchers whose batch is valid now (the checkout page's choices)."""
    return [v for v in my_vouchers(user_id).filter(used_at__isnull=True) if not batch_problem(v.batch, now)]
