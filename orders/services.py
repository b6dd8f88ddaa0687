"""Writes and rules of the order pipeline: the cart, placing an order, paying, cancelling, expiry, fulfilment.

Lock order, everywhere: cart row, then order row, then ``Stock`` rows by primary key (through
``catalog.services``). Nothing locks them the other way round, so checkouts cannot deadlock.
Errors raised here carry a translated message meant for the customer or the back-office user.
"""

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.models import Site

from catalog.models import Location, Stock, StockMovement, Variant
from catalog.services import InsufficientStock, StockChange, apply_stock_changes, lock_stocks
from orders.aid.services import credit_order
from orders.models import Cart, CartLine, DeliveryMethod, Fulfilment, Order, OrderEvent, OrderLine, OrderStatus
from orders.selectors import (
    CartItem,
    CartSummary,
    User,
    available_quantities,
    cart_summary,
    get_cart,
    is_sellable,
    pickup_counters,
    sellable_variants,
)
from orders.state import InvalidTransition, OrderError, check_transition, lock_order, transition, transition_fulfilment
from worker import messages as notify

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
POSTAL_CODE_RE = re.compile(r"[0-9]{6}")
TAX_ID_RE = re.compile(r"[0-9A-Z]{15,20}")
QUANTITY_RE = re.compile(r"[0-9]{1,9}")
ID_RE = re.compile(r"[0-9]{1,18}")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Ledger reasons and system notes are written in the site's language, whoever triggers them.
REASON_RESERVED = gettext_lazy("Reserved for order")
REASON_SOLD = gettext_lazy("Sold: order paid")
REASON_CANCELLED = gettext_lazy("Order cancelled: reservation released")
REASON_EXPIRED = gettext_lazy("Order not paid in time: reservation released")
NOTE_LATE_PAYMENT = gettext_lazy("Payment %(reference)s arrived for an order that is %(status)s: refund it.")
NOTE_PAYMENT = gettext_lazy("Payment reference: %(reference)s")


class CartError(OrderError):
    """A cart change that is refused (bad quantity, product not available, not enough stock)."""


class CheckoutError(OrderError):
    """Checkout refused; ``errors`` maps form field names (or ``__all__``) to messages."""

    def __init__(self, message: str | dict[str, list[str]]):
        if isinstance(message, dict):
            self.errors = message
            message = " ".join(msg for messages in message.values() for msg in messages)
        else:
            self.errors = {NON_FIELD_ERRORS: [message]}
        super().__init__(message)


class CartChanged(CheckoutError):
    """The cart is no longer what the customer saw (price, availability, shipping): show it again."""


class SoldOut(CartChanged, InsufficientStock):
    """Not enough stock left for a line: the customer gets a clear "sold out" and the cart again."""


