"""Paying an order: the Stripe Payment Element page, the page Stripe sends the customer back to, the demo."""

import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from orders.models import Order, OrderStatus
from orders.payments.client import demo_payments_enabled, stripe_enabled
from orders.payments.hold import payment_available
from orders.payments.services import PaymentError, pay_demo, start_payment
from storefront.hold import hold_context
from storefront.order_views import _order_or_404

logger = logging.getLogger(__name__)


def _not_payable(request: HttpRequest, order: Order, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("storefront:order_status", token=order.token)


@require_safe
def order_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The Payment Element for the order's current PaymentIntent (or the demo button in keyless DEBUG runs),
    with the hold's countdown; once the hold has ended, the message saying so instead (no intent is made)."""
    order = _order_or_404(token)
    hold = hold_context(order)
    if hold["hold"] is None:
        return _not_payable(request, order, _("This order is not awaiting payment."))
    if not payment_available():
        raise Http404(_("Payments are not available."))
    context = {"order": order, "demo": demo_payments_enabled(), **hold}
    if stripe_enabled() and hold["hold"].running:
        try:
            session = start_payment(order)
        except PaymentError as error:
            return _not_payable(request, order, str(error))
        except stripe.StripeError:
            logger.exception("Could not prepare the payment of order %s", order.number)
            messages.error(request, _("Payments are unavailable right now. Please try again in a few minutes."))
            return redirect("storefront:order_status", token=order.token)
        return_url = request.build_absolute_uri(reverse("storefront:order_pay_return", args=[order.token]))
        context.update(
            client_secret=session.client_secret,
            intent_status=session.status,
            publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
            stripe_js_url=settings.STRIPE_JS_URL,
            return_url=return_url,
            stripe_locale="zh" if (get_language() or "").startswith("zh") else "en",
        )
    return render(request, "storefront/order_pay.html", context)


@require_safe
def order_pay_return(request: HttpRequest, token: str) -> HttpResponse:
    """Where Stripe sends the customer back (Alipay, WeChat Pay, 3-D Secure): "processing", or for a failed
    payment the offer to try again while the hold runs (with its countdown)."""
    order = _order_or_404(token)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return redirect("storefront:order_status", token=order.token)
    failed = request.GET.get("redirect_status") == "failed"
    context = {"order": order, "failed": failed, **(hold_context(order) if failed else {})}
    return render(request, "storefront/order_pay_return.html", context)


@require_POST
def order_pay_demo(request: HttpRequest, token: str) -> HttpResponse:
    """Pay with the demo method: 404 unless DEBUG is on and no Stripe key is set."""
    if not demo_payments_enabled():
        raise Http404(_("Payments are not available."))
    order = _order_or_404(token)
    try:
        pay_demo(order)
    except PaymentError as error:
        return _not_payable(request, order, str(error))
    messages.success(request, _("Demo payment received: no money was taken."))
    return redirect("storefront:order_status", token=order.token)
