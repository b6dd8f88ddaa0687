"""Gift packs (礼包) for shoppers: the list of published packs, a pack's page, and a pack in the cart.

Thin views: which packs are sold and how many one order could get come from ``orders.availability``; the
cart changes from ``orders.cart`` (prices and stock always the server's; anything else posted is ignored).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from catalog.models import Pack, PackItem
from catalog.packs import list_value, pack_items
from orders.availability import available_quantities, packs_available, sellable_packs
from orders.cart import CartError, add_pack_to_cart, get_or_create_cart, remove_pack_line, set_pack_quantity
from storefront.cart import guest_token, remember_cart, request_cart
from storefront.cart_views import safe_next


@dataclass(frozen=True)
class PackCard:
    """A published pack as shoppers see it: its items, list value and how many one order could get."""

    pack: Pack
    items: list[PackItem]
    list_value: int
    available: int

    @property
    def saving(self) -> int:
        return max(self.list_value - self.pack.price, 0)


def _cards(packs: list[Pack]) -> list[PackCard]:
    items = {pack.pk: pack_items(pack) for pack in packs}
    available = available_quantities(sorted({item.variant_id for rows in items.values() for item in rows}))
    return [
        PackCard(pack, items[pack.pk], list_value(items[pack.pk]), packs_available(items[pack.pk], available))
        for pack in packs
    ]


@require_safe
def pack_list(request: HttpRequest) -> HttpResponse:
    """``/packs/``: every published gift pack, cheapest first."""
    return render(request, "storefront/packs.html", {"cards": _cards(list(sellable_packs().order_by("price", "name")))})


@require_safe
def pack_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """``/packs/<slug>/``: a pack's items (each producer named), its price and an add-to-cart form."""
    pack = sellable_packs().filter(slug=slug).first()
    if pack is None:
        raise Http404
    return render(request, "storefront/pack_detail.html", {"card": _cards([pack])[0]})


@require_POST
def cart_add_pack(request: HttpRequest) -> HttpResponse:
    """Add ``quantity`` of ``pack`` to the cart (the pack's current price applies); with ``buy_now``, go on to
    checkout."""
    response = HttpResponseRedirect(safe_next(request, reverse("storefront:cart")))
    try:
        with transaction.atomic():  # a refused add creates no cart
            cart = get_or_create_cart(token=guest_token(request), user=request.user)
            line = add_pack_to_cart(cart, request.POST.get("pack"), request.POST.get("quantity", "1"))
    except CartError as error:
        messages.error(request, str(error))
        return response
    messages.success(request, _("Added %(name)s to your cart.") % {"name": line.pack.name})
    if request.POST.get("buy_now"):
        response = HttpResponseRedirect(reverse("storefront:checkout"))
    return remember_cart(request, response, line.cart)


@require_POST
def cart_pack_update(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = request_cart(request)
    try:
        if cart is None:
            raise CartError(_("This item is no longer in your cart."))
        set_pack_quantity(cart, line_id, request.POST.get("quantity", ""))
    except CartError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your cart has been updated."))
    return redirect("storefront:cart")


@require_POST
def cart_pack_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = request_cart(request)
    if cart is not None and remove_pack_line(cart, line_id):
        messages.success(request, _("The item has been removed from your cart."))
    else:
        messages.info(request, _("This item is no longer in your cart."))
    return redirect("storefront:cart")