def _who(actor: User | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


def _site_text(message: object, **params: object) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
        return (text % params if params else text)[:255]


# --- The cart -------------------------------------------------------------------------------


def parse_quantity(value: object) -> int:
    """A whole number from 1 to ``CART_MAX_LINE_QUANTITY`` (an int or digits), or ``CartError``."""
    maximum = settings.CART_MAX_LINE_QUANTITY
    if isinstance(value, str) and QUANTITY_RE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise CartError(_("Quantity must be a whole number from 1 to %(max)d.") % {"max": maximum})
    return value


def _parse_id(value: object) -> int | None:
    if isinstance(value, str) and ID_RE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        return None
    return value


def _sellable_variant(variant_id: object) -> Variant:
    pk = _parse_id(variant_id)
    variant = sellable_variants().select_related("product__merchant").filter(pk=pk).first() if pk else None
    if variant is None:
        raise CartError(_("This product is not available."))
    return variant


def _check_quantity_allowed(variant: Variant, quantity: int) -> None:
    maximum = settings.CART_MAX_LINE_QUANTITY
    if quantity > maximum:
        raise CartError(_("You can buy at most %(max)d of one item.") % {"max": maximum})
    available = available_quantities([variant.pk])[variant.pk]
    name = f"{variant.product.name} {variant.name}"
    if available <= 0:
        raise CartError(_("%(name)s is sold out.") % {"name": name})
    if quantity > available:
        raise CartError(_("Only %(available)d of %(name)s left.") % {"available": available, "name": name})


def _lock_cart(cart: Cart) -> None:
    if not Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk", flat=True):
        raise CartError(_("Your cart has expired. Please add the items again."))


def _cart_line(cart: Cart, line_id: object) -> CartLine:
    pk = _parse_id(line_id)
    line = cart.lines.select_related("variant__product__merchant").filter(pk=pk).first() if pk else None
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
    pk = _parse_id(line_id)
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
        guest_lines = list(guest.lines.select_related("variant__product__merchant"))
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


# --- Checkout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Delivery:
    """How the order reaches the customer: ``pickup`` at ``pickup_location`` or ``delivery`` to the address."""

    method: str
    pickup_location: object = None
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class Invoice:
    """A request for a fapiao (发票): the title, and the taxpayer ID for a company."""

    title: str = ""
    tax_id: str = ""


def _text(value: object) -> str:
    """Form text, stripped; NUL characters (which PostgreSQL cannot store) are dropped."""
    return str(value or "").replace("\x00", "").strip()


def normalize_phone(phone: str) -> str:
    """Drop spaces, hyphens and a +86 prefix; mainland mobile numbers are then 11 digits starting 1[3-9]."""
    phone = re.sub(r"[\s-]", "", _text(phone))
    return phone.removeprefix("+86")


def _validate_checkout(
    contact: Contact, delivery: Delivery, invoice: Invoice | None, note: str
) -> tuple[dict[str, object], Location | None]:
    """The order's contact, address and invoice fields, cleaned; or a ``CheckoutError`` with field errors."""
    errors: dict[str, list[str]] = {}
    fields: dict[str, object] = {}

    def required(name: str, value: str, max_length: int, message: str) -> str:
        value = _text(value)
        if not value:
            errors.setdefault(name, []).append(message)
        elif len(value) > max_length:
            errors.setdefault(name, []).append(_("Use at most %(max)d characters.") % {"max": max_length})
        return value

    fields["contact_name"] = required("name", contact.name, 64, _("Enter your name."))
    phone = normalize_phone(contact.phone)
    if not PHONE_RE.fullmatch(phone):
        errors.setdefault("phone", []).append(_("Enter a mainland China mobile number (11 digits, starting with 1)."))
    fields["contact_phone"] = phone
    email = _text(contact.email)
    try:
        validate_email(email)
    except ValidationError:
        errors.setdefault("email", []).append(_("Enter a valid e-mail address."))
    fields["contact_email"] = email

    method = delivery.method
    pickup_location = None
    if method not in DeliveryMethod.values:
        errors.setdefault("method", []).append(_("Choose pickup at a counter or delivery to an address."))
    elif method == DeliveryMethod.PICKUP:
        pk = _parse_id(delivery.pickup_location)
        pickup_location = (
            Location.objects.filter(pk=pk, kind=Location.Kind.COUNTER, is_active=True).first() if pk else None
        )
        if pickup_location is None:
            errors.setdefault("pickup_location", []).append(_("Choose a counter to collect your order from."))
    else:
        fields["province"] = required("province", delivery.province, 32, _("Enter the province."))
        fields["city"] = required("city", delivery.city, 32, _("Enter the city."))
        fields["district"] = required("district", delivery.district, 32, _("Enter the district."))
        fields["street"] = required("street", delivery.street, 200, _("Enter the street address."))
        postal_code = _text(delivery.postal_code)
        if not POSTAL_CODE_RE.fullmatch(postal_code):
            errors.setdefault("postal_code", []).append(_("Enter a 6-digit postal code."))
        fields["postal_code"] = postal_code
    fields["delivery_method"] = method

    if invoice is not None and (_text(invoice.title) or _text(invoice.tax_id)):
        fields["invoice_requested"] = True
        fields["invoice_title"] = required(
            "invoice_title", invoice.title, 128, _("Enter the invoice title (your name or the company's).")
        )
        tax_id = _text(invoice.tax_id).upper()
        if tax_id and not TAX_ID_RE.fullmatch(tax_id):
            errors.setdefault("invoice_tax_id", []).append(
                _("A taxpayer ID has 15 to 20 letters and digits (18 for a unified social credit code).")
            )
        fields["invoice_tax_id"] = tax_id

    note = _text(note)
    if len(note) > 500:
        errors.setdefault("note", []).append(_("Use at most %(max)d characters.") % {"max": 500})
    fields["note"] = note

    if errors:
        raise CheckoutError(errors)
    return fields, pickup_location


def _clean_checkout_token(token: object) -> str:
    token = token.strip() if isinstance(token, str) else ""
    if not TOKEN_RE.fullmatch(token):
        raise CheckoutError(_("This checkout form is out of date. Please check your order and place it again."))
    return token


def new_checkout_token() -> str:
    """A fresh token for a checkout form; placing twice with the same token gives one order."""
    return secrets.token_urlsafe(24)


def _item_name(item: CartItem) -> str:
    return f"{item.product.name} {item.variant.name}"


def _refuse_changed_cart(summary: CartSummary, expected_fingerprint: str) -> None:
    for item in summary.items:
        if not item.sellable:
            raise CartChanged(
                _("%(name)s is no longer available. Please remove it from your cart.") % {"name": _item_name(item)}
            )
    for item in summary.items:
        if not item.in_stock:
            raise SoldOut(
                _("Sorry, %(name)s is sold out or not enough is left (%(available)d). Please check your cart.")
                % {"name": _item_name(item), "available": item.available}
            )
    if summary.fingerprint != expected_fingerprint:
        raise CartChanged(
            _("Prices or shipping have changed since you saw your cart. Please check your order and place it again.")
        )


def _plan_allocation(summary: CartSummary, pickup_location: Location | None) -> list[tuple[CartItem, Location, int]]:
    """Lock the stock rows that could serve the cart and choose where each unit comes from.

    Pickup takes everything from the chosen counter. Delivery takes each line from one active
    warehouse holding enough (the first by id), or splits it over several. ``SoldOut`` if short.
    """
    if pickup_location is not None:
        locations = {pickup_location.pk: pickup_location}
    else:
        locations = {loc.pk: loc for loc in Location.objects.filter(kind=Location.Kind.WAREHOUSE, is_active=True)}
    pairs = Stock.objects.filter(variant_id__in=list(summary.quantities), location_id__in=list(locations))
    stocks = lock_stocks(pairs.values_list("variant_id", "location_id"))
    plan = []
    for item in summary.items:
        candidates = sorted(
            (s for (variant_id, _loc), s in stocks.items() if variant_id == item.line.variant_id and s.available > 0),
            key=lambda s: s.pk,
        )
        whole = [s for s in candidates if s.available >= item.quantity]
        if whole:
            plan.append((item, locations[whole[0].location_id], item.quantity))
            continue
        if sum(s.available for s in candidates) < item.quantity:
            if pickup_location is not None:
                raise SoldOut(
                    _("Sorry, %(counter)s no longer has enough %(name)s. Choose another counter or delivery.")
                    % {"counter": pickup_location.name, "name": _item_name(item)}
                )
            raise SoldOut(
                _("Sorry, %(name)s is sold out or not enough is left. Please check your cart.")
                % {"name": _item_name(item)}
            )
        needed = item.quantity
        for stock in sorted(candidates, key=lambda s: (-s.available, s.pk)):
            take = min(needed, stock.available)
            plan.append((item, locations[stock.location_id], take))
            needed -= take
            if needed == 0:
                break
    return plan


def order_number(order: Order) -> str:
    """``DX<date in Asia/Shanghai>-<id, 6 digits or more>``, e.g. DX20261129-000123."""
    return f"DX{timezone.localtime(order.created_at, SHANGHAI):%Y%m%d}-{order.pk:06d}"


def _existing_checkout(token: str, cart: Cart) -> Order | None:
    order = Order.objects.filter(checkout_token=token).first()
    if order is not None and order.cart_id != cart.pk:
        raise CheckoutError(_("This checkout form has already been used. Please start checkout again."))
    return order


def place_order(
    *,
    cart: Cart,
    contact: Contact,
    delivery: Delivery,
    invoice: Invoice | None = None,
    note: str = "",
    checkout_token: str,
    expected_fingerprint: str,
    user: User | None = None,
    language: str | None = None,
    site: Site | None = None,
) -> Order:
    """Turn the cart into an order awaiting payment, in one transaction.

    Validates the form data (``CheckoutError`` with field errors), refuses a cart that changed since
    the customer saw it (``CartChanged``, ``SoldOut`` when stock ran out), locks the stock rows by
    primary key and reserves the units (``allocated``, ledger kind ALLOCATE), creates the order with
    line snapshots and per-producer, per-location fulfilments, and empties the cart. Submitting again
    with the same ``checkout_token`` returns the first order.
    """
    fields, pickup_location = _validate_checkout(contact, delivery, invoice, note)
    token = _clean_checkout_token(checkout_token)
    try:
        with transaction.atomic():
            if not Cart.objects.select_for_update().filter(pk=cart.pk).values_list("pk", flat=True):
                existing = _existing_checkout(token, cart)
                if existing is not None:
                    return existing
                raise CheckoutError(_("Your cart is empty."))
            existing = _existing_checkout(token, cart)
            if existing is not None:
                return existing
            return _place_locked_cart(
                cart=cart,
                fields=fields,
                pickup_location=pickup_location,
                token=token,
                expected_fingerprint=expected_fingerprint,
                user=_who(user),
                language=language if language is not None else translation.get_language() or "",
                site=site,
            )
    except IntegrityError:
        # A concurrent submit with the same token won the race; its order is the answer.
        existing = _existing_checkout(token, cart)
        if existing is None:
            raise
        return existing


def _place_locked_cart(
    *,
    cart: Cart,
    fields: dict[str, object],
    pickup_location: Location | None,
    token: str,
    expected_fingerprint: str,
    user: AbstractBaseUser | None,
    language: str,
    site: Site | None,
) -> Order:
    summary = cart_summary(cart, site=site)
    if summary.is_empty:
        raise CheckoutError(_("Your cart is empty."))
    _refuse_changed_cart(summary, expected_fingerprint)
    if pickup_location is not None and not pickup_counters(summary.quantities).filter(pk=pickup_location.pk).exists():
        raise CheckoutError(
            {"pickup_location": [_("This counter does not hold enough stock for your order. Choose another.")]}
        )
    plan = _plan_allocation(summary, pickup_location)

    method = fields["delivery_method"]
    subtotal = sum(item.unit_price * quantity for item, _loc, quantity in plan)
    shipping_fee = summary.rule.fee_for(subtotal, method)
    now = timezone.now()
    order = Order.objects.create(
        number=f"NEW-{uuid.uuid4().hex}",
        token=secrets.token_urlsafe(24),
        checkout_token=token,
        user=user,
        cart=cart,
        pickup_location=pickup_location,
        subtotal=subtotal,
        shipping_fee=shipping_fee,
        total=subtotal + shipping_fee,
        language=language[:16],
        expires_at=now + timedelta(minutes=settings.ORDER_RESERVATION_MINUTES),
        created_at=now,
        **fields,
    )
    order.number = order_number(order)
    order.save(update_fields=["number"])

    apply_stock_changes(
        [StockChange(item.variant, location, 0, quantity) for item, location, quantity in plan],
        kind=StockMovement.Kind.ALLOCATE,
        actor=user,
        reason=_site_text(REASON_RESERVED),
        reference=order.number,
    )
    fulfilments: dict[tuple[int, int], Fulfilment] = {}
    lines = []
    for item, location, quantity in plan:
        key = (item.merchant.pk, location.pk)
        if key not in fulfilments:
            fulfilments[key] = Fulfilment.objects.create(
                order=order, merchant=item.merchant, location=location, method=method
            )
        lines.append(
            OrderLine(
                order=order,
                fulfilment=fulfilments[key],
                variant=item.variant,
                merchant=item.merchant,
                location=location,
                product_name=item.product.name,
                variant_name=item.variant.name,
                sku=item.variant.sku,
                merchant_name=item.merchant.name,
                location_name=location.name,
                unit_price=item.unit_price,
                quantity=quantity,
                line_total=item.unit_price * quantity,
            )
        )
    OrderLine.objects.bulk_create(lines)
    OrderEvent.objects.create(
        order=order, actor=user, kind=OrderEvent.Kind.PLACED, to_status=OrderStatus.PENDING_PAYMENT
    )
    cart.lines.all().delete()
    return order


# --- After placing: payment, cancellation, expiry ---------------------------------------------


def _move_order_stock(order: Order, *, kind: str, actor: AbstractBaseUser | None, reason: str) -> None:
    """Release the order's reservation (RELEASE) or turn it into a sale (SALE)."""
    lines = list(order.lines.select_related("variant", "location"))
    on_hand_change = -1 if kind == StockMovement.Kind.SALE else 0
    apply_stock_changes(
        [StockChange(line.variant, line.location, on_hand_change * line.quantity, -line.quantity) for line in lines],
        kind=kind,
        actor=actor,
        reason=_site_text(reason),
        reference=order.number,
    )


def _cancel_fulfilments(order: Order) -> None:
    order.fulfilments.filter(status=Fulfilment.Status.PENDING).update(
        status=Fulfilment.Status.CANCELLED, updated_at=timezone.now()
    )


def _is_overdue(order: Order, now: datetime) -> bool:
    return order.status == OrderStatus.PENDING_PAYMENT and order.expires_at <= now


def _expire_locked(order: Order) -> None:
    _move_order_stock(order, kind=StockMovement.Kind.RELEASE, actor=None, reason=REASON_EXPIRED)
    _cancel_fulfilments(order)
    transition(order, OrderStatus.EXPIRED)


def mark_paid(order: Order, *, actor: User | None = None, note: str = "", payment_reference: str = "") -> Order:
    """Record the payment of an unpaid order: its reserved units become sold (on hand and allocated go down).

    Refused with ``InvalidTransition`` unless the order is awaiting payment and its reservation has not
    run out. An order found overdue is expired on the spot; a payment arriving for an expired or
    cancelled order flags it for review (someone must refund it) before refusing.
    """
    payment_reference = _text(payment_reference)[:64]
    refusal = None
    with transaction.atomic():
        lock_order(order)
        if _is_overdue(order, timezone.now()):
            _expire_locked(order)
        if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
            status_label = str(OrderStatus(order.status).label).lower()
            Order.objects.filter(pk=order.pk).update(needs_review=True)
            order.needs_review = True
            OrderEvent.objects.create(
                order=order,
                actor=_who(actor),
                kind=OrderEvent.Kind.NOTE,
                note=_site_text(NOTE_LATE_PAYMENT, reference=payment_reference or "-", status=status_label),
            )
            refusal = InvalidTransition(
                _("This order is %(status)s and can no longer be paid.") % {"status": status_label}
            )
        else:
            check_transition(order, OrderStatus.PAID)
            _move_order_stock(order, kind=StockMovement.Kind.SALE, actor=_who(actor), reason=REASON_SOLD)
            order.paid_at = timezone.now()
            Order.objects.filter(pk=order.pk).update(paid_at=order.paid_at)
            credit_order(order)
            parts = [_text(note)]
            if payment_reference:
                parts.append(_site_text(NOTE_PAYMENT, reference=payment_reference))
            transition(order, OrderStatus.PAID, actor=actor, note=" ".join(p for p in parts if p))
            notify.order_paid(order)
    if refusal is not None:
        raise refusal
    return order


def cancel_order(order: Order, *, actor: User | None, reason: str = "") -> Order:
    """Cancel an unpaid order; its reserved stock is released at once."""
    with transaction.atomic():
        lock_order(order)
        check_transition(order, OrderStatus.CANCELLED)
        _move_order_stock(order, kind=StockMovement.Kind.RELEASE, actor=_who(actor), reason=REASON_CANCELLED)
        _cancel_fulfilments(order)
        transition(order, OrderStatus.CANCELLED, actor=actor, note=_text(reason))
    return order


def expire_order(order: Order, *, now: datetime | None = None) -> bool:
    """Expire the order if it is still unpaid past its time (releasing its stock); False if not due.

    Safe to call at any time and from several workers: the order row is locked and re-checked.
    """
    with transaction.atomic():
        lock_order(order)
        if not _is_overdue(order, now or timezone.now()):
            return False
        _expire_locked(order)
    return True


def expire_overdue_orders(now: datetime | None = None) -> int:
    """Expire every unpaid order past its reservation time; returns how many were expired."""
    now = now or timezone.now()
    due = Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now).order_by("expires_at", "pk")
    return sum(expire_order(order, now=now) for order in due)


