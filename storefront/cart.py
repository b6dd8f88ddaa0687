"""The request's cart: a guest's is found through a signed cookie, a signed-in user's through the account.

The cookie holds only the cart's token, signed with a salt and a timestamp: a tampered or stale
cookie is ignored as if there were none. Nothing here queries the database for a visitor who has
neither an account session nor a cart cookie.
"""

from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from orders.cart import add_to_cart, attach_guest_cart, get_cart, get_or_create_cart, item_count
from orders.models import Cart, CartLine

COOKIE_NAME = "dexiu_cart"
COOKIE_SALT = "storefront.cart"
COOKIE_MAX_AGE = 60 * 60 * 24 * 90  # 90 days


def guest_token(request: HttpRequest) -> str | None:
    """The cart token from the signed cookie; None when absent, tampered with or expired."""
    return request.get_signed_cookie(COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)


def _is_signed_in(request: HttpRequest) -> bool:
    return request.user.is_authenticated


def cart_owner(request: HttpRequest) -> dict[str, object]:
    """Whose cart the visitor's is, as ``orders.cart.get_cart`` asks it: the signed-in user, or the cookie's token."""
    return {"user": request.user} if _is_signed_in(request) else {"token": guest_token(request)}


def request_cart(request: HttpRequest) -> Cart | None:
    """The visitor's cart if there is one (no query for an anonymous visitor without the cookie)."""
    return get_cart(**cart_owner(request))


def remember_cart(request: HttpRequest, response: HttpResponse, cart: Cart) -> HttpResponse:
    """Point a guest's cookie at ``cart`` (signed-in users need no cookie)."""
    if not _is_signed_in(request) and guest_token(request) != str(cart.token):
        response.set_signed_cookie(
            COOKIE_NAME,
            str(cart.token),
            salt=COOKIE_SALT,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def forget_cart(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(COOKIE_NAME, samesite="Lax")
    return response


def add_to_request_cart(request: HttpRequest, variant_id: object, quantity: object) -> CartLine:
    """Add to the visitor's cart, creating it on the first add; a refused add creates nothing."""
    with transaction.atomic():
        cart = get_or_create_cart(token=guest_token(request), user=request.user)
        return add_to_cart(cart, variant_id, quantity)


def adopt_guest_cart(request: HttpRequest, response: HttpResponse, user: AbstractBaseUser) -> HttpResponse:
    """After signing in: the guest cart joins the account's cart and the cookie goes."""
    token = guest_token(request)
    if token:
        attach_guest_cart(user=user, token=token)
    if COOKIE_NAME in request.COOKIES:
        forget_cart(response)
    return response


def cart_quantity(request: HttpRequest) -> int:
    """How many items the visitor's cart holds: one small query, none without a cart."""
    if _is_signed_in(request):
        return item_count(user=request.user)
    return item_count(token=guest_token(request))


def note_cart_quantity(request: HttpRequest, quantity: int) -> None:
    """Tell the header how many items there are, when a view has just counted them."""
    request.cart_quantity = quantity


class HeaderCart:
    """The header's cart link: the item count is read only if a template asks for it."""

    def __init__(self, request: HttpRequest):
        self.request = request

    @cached_property
    def count(self) -> int:
        known = getattr(self.request, "cart_quantity", None)
        return known if known is not None else cart_quantity(self.request)
