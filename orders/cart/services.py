"""Writes of carts: adding, changing and removing lines, and a guest's cart joining the account at sign-in.

Quantities are whole numbers from 1 to ``CART_MAX_LINE_QUANTITY`` and never more than is available
(``orders.availability``); prices are never stored, always read from the variant. A cart row is locked
before its lines change.
"""

import re
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Pack, Variant
from catalog.packs import pack_items
from core.scopes import User
from core.text import parse_id
from orders.availability import (
    available_quantities,
    is_pack_sellable,
    is_sellable,
    packs_available,
    sellable_packs,
    sellable_variants,
)
from orders.cart.selectors import get_cart
from orders.models import Cart, CartLine, CartPackLine
from orders.state import OrderError

QUANTITY_RE = re.compile(r"[0-9]{1,9}")


class CartError(OrderError):
    """A cart change that is refused (bad quantity, product not available, not enough stock)."""


def parse_quantity(value: object) -> int:
    """A whole number from 1 to ``CART_MAX_LINE_QUANTITY`` (an int or digits), or ``CartError``."""
    maximum = settings.CART_MAX_LINE_QUANTITY
    if isinstance(value, str) and QUANTITY_RE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise CartError(_("Quantity must be a whole number from 1 to %(max)d.") % {"max": maximum})
    return value


def _sellable_variant(variant_id: object) -> Variant:
    pk = parse_id(variant_id)
    variant = sellable_variants().select_related("product__merchant").filter(pk=pk).first() if pk else None
    if variant is None:
        raise CartError(_("This product is not available."))
    return variant


def _check_quantity_allowed(variant: Variant, quantity: int) -> None:
    maximum = settings.CART_MAX_LINE_QUANTITY
    if quantity > maximum:
        raise CartError(_("You can buy at most %(max)d of one item.") % {"max": maximum})
    available = available_quantities([variant.pk])[variant.pk]
    name = f"{variant.product.display_name} {variant.name}"
    if available <= 0:
        raise CartError(_("%(name)s is sold out.") % {"name": name})
    if quantity > available:
        raise CartError(_("Only %(available)d of %(name)s left.") % {"available": available, "name": name})


def _lock_cart(cart: Cart) -> None:
    if not Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk", flat=True):
        raise CartError(_("Your cart has expired. Please add the items again."))


def _cart_line(cart: Cart, line_id: object) -> CartLine:
    pk = parse_id(line_id)
    line = (
        cart.lines.select_related("variant__product__merchant", "variant__presale").filter(pk=pk).first()
        if pk
        else None
    )
    if line is None:
        raise CartError(_("This item is no longer in your cart."))
    return line


def get_or_create_cart(*, token: str | uuid.UUID | None = None, user: User | None = None) -> Cart:
    """The signed-in user's cart, or the guest cart with this token, created when there is none."""
    if user is not None and user.is_authenticated:
        cart, _created = Cart.objects.get_or_create(user=user)
        return cart
    return get_cart(token=token) or Cart.objects.create()


def add_to_cart(cart: Cart, variant_id: object, quantity: object) -> CartLine:
    """Add ``quantity`` of a variant (to the line already there, if any), within the limit and the stock."""
    quantity = parse_quantity(quantity)
    variant = _sellable_variant(variant_id)
    with transaction.atomic():
        _lock_cart(cart)
        line = cart.lines.filter(variant=variant).first()
        total = quantity + (line.quantity if line else 0)
        _check_quantity_allowed(variant, total)
        if line is None:
            line = CartLine.objects.create(cart=cart, variant=variant, quantity=total)
        else:
            line.quantity = total
            line.save(update_fields=["quantity"])
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return line


def set_line_quantity(cart: Cart, line_id: object, quantity: object) -> CartLine:
    """Change a line's quantity (1 to the limit, no more than available)."""
    quantity = parse_quantity(quantity)
    with transaction.atomic():
        _lock_cart(cart)
        line = _cart_line(cart, line_id)
        if not is_sellable(line.variant):
            raise CartError(_("This product is not available."))
        _check_quantity_allowed(line.variant, quantity)
        line.quantity = quantity
        line.save(update_fields=["quantity"])
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return line


def remove_line(cart: Cart, line_id: object) -> bool:
    """Remove a line; removing one that is already gone is not an error (returns False)."""
    pk = parse_id(line_id)
    deleted, _rows = cart.lines.filter(pk=pk).delete() if pk else (0, {})
    return bool(deleted)