# --- Fulfilment ---------------------------------------------------------------------------------


def mark_fulfilling(order: Order, *, actor: User | None = None, note: str = "") -> Order:
    """A paid order is being prepared."""
    return transition(order, OrderStatus.FULFILLING, actor=actor, note=note)


FULFILMENT_PROGRESS = {
    Fulfilment.Status.PENDING: 0,
    Fulfilment.Status.READY_FOR_PICKUP: 1,
    Fulfilment.Status.SHIPPED: 1,
    Fulfilment.Status.COMPLETED: 2,
}


def _step_fulfilment(
    fulfilment: Fulfilment, to_status: str, *, actor: User | None, note: str, **fields: str
) -> Fulfilment:
    """Move a fulfilment, then the order with it: ready or shipped when every part is, completed likewise."""
    with transaction.atomic():
        order = lock_order(Order(pk=fulfilment.order_id))
        if order.status == OrderStatus.PAID:
            transition(order, OrderStatus.FULFILLING, actor=actor)
        if order.status not in (OrderStatus.FULFILLING, OrderStatus.READY_FOR_PICKUP, OrderStatus.SHIPPED):
            raise InvalidTransition(
                _("The order is %(status)s; its fulfilments cannot change.")
                % {"status": str(OrderStatus(order.status).label).lower()}
            )
        fulfilment = transition_fulfilment(fulfilment, to_status, actor=actor, note=note, **fields)
        if to_status == Fulfilment.Status.READY_FOR_PICKUP:
            notify.fulfilment_ready(fulfilment)
        elif to_status == Fulfilment.Status.SHIPPED:
            notify.fulfilment_shipped(fulfilment)
        statuses = order.fulfilments.exclude(status=Fulfilment.Status.CANCELLED).values_list("status", flat=True)
        progress = min(FULFILMENT_PROGRESS[status] for status in statuses)
        if progress >= 1 and order.status == OrderStatus.FULFILLING:
            handed_over = (
                OrderStatus.READY_FOR_PICKUP if order.delivery_method == DeliveryMethod.PICKUP else OrderStatus.SHIPPED
            )
            transition(order, handed_over, actor=actor)
        if progress >= 2 and order.status in (OrderStatus.READY_FOR_PICKUP, OrderStatus.SHIPPED):
            transition(order, OrderStatus.COMPLETED, actor=actor)
    return fulfilment


