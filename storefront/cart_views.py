"""The cart page and its forms: add an item, change a quantity, remove a line.

Every change is a POST (with CSRF) answered by a redirect and a message, whether it worked or not:
the cart page for changes made there, the page named by a safe ``next`` for "add to cart", checkout for
"buy now" (with the counter the shopper chose, offered there as the pickup counter). Prices and stock are
always the server's; anything else posted (a price, say) is ignored.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from orders.cart import CartError, remove_line, set_line_quantity
from orders.checkout import cart_summary
from storefront.cart import add_to_request_cart, note_cart_quantity, remember_cart, request_cart
from storefront.selectors import attach_pictures
from storefront.sites import site_for_request


def safe_next(request: HttpRequest, default: str) -> str:
    """The posted ``next`` address if it is on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def item_name(product_name: str, variant_name: str) -> str:
    """The product's name followed by the words of the variant's name it does not hold already
    ("贵措脐橙礼盒 5kg" and "5kg 礼盒" give "贵措脐橙礼盒 5kg 礼盒"), so no word is said twice in a row."""
    product_words = {word.casefold() for word in product_name.split()}
    extra = [word for word in variant_name.split() if word.casefold() not in product_words]
    return " ".join([product_name.strip(), *extra])


def _checkout_address(request: HttpRequest) -> str:
    """Checkout, offering the counter the shopper chose on the product page (if any) as the pickup counter."""
    address = reverse("storefront:checkout")
    counter = request.POST.get("counter", "")
    if counter.isascii() and counter.isdigit() and len(counter) <= 12:
        address += "?" + urlencode({"counter": counter})
    return address


@require_safe
def cart_detail(request: HttpRequest) -> HttpResponse:
    cart = request_cart(request)
    summary = cart_summary(cart, site=site_for_request(request))
    note_cart_quantity(request, sum(item.quantity for item in [*summary.items, *summary.packs]))
    attach_pictures(item.product for item in summary.items)
    return render(request, "storefront/cart.html", {"summary": summary})


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """Add ``quantity`` of ``variant`` to the cart (the variant's current price applies); with ``buy_now``,
    go on to checkout."""
    response = HttpResponseRedirect(safe_next(request, reverse("storefront:cart")))
    try:
        line = add_to_request_cart(request, request.POST.get("variant"), request.POST.get("quantity", "1"))
    except CartError as error:
        messages.error(request, str(error))
        return response
    name = item_name(line.variant.product.display_name, line.variant.name)
    messages.success(request, _("Added %(name)s to your cart.") % {"name": name})
    if request.POST.get("buy_now"):
        response = HttpResponseRedirect(_checkout_address(request))
    return remember_cart(request, response, line.cart)


@require_POST
def cart_update(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = request_cart(request)
    try:
        if cart is None:
            raise CartError(_("This item is no longer in your cart."))
        set_line_quantity(cart, line_id, request.POST.get("quantity", ""))
    except CartError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your cart has been updated."))
    return redirect("storefront:cart")


@require_POST
def cart_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = request_cart(request)
    if cart is not None and remove_line(cart, line_id):
        messages.success(request, _("The item has been removed from your cart."))
    else:
        messages.info(request, _("This item is no longer in your cart."))
    return redirect("storefront:cart")
