"""A coupon code (优惠码) typed on the cart or checkout page: kept on the cart, or removed (``orders.coupons``).

Both are POSTs answered by a redirect to a safe ``next`` (the cart by default) and a message. A code is kept only
when it is usable on this cart by this shopper now; checkout checks it again when the order is placed. A coupon
needs a signed-in shopper with a verified mobile number (``coupon_customer``): guests are asked to sign in with
their mobile number, which verifies it.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.money import format_fen
from orders.checkout import cart_summary, coupon_quote
from orders.coupons.selectors import CouponCustomer
from orders.coupons.services import CouponError, apply_code, remove_code
from storefront.cart import request_cart
from storefront.cart_views import safe_next
from storefront.phone_sign_in import verified_mobile
from storefront.ratelimit import limit_posts
from storefront.sites import site_for_request


def coupon_customer(request: HttpRequest) -> CouponCustomer | None:
    """The signed-in shopper as coupons count them: the account and its verified mobile ("" if none)."""
    user = request.user
    if not user.is_authenticated:
        return None
    return CouponCustomer(user_id=user.pk, phone=verified_mobile(user))


@require_POST
@limit_posts("coupon", "CHECKOUT_RATE_LIMIT", fail_closed=True)
def cart_coupon(request: HttpRequest) -> HttpResponse:
    target = safe_next(request, reverse("storefront:cart"))
    cart = request_cart(request)
    if cart is None:
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    text = request.POST.get("code", "")
    summary = cart_summary(cart, site=site_for_request(request))
    if summary.is_empty:
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    quote = coupon_quote(summary, text)
    try:
        code = apply_code(cart, text, customer=coupon_customer(request), quote=quote)
    except CouponError as error:
        messages.error(request, str(error))
        return redirect(target)
    messages.success(
        request,
        _("Coupon code %(code)s applied: %(amount)s off.") % {"code": code, "amount": format_fen(quote.discount)},
    )
    return redirect(target)


@require_POST
def cart_coupon_remove(request: HttpRequest) -> HttpResponse:
    cart = request_cart(request)
    if cart is not None and cart.coupon_code:
        remove_code(cart)
        messages.info(request, _("The coupon code has been removed."))
    return redirect(safe_next(request, reverse("storefront:cart")))