def mark_fulfilment_ready(fulfilment: Fulfilment, *, actor: User | None, note: str = "") -> Fulfilment:
    """A pickup fulfilment is packed at the counter; it gets a 6-digit pickup code."""
    code = f"{secrets.randbelow(10**6):06d}"
    return _step_fulfilment(fulfilment, Fulfilment.Status.READY_FOR_PICKUP, actor=actor, note=note, pickup_code=code)


def mark_fulfilment_shipped(
    fulfilment: Fulfilment, *, actor: User | None, carrier: str, tracking_number: str, note: str = ""
) -> Fulfilment:
    """A delivery fulfilment left the warehouse with a carrier and tracking number."""
    carrier, tracking_number = _text(carrier), _text(tracking_number)
    if not carrier or not tracking_number:
        raise OrderError(_("Enter the carrier and the tracking number."))
    if len(carrier) > 64 or len(tracking_number) > 64:
        raise OrderError(_("Use at most %(max)d characters.") % {"max": 64})
    return _step_fulfilment(
        fulfilment,
        Fulfilment.Status.SHIPPED,
        actor=actor,
        note=note,
        carrier=carrier,
        tracking_number=tracking_number,
    )


def complete_fulfilment(fulfilment: Fulfilment, *, actor: User | None, note: str = "") -> Fulfilment:
    """The customer collected (or received) this part of the order."""
    return _step_fulfilment(fulfilment, Fulfilment.Status.COMPLETED, actor=actor, note=note)
