"""Consumption voucher writes: claiming, choosing one for a cart, taking and giving back budget, freeing.

Rules:
- Claiming needs a signed-in shopper with a verified mobile (the coupons' rule, ``orders.coupons.selectors.
  customer_problem``). The batch row is locked while the claim is counted, so ``per_person_limit`` (counted per
  verified mobile *and* per account) and ``claim_limit`` (the batch's ``claimed`` counter) hold under concurrent
  claims.
- The budget is taken with ONE conditional update, ``spent = spent + amount WHERE spent + amount <= budget``
  (``take_budget``): concurrent redemptions queue only on that row, and a redemption that does not fit changes
  nothing (``VoucherRefused``: "本批消费券预算已用完"). A voucher is marked used by a conditional update too
  (unused → used by this order or counter sale), so it cannot be used twice; the database's one-to-one keys are the
  second guard.
- An order cancelled or expiring unpaid frees its voucher and gives its part back to the budget (``release``, under
  the order's lock, where coupons are released). A refund gives the refunded voucher part back to the budget
  (``return_refunded``, with the ledger debit); the voucher stays used.
- Invariant: ``batch.spent`` = the sponsored amounts of the batch's ledger entries + the voucher parts of unpaid
  orders holding its vouchers.
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.scopes import User
from core.text import site_text
from orders.coupons.selectors import CouponCustomer
from orders.coupons.services import CODE_ALPHABET
from orders.events import record_order_event
from orders.models import Cart, CounterSale, Order, OrderEvent, Voucher, VoucherBatch
from orders.state import OrderError
from orders.vouchers.selectors import BUDGET_USED_UP, batch_problem, claims_of, customer_problem, voucher_problem

CODE_LENGTH = 8
NOTE_RELEASED = gettext_lazy("Consumption voucher %(code)s freed: the order was not paid.")


class VoucherError(OrderError):
    """A claim, a choice or a counter redemption refused; the message says why."""


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not Voucher.objects.filter(code=code).exists():
            return code


def claim(batch: VoucherBatch, customer: CouponCustomer | None) -> Voucher:
    """Claim one voucher of ``batch`` for ``customer`` (a signed-in shopper with a verified mobile).

    The batch row is locked while the claims are counted (per account or verified mobile, and in all).
    """
    problem = customer_problem(customer)
    if problem:
        raise VoucherError(problem)
    with transaction.atomic():
        locked = VoucherBatch.objects.select_for_update().get(pk=batch.pk)
        problem = batch_problem(locked)
        if not problem and locked.claim_limit and locked.claimed >= locked.claim_limit:
            problem = _("All vouchers of this batch have been claimed.")
        if not problem and locked.per_person_limit and claims_of(locked, customer) >= locked.per_person_limit:
            problem = _("You have already claimed as many of these vouchers as allowed.")
        if problem:
            raise VoucherError(problem)
        VoucherBatch.objects.filter(pk=locked.pk).update(claimed=F("claimed") + 1)
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    return Voucher.objects.create(
                        batch=locked, code=_new_code(), user_id=customer.user_id, phone=customer.phone
                    )
            except IntegrityError:  # a code taken meanwhile: draw again
                continue
        raise VoucherError(_("Please try again."))


def choose_for_cart(cart: Cart, voucher: Voucher | None, *, customer: CouponCustomer | None) -> None:
    """Keep the shopper's own usable ``voucher`` on the cart (``None``: use none)."""
    if voucher is not None:
        problem = customer_problem(customer)
        if not problem and voucher.user_id != customer.user_id:
            problem = _("This consumption voucher is not yours.")
        problem = problem or voucher_problem(voucher)
        if problem:
            raise VoucherError(problem)
    Cart.objects.filter(pk=cart.pk).update(voucher=voucher)
    cart.voucher = voucher


def take_budget(batch_id: int, amount: int) -> bool:
    """Take ``amount`` fen from the batch's budget if it fits (one conditional update); False if it does not."""
    if amount <= 0:
        return True
    return bool(
        VoucherBatch.objects.filter(pk=batch_id, spent__lte=F("budget") - amount).update(spent=F("spent") + amount)
    )


def give_back(batch_id: int, amount: int) -> None:
    """Give ``amount`` fen back to the batch's budget (a freed voucher, a refunded voucher part)."""
    if amount > 0:
        VoucherBatch.objects.filter(pk=batch_id).update(spent=F("spent") - amount)


def mark_used(voucher: Voucher, amount: int, **use: object) -> bool:
    """Unused → used by ``use`` (an order or a counter sale), for ``amount`` fen; False if it was used meanwhile."""
    try:
        with transaction.atomic():
            return bool(
                Voucher.objects.filter(
                    pk=voucher.pk, used_at__isnull=True, order__isnull=True, counter_sale__isnull=True
                ).update(amount=amount, used_at=timezone.now(), **use)
            )
    except IntegrityError:
        return False


def redeem_for_sale(voucher: Voucher, sale: CounterSale, amount: int) -> None:
    """Take the budget and mark the voucher used by a walk-in ``sale`` (inside ``record_counter_sale``'s
    transaction, before the stock locks); ``VoucherError`` when the budget or the voucher is gone. Online orders:
    ``orders.checkout.vouchers.redeem``."""
    if not take_budget(voucher.batch_id, amount):
        raise VoucherError(str(BUDGET_USED_UP))
    if not mark_used(voucher, amount, counter_sale=sale):
        raise VoucherError(_("This consumption voucher has already been used."))


def release(order: Order, *, actor: User | None = None) -> bool:
    """Free the voucher of an order that ends unpaid and give its part back to the budget (call under the order's
    lock); True if one was freed. The order keeps its voucher discount as placed."""
    voucher = Voucher.objects.filter(order_id=order.pk).first()
    if voucher is None:
        return False
    Voucher.objects.filter(pk=voucher.pk, order_id=order.pk).update(order=None, amount=0, used_at=None)
    give_back(voucher.batch_id, voucher.amount)
    record_order_event(order.pk, OrderEvent.Kind.NOTE, actor=actor, note=site_text(NOTE_RELEASED, code=voucher.code))
    return True


def return_refunded(order: Order, amount: int) -> None:
    """Give a refund's voucher part (``amount`` fen) back to the budget of the order's voucher batch."""
    if amount <= 0:
        return
    batch_id = Voucher.objects.filter(order_id=order.pk).values_list("batch_id", flat=True).first()
    if batch_id is not None:
        give_back(batch_id, amount)