def merge_carts(guest: Cart, user_cart: Cart) -> Cart:
    """Move a guest cart's lines into the user's cart and delete the guest cart.

    Quantities of the same variant are added, capped at the per-line limit and at what is available;
    lines that can no longer be bought are dropped.
    """
    if guest.pk == user_cart.pk:
        return user_cart
    maximum = settings.CART_MAX_LINE_QUANTITY
    with transaction.atomic():
        locked = Cart.objects.select_for_update().filter(pk__in=[guest.pk, user_cart.pk]).order_by("pk")
        if len(locked) < 2:
            return user_cart
        guest_lines = list(guest.lines.select_related("variant__product__merchant", "variant__presale"))
        existing = {line.variant_id: line for line in user_cart.lines.all()}
        available = available_quantities([line.variant_id for line in guest_lines])
        for guest_line in guest_lines:
            if not is_sellable(guest_line.variant):
                continue
            line = existing.get(guest_line.variant_id)
            current = line.quantity if line else 0
            wanted = min(current + guest_line.quantity, maximum, available[guest_line.variant_id])
            if wanted <= current:
                continue
            if line is None:
                CartLine.objects.create(cart=user_cart, variant_id=guest_line.variant_id, quantity=wanted)
            else:
                line.quantity = wanted
                line.save(update_fields=["quantity"])
        _merge_pack_lines(guest, user_cart)
        guest.delete()
    return user_cart


def attach_guest_cart(*, user: AbstractBaseUser, token: str | uuid.UUID | None) -> Cart:
    """At sign-in: the guest cart becomes the user's, or is merged into the cart the user already has."""
    guest = get_cart(token=token)
    with transaction.atomic():
        user_cart = Cart.objects.filter(user=user).first()
        if guest is None:
            return user_cart or Cart.objects.get_or_create(user=user)[0]
        if user_cart is None:
            guest.user = user
            guest.save(update_fields=["user", "updated_at"])
            return guest
    return merge_carts(guest, user_cart)


# -- Gift packs: one line the shopper sees; its components are priced and reserved at checkout ----------


def _sellable_pack(pack_id: object) -> Pack:
    pk = parse_id(pack_id)
    pack = sellable_packs().filter(pk=pk).first() if pk else None
    if pack is None:
        raise CartError(_("This gift pack is not available."))
    return pack


def _check_packs_allowed(pack: Pack, quantity: int) -> None:
    """Refuse more than the limit, or more packs than every component has stock for (naming the one short)."""
    maximum = settings.CART_MAX_LINE_QUANTITY
    if quantity > maximum:
        raise CartError(_("You can buy at most %(max)d of one item.") % {"max": maximum})
    items = pack_items(pack)
    if not is_pack_sellable(pack, items):
        raise CartError(_("This gift pack is not available."))
    available = available_quantities([item.variant_id for item in items])
    for item in items:
        if available[item.variant_id] < item.quantity * quantity:
            name = f"{item.variant.product.display_name} {item.variant.name}"
            if packs_available([item], available) <= 0:
                raise CartError(
                    _("%(pack)s is sold out: %(name)s is no longer in stock.") % {"pack": pack.name, "name": name}
                )
            raise CartError(
                _("Only %(available)d of %(pack)s left.")
                % {"available": packs_available(items, available), "pack": pack.name}
            )


def add_pack_to_cart(cart: Cart, pack_id: object, quantity: object) -> CartPackLine:
    """Add ``quantity`` of a gift pack (to its line already there, if any), within the limit and the stock of
    every component."""
    quantity = parse_quantity(quantity)
    pack = _sellable_pack(pack_id)
    with transaction.atomic():
        _lock_cart(cart)
        line = cart.pack_lines.filter(pack=pack).first()
        total = quantity + (line.quantity if line else 0)
        _check_packs_allowed(pack, total)
        if line is None:
            line = CartPackLine.objects.create(cart=cart, pack=pack, quantity=total)
        else:
            line.quantity = total
            line.save(update_fields=["quantity"])
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return line


def set_pack_quantity(cart: Cart, line_id: object, quantity: object) -> CartPackLine:
    """Change a pack line's quantity (1 to the limit, no more than every component allows)."""
    quantity = parse_quantity(quantity)
    with transaction.atomic():
        _lock_cart(cart)
        pk = parse_id(line_id)
        line = cart.pack_lines.select_related("pack").filter(pk=pk).first() if pk else None
        if line is None:
            raise CartError(_("This item is no longer in your cart."))
        _check_packs_allowed(line.pack, quantity)
        line.quantity = quantity
        line.save(update_fields=["quantity"])
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return line


def remove_pack_line(cart: Cart, line_id: object) -> bool:
    """Remove a pack line; removing one that is already gone is not an error (returns False)."""
    pk = parse_id(line_id)
    deleted, _rows = cart.pack_lines.filter(pk=pk).delete() if pk else (0, {})
    return bool(deleted)


def _merge_pack_lines(guest: Cart, user_cart: Cart) -> None:
    """The guest's pack lines join the user's cart (quantities added, capped at the limit); checkout checks stock."""
    maximum = settings.CART_MAX_LINE_QUANTITY
    existing = {line.pack_id: line for line in user_cart.pack_lines.all()}
    for guest_line in guest.pack_lines.all():
        line = existing.get(guest_line.pack_id)
        if line is None:
            CartPackLine.objects.create(cart=user_cart, pack_id=guest_line.pack_id, quantity=guest_line.quantity)
        else:
            line.quantity = min(line.quantity + guest_line.quantity, maximum)
            line.save(update_fields=["quantity"])
