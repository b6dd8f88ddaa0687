"""The order status page, found by its unguessable token only, and cancelling an unpaid order."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from orders.models import Order, OrderStatus
from orders.payments import cancel_order
from orders.selectors import get_order_by_token, sent_parcels
from orders.state import OrderError, can_cancel
from storefront.hold import hold_context
from storefront.timeline import customer_timeline, pickup_cards


def _order_or_404(token: str) -> Order:
    order = get_order_by_token(token)
    if order is None:
        raise Http404(_("No order has this address."))
    return order


def _render_status(request: HttpRequest, order: Order, *, status: int = 200) -> HttpResponse:
    context = {
        "order": order,
        "timeline": customer_timeline(order),
        "pickups": pickup_cards(order),
        "parcels": sent_parcels(order),
        "awaiting_payment": order.status == OrderStatus.PENDING_PAYMENT,
        "can_cancel": can_cancel(order),
        **hold_context(order),  # the hold, counted down while awaiting payment
    }
    return render(request, "storefront/order_status.html", context, status=status)


@require_safe
def order_status(request: HttpRequest, token: str) -> HttpResponse:
    return _render_status(request, _order_or_404(token))


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


@require_POST
def order_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """Cancel an order awaiting payment (its stock is released); anything else is a 409 with the reason."""
    order = _order_or_404(token)
    try:
        cancel_order(order, actor=request.user)
    except OrderError as error:
        if _wants_json(request):
            return JsonResponse({"error": str(error)}, status=409)
        messages.error(request, str(error))
        return _render_status(request, _order_or_404(token), status=409)
    if _wants_json(request):
        return JsonResponse({"status": order.status})
    messages.success(request, _("Your order has been cancelled."))
    return redirect("storefront:order_status", token=order.token)
