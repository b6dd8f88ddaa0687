"""Redeeming the cart's consumption voucher inside ``place_order``'s transaction (rules: ``orders.vouchers``).

After the coupon row's lock and before the stock rows': the budget is taken with one conditional update and the
voucher marked used by the order with another; either failing raises ``VoucherRefused`` and the transaction writes
nothing (no order, no stock change).
"""

from django.utils.translation import gettext as _

from orders.checkout.errors import CartChanged
from orders.coupons.selectors import CouponCustomer
from orders.models import Order
from orders.vouchers.selectors import BUDGET_USED_UP, VoucherQuote, customer_problem
from orders.vouchers.services import mark_used, take_budget


class VoucherRefused(CartChanged):
    """The cart's voucher cannot be used (used, expired, not the shopper's, budget used up): show the cart again."""


def check(quote: VoucherQuote, customer: CouponCustomer | None, *, summary: object = None) -> None:
    """Refuse a voucher the customer cannot use on this cart now (read before anything is written)."""
    problem = customer_problem(customer) or quote.problem
    if not problem and quote.voucher.user_id != customer.user_id:
        problem = _("This consumption voucher is not yours.")
    if problem:
        raise VoucherRefused(problem, summary=summary)


def redeem(quote: VoucherQuote, order: Order, amount: int) -> None:
    """Take ``amount`` from the batch's budget and mark the voucher used by ``order``, or ``VoucherRefused``."""
    if not take_budget(quote.voucher.batch_id, amount):
        raise VoucherRefused(str(BUDGET_USED_UP))
    if not mark_used(quote.voucher, amount, order=order):
        raise VoucherRefused(_("This consumption voucher has already been used."))
