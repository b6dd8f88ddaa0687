"""Back-in-stock alerts on the shop: the form on a product page, subscribing and unsubscribing.

The form is part of the product page's cached main section (``storefront.product_page``): it is the same for
every visitor (its CSRF token is a hole filled per visitor, as the add-to-cart form's), and offers online and
the counters listed on the page where some option is out of stock; the rules are ``catalog.alerts``, which
answers "in stock: order it now" where it is not sold out. Subscribing is a POST answered by a redirect to the
product page and a message, whether it worked or not; POSTs are limited per client (``STOCK_ALERT_RATE_LIMIT``,
default ``DEFAULT_RATE_LIMIT``; fails open when the cache is down). Unsubscribing is a POST from the page its
link shows (a GET changes nothing: mail scanners open links).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalog.alerts import AlertError, InStock, pending_alert, sellable_variants, subscribe, unsubscribe
from catalog.models import Location, Product, StockAlert, Variant
from core.text import parse_id
from storefront.ratelimit import allow, parse_rate, too_many_requests

logger = logging.getLogger(__name__)

RATE_SETTING = "STOCK_ALERT_RATE_LIMIT"
DEFAULT_RATE_LIMIT = "10/h"
ONLINE = "online"


@dataclass(frozen=True)
class AlertForm:
    """What the product page's alert form offers: every active option, the one preselected, the counters."""

    variants: list[Variant]
    chosen: Variant
    counters: list[Location]
    open: bool  # nothing can be bought now: the form is shown unfolded


def product_alert_form(product: Product, counters: list[Location]) -> AlertForm | None:
    """The alert form of ``product`` (shaped for display; ``counters``: its ``selectors.pickup_counters``), or
    None when no option is sold out and every counter listed holds every option.

    It offers online and the counters listed on the page where an option is out of stock; a counter holding
    none of the product is not listed there (the page names only counters holding some), so it is not offered.
    Only what the page's cache follows decides it, and it costs no query: each option's availability and each
    listed counter's stock of each option."""
    variants = list(product.active_variants)
    if not variants:
        return None
    lacking = [c for c in counters if any(stock.status == "sold_out" for _variant, stock in c.variant_stock)]
    sold_out = [v for v in variants if v.availability.status == "sold_out"]
    if not sold_out and not lacking:
        return None
    return AlertForm(variants, (sold_out or variants)[0], lacking, open=len(sold_out) == len(variants))


def _refused(request: HttpRequest) -> HttpResponse | None:
    """The 429 to answer once this client has spent its budget of subscriptions, else None."""
    rate = parse_rate(getattr(settings, RATE_SETTING, DEFAULT_RATE_LIMIT))
    if rate is None:
        return None
    try:
        allowed = allow("stock-alert", request, rate)
    except Exception:  # whatever the cache backend raises when it is down
        logger.warning("Rate limiter unavailable for stock alerts (failing open)")
        return None
    return None if allowed else too_many_requests(request, rate)


def _counter(where: str) -> Location | None:
    """``online`` → None; a counter's id → that location (``subscribe`` checks it is an active counter)."""
    if where == ONLINE:
        return None
    counter_id = parse_id(where)
    location = Location.objects.filter(pk=counter_id).first() if counter_id else None
    if location is None:
        raise AlertError(_("Choose one of our sales counters, or online."))
    return location


@require_POST
def alert_subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe to a sold-out option (online or at a counter), then back to the product page with a message."""
    refused = _refused(request)
    if refused is not None:
        return refused
    variant_id = parse_id(request.POST.get("variant", ""))
    if variant_id is None:
        raise Http404
    variant = get_object_or_404(sellable_variants().select_related("product"), pk=variant_id)
    back = HttpResponseRedirect(variant.product.get_absolute_url())
    try:
        alert = subscribe(
            variant=variant,
            counter=_counter(request.POST.get("where", "")),
            channel=request.POST.get("channel", ""),
            contact=request.POST.get("contact", ""),
            language=get_language() or settings.LANGUAGE_CODE,
            user=request.user,
        )
    except InStock as error:
        messages.info(request, str(error))
        return back
    except AlertError as error:
        messages.error(request, str(error))
        return back
    told_by = _("text message") if alert.channel == StockAlert.Channel.SMS else _("e-mail")
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("Thank you: we will tell you once, by %(channel)s, when it is back.") % {"channel": told_by},
            reverse("storefront:stock_alert_unsubscribe", args=[alert.token]),
            _("Changed your mind? Unsubscribe"),
        ),
    )
    return back


@require_http_methods(["GET", "HEAD", "POST"])
def alert_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The alert of this link and a button to unsubscribe (GET); unsubscribing (POST)."""
    if request.method == "POST":
        done = unsubscribe(token)
        return render(request, "storefront/alerts/unsubscribe.html", {"alert": None, "done": done})
    response = render(request, "storefront/alerts/unsubscribe.html", {"alert": pending_alert(token), "done": False})
    response["X-Robots-Tag"] = "noindex"
    return response
