"""Paying an order: the pay page (the chosen provider's checkout), the page providers send the shopper back to,
the demo."""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.qr import qr_svg
from orders.models import Order, OrderStatus, PaymentProvider
from orders.payments import wechat_oauth
from orders.payments.client import demo_payments_enabled
from orders.payments.providers import UNAVAILABLE, Device, Flow, Provider, device_of, providers_for
from orders.payments.services import PaymentError, pay_demo
from storefront.hold import hold_context
from storefront.order_views import _order_or_404
from storefront.ratelimit import client_address

logger = logging.getLogger(__name__)

# A provider's API that fails (down, refusing our keys): the shopper is told to try again shortly.
PROVIDER_ERRORS = UNAVAILABLE


def _not_payable(request: HttpRequest, order: Order, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("storefront:order_status", token=order.token)


def _offered(request: HttpRequest) -> tuple[list[Provider], Device]:
    device = device_of(request.headers.get("User-Agent", ""))
    return providers_for(device), device


@require_safe
def order_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The pay page: the order's amount and hold, and the checkout of one provider — the best for the shopper's
    device, or the one chosen (``?provider=``) among those offered, listed as the other ways to pay. Once the
    hold has ended, the message saying so instead (nothing is started).

    WeChat Pay inside WeChat: with JSAPI configured and no openid in the session, WeChat's OAuth first (it comes
    back here); ``?qr=1`` (the JSAPI page's fallback link) asks for the QR code instead."""
    order = _order_or_404(token)
    hold = hold_context(order)
    if hold["hold"] is None:
        return _not_payable(request, order, _("This order is not awaiting payment."))
    offered, device = _offered(request)
    if not offered:
        raise Http404(_("Payments are not available."))
    chosen = next((p for p in offered if p.name == request.GET.get("provider")), offered[0])
    context = {"order": order, "providers": offered, "chosen": chosen, "device": device, **hold}
    if hold["hold"].running:
        return_url = request.build_absolute_uri(reverse("storefront:order_pay_return", args=[order.token]))
        openid = ""
        if chosen.name == PaymentProvider.WECHAT and device == Device.WECHAT and not request.GET.get("qr"):
            if wechat_oauth.wants_authorization(request):
                return wechat_oauth.authorize_redirect(request, request.get_full_path())
            openid = wechat_oauth.session_openid(request)
        try:
            checkout = chosen.start(
                order, device=device, return_url=return_url, client_ip=client_address(request), openid=openid
            )
        except PaymentError as error:
            return _not_payable(request, order, str(error))
        except PROVIDER_ERRORS:
            logger.exception("Could not prepare the payment of order %s with %s", order.number, chosen.name)
            messages.error(request, _("Payments are unavailable right now. Please try again in a few minutes."))
            return redirect("storefront:order_status", token=order.token)
        context["checkout"] = checkout
        if checkout.flow == Flow.ELEMENT:
            context.update(
                publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
                stripe_js_url=settings.STRIPE_JS_URL,
                return_url=return_url,
                stripe_locale="zh" if (get_language() or "").startswith("zh") else "en",
            )
        elif checkout.flow == Flow.QR:
            context["qr"] = qr_svg(
                checkout.qr, label=_("QR code to pay with %(provider)s") % {"provider": chosen.label}
            )
    return render(request, "storefront/order_pay.html", context)


@require_safe
def order_pay_return(request: HttpRequest, token: str) -> HttpResponse:
    """Where Stripe (Alipay, WeChat Pay, 3-D Secure) and WeChat Pay's H5 page send the shopper back, and where
    "I have paid" under a QR code leads: "processing" (the page refreshes itself), or for a failed payment the
    offer to try again while the hold runs (with its countdown)."""
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
