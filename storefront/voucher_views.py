"""Consumption vouchers (消费券) for shoppers: the open batches to claim, their own vouchers with code and QR, and the
one chosen for the cart at checkout (``orders.vouchers``).

Claiming and choosing are POSTs (CSRF, rate-limited like checkout) answered by a redirect and a message. Both need
a signed-in shopper with a verified mobile (``coupon_customer``, the coupons' rule); the page asks guests and
unverified shoppers to sign in with their mobile number.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.money import format_fen
from core.qr import qr_svg
from orders.models import Voucher, VoucherBatch
from orders.vouchers.selectors import claim_problem, customer_problem, my_vouchers, open_batches
from orders.vouchers.services import VoucherError, choose_for_cart, claim
from storefront.cart import request_cart
from storefront.cart_views import safe_next
from storefront.coupon_views import coupon_customer
from storefront.ratelimit import limit_posts


def vouchers(request: HttpRequest) -> HttpResponse:
    """Open batches (with why one cannot be claimed) and, signed in, the shopper's own vouchers with code and QR."""
    customer = coupon_customer(request)
    problem = customer_problem(customer)
    batches = [(batch, "" if problem else claim_problem(batch, customer)) for batch in open_batches()]
    mine = []
    if request.user.is_authenticated:
        for voucher in my_vouchers(request.user.pk)[:50]:
            label = _("Consumption voucher %(code)s") % {"code": voucher.code}
            mine.append((voucher, qr_svg(voucher.code, label=label) if not voucher.used_at else None))
    return render(
        request,
        "storefront/vouchers.html",
        {"batches": batches, "mine": mine, "customer_problem": problem},
    )


@require_POST
@limit_posts("voucher", "CHECKOUT_RATE_LIMIT", fail_closed=True)
def voucher_claim(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(VoucherBatch, pk=pk)
    try:
        voucher = claim(batch, coupon_customer(request))
    except VoucherError as error:
        messages.error(request, str(error))
        return redirect("storefront:vouchers")
    messages.success(
        request,
        _("Voucher %(code)s claimed: %(amount)s off eligible goods.")
        % {"code": voucher.code, "amount": format_fen(batch.face_value)},
    )
    return redirect("storefront:vouchers")


@require_POST
@login_required
@limit_posts("voucher", "CHECKOUT_RATE_LIMIT", fail_closed=True)
def cart_voucher(request: HttpRequest) -> HttpResponse:
    """Choose one of the shopper's vouchers for the cart (``voucher`` empty: none)."""
    target = safe_next(request, reverse("storefront:checkout"))
    cart = request_cart(request)
    if cart is None:
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    chosen = str(request.POST.get("voucher", "")).strip()
    voucher = None
    if chosen:
        voucher = Voucher.objects.select_related("batch").filter(pk=chosen if chosen.isdigit() else 0).first()
        if voucher is None or voucher.user_id != request.user.pk:
            messages.error(request, _("This consumption voucher is not yours."))
            return redirect(target)
    try:
        choose_for_cart(cart, voucher, customer=coupon_customer(request))
    except VoucherError as error:
        messages.error(request, str(error))
        return redirect(target)
    if voucher is None:
        messages.info(request, _("No consumption voucher is used for this order."))
    else:
        messages.success(request, _("Consumption voucher %(code)s chosen.") % {"code": voucher.code})
    return redirect(target)
