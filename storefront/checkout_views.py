"""Checkout: the summary, contact, delivery method, invoice and note, placed through ``orders.checkout``.

The form carries the cart's ``fingerprint`` as shown and a ``checkout_token``: a cart that changed
since is shown again instead of becoming a different order, and a form sent twice gives one order. A coupon code
is typed in its own small form (``storefront.coupon_views``) and its discount is part of the fingerprint; a code
that cannot be used when the order is placed shows the page again with why.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from wagtail.models import Site

from catalog.models import Location
from orders.checkout import (
    CartChanged,
    CartSummary,
    CheckoutError,
    Contact,
    Delivery,
    Invoice,
    can_deliver,
    cart_summary,
    new_checkout_token,
    pickup_counters,
    place_order,
)
from orders.checkout.soldout import SoldOutLine, sold_out_lines
from orders.models import Cart, DeliveryMethod
from orders.payments.hold import can_pay_now
from orders.vouchers.selectors import usable_vouchers
from storefront.cart import cart_owner, note_cart_quantity, request_cart
from storefront.coupon_views import coupon_customer
from storefront.forms import CheckoutForm
from storefront.phone_sign_in import contact_initial
from storefront.ratelimit import limit_posts
from storefront.sites import site_for_request

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Where most customers live: the address form starts in Dezhou.
ADDRESS_INITIAL = {"province": "山东省", "city": "德州市"}


@dataclass(frozen=True)
class Options:
    """How this cart can be received: the counters holding all of it, and whether the warehouse can send it."""

    counters: list[Location]
    can_deliver: bool

    @classmethod
    def for_summary(cls, summary: CartSummary) -> "Options":
        return cls(counters=list(pickup_counters(summary.quantities)), can_deliver=can_deliver(summary.quantities))


def _initial(request: HttpRequest, options: Options) -> dict[str, str]:
    method = DeliveryMethod.PICKUP if options.counters and not options.can_deliver else DeliveryMethod.DELIVERY
    initial = {**ADDRESS_INITIAL, "method": method}
    # ``?counter=``: the counter the shopper chose on a product page ("buy now"), if this cart can be
    # collected there, starts chosen (only chosen: placing the order checks it as any other).
    chosen = request.GET.get("counter", "")
    if any(str(counter.pk) == chosen for counter in options.counters):
        initial.update(method=DeliveryMethod.PICKUP, pickup_location=chosen)
    user = request.user
    if user.is_authenticated:
        initial.update(contact_initial(user))  # name, e-mail and verified mobile
    return initial


def _render(
    request: HttpRequest,
    form: CheckoutForm,
    summary: CartSummary,
    checkout_token: str,
    options: Options | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    note_cart_quantity(request, sum(item.quantity for item in [*summary.items, *summary.packs]))
    # A cart that cannot be ordered as it is (a line sold out in a rush, say) is sent back to the cart: the
    # page shows it with the reason, without the form's fields or the ways to receive it (nor their queries).
    show_fields = summary.can_check_out or any(name != NON_FIELD_ERRORS for name in form.errors)
    if options is None:
        options = Options.for_summary(summary) if show_fields else Options(counters=[], can_deliver=False)
    context = {
        "form": form,
        "show_fields": show_fields,
        "summary": summary,
        "checkout_token": checkout_token,
        "counters": options.counters,
        "can_deliver": options.can_deliver,
        "can_place": summary.can_check_out and (options.can_deliver or bool(options.counters)),
        "reservation_minutes": settings.ORDER_RESERVATION_MINUTES,
        "delivery_fee": summary.shipping_fee_for(DeliveryMethod.DELIVERY),
        "delivery_total": summary.total_for(DeliveryMethod.DELIVERY),
        "pickup_total": summary.total_for(DeliveryMethod.PICKUP),
        "selected_counter": form["pickup_location"].value() or "",
        # A signed-in shopper's unused, valid consumption vouchers to choose from (one query; none for guests).
        "vouchers": usable_vouchers(request.user.pk) if request.user.is_authenticated else [],
    }
    return render(request, "storefront/checkout.html", context, status=status)


def _render_sold_out(request: HttpRequest, lines: list[SoldOutLine]) -> HttpResponse:
    reasons = [
        _("Sorry, %(name)s is sold out or not enough is left (%(available)d). Please check your cart.")
        % {"name": line.name, "available": line.available}
        for line in lines
    ]
    return render(request, "storefront/checkout_sold_out.html", {"reasons": reasons}, status=409)


def _place(request: HttpRequest, cart: Cart, form: CheckoutForm, site: Site | None) -> HttpResponse:
    data = form.cleaned_data
    invoice = Invoice(title=data["invoice_title"], tax_id=data["invoice_tax_id"])
    order = place_order(
        cart=cart,
        contact=Contact(name=data["name"], phone=data["phone"], email=data["email"]),
        delivery=Delivery(
            method=data["method"],
            pickup_location=data["pickup_location"],
            province=data["province"],
            city=data["city"],
            district=data["district"],
            street=data["street"],
            postal_code=data["postal_code"],
        ),
        invoice=invoice,
        note=data["note"],
        checkout_token=request.POST.get("checkout_token", ""),
        expected_fingerprint=request.POST.get("fingerprint", ""),
        user=request.user,
        language=get_language(),
        site=site,
        customer=coupon_customer(request),
    )
    messages.success(request, _("Thank you! Your order %(number)s has been placed.") % {"number": order.number})
    # Straight on to paying while the items are held; without a payment method, to the order's page.
    return redirect("storefront:order_pay" if can_pay_now(order) else "storefront:order_status", token=order.token)


@require_http_methods(["GET", "HEAD", "POST"])
@limit_posts("checkout", "CHECKOUT_RATE_LIMIT", fail_closed=True)
def checkout(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        sold_out = sold_out_lines(**cart_owner(request))
        if sold_out:
            # Too late in a rush: refused from two small reads, before the cart is priced or an order row locked.
            return _render_sold_out(request, sold_out)
    cart = request_cart(request)
    site = site_for_request(request)
    if request.method != "POST":
        summary = cart_summary(cart, site=site)
        if summary.is_empty:
            messages.info(request, _("Your cart is empty."))
            return redirect("storefront:cart")
        if summary.has_problems:
            messages.warning(request, _("Some items in your cart need your attention before checkout."))
            return redirect("storefront:cart")
        options = Options.for_summary(summary)
        form = CheckoutForm(initial=_initial(request, options))
        return _render(request, form, summary, new_checkout_token(), options)

    if cart is None:
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    form = CheckoutForm(request.POST)
    posted_token = request.POST.get("checkout_token", "").strip()
    token = posted_token if TOKEN_RE.fullmatch(posted_token) else new_checkout_token()
    if form.is_valid():
        try:
            return _place(request, cart, form, site)
        except CartChanged as error:
            form.add_service_errors(error.errors)
            # The cart as checkout just read it when that showed the change (a sold-out cart in a rush).
            summary = error.summary if error.summary is not None else cart_summary(cart, site=site)
            messages.warning(request, _("Your cart has changed. Please check your order again before placing it."))
            return _render(request, form, summary, token, status=409)
        except CheckoutError as error:
            form.add_service_errors(error.errors)
            if set(error.errors) <= {NON_FIELD_ERRORS}:
                token = new_checkout_token()
    summary = cart_summary(cart, site=site)
    if summary.is_empty:
        for message in form.non_field_errors():
            messages.error(request, message)
        return redirect("storefront:cart")
    return _render(request, form, summary, token)
