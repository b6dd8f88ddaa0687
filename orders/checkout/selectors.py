"""Reads for checkout: the cart priced as the customer sees it (with its fingerprint), the counters where it
could be collected, and whether it could be delivered.

Prices are always read from the variants, availability from the stock (``orders.availability``), the
shipping rule from the shop settings; the fingerprint changes when any of them changes. A gift pack in the cart
is one line the customer sees (``PackCartItem``), priced from the pack, and its components are items like any
other for stock and the order (``CartSummary.stock_items``), each priced at its share of the pack
(``catalog.packs``) and given what the lines before it left of the stock.

A coupon code kept on the cart (``Cart.coupon_code``) is read against the goods that can be bought every time the
cart is priced (``orders.coupons.selectors.quote``): ``CartSummary.coupon`` holds its discount or why it cannot be
used, the totals and the shipping fee count the discount, and the fingerprint carries the code and the discount, so
a discount that changed refuses a form shown before, like a price.

A consumption voucher chosen for the cart (``Cart.voucher``, ``orders.vouchers``) is read the same way after the
coupon: against the goods less the coupon's share of each (``CartSummary.voucher``); ``discount`` is the coupon's
plus the voucher's, and the fingerprint carries the voucher's code and discount too.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from wagtail.models import Site

from catalog.models import Location, Merchant, Pack, PackItem, Product, Stock, Variant
from catalog.packs import PackPart, split_price
from orders.availability import available_quantities, is_pack_sellable, is_sellable
from orders.checkout.shipping import ShippingRule, shipping_rule
from orders.coupons.selectors import CouponQuote, quote, split_discount
from orders.models import Cart, CartLine, CartPackLine, DeliveryMethod, Voucher
from orders.vouchers import selectors as vouchers
from orders.vouchers.selectors import VoucherQuote


@dataclass(frozen=True)
class CartItem:
    """One cart line priced from the current variant."""

    line: CartLine
    quantity: int
    unit_price: int
    available: int
    sellable: bool
    # A gift pack's component: the pack line it belongs to (``line`` is then an unsaved line of its variant).
    pack_line: CartPackLine | None = None

    @property
    def pack(self) -> Pack | None:
        return self.pack_line.pack if self.pack_line is not None else None

    @property
    def variant(self) -> Variant:
        return self.line.variant

    @property
    def product(self) -> Product:
        return self.line.variant.product

    @property
    def merchant(self) -> Merchant:
        return self.line.variant.product.merchant

    @property
    def name(self) -> str:
        """The product and variant names, as the customer reads them in messages."""
        return f"{self.product.display_name} {self.variant.name}"

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def in_stock(self) -> bool:
        return self.quantity <= self.available

    @property
    def problem(self) -> str:
        """Why this line cannot be bought as it is ("" when it can)."""
        if not self.sellable:
            return _("This product is no longer available.")
        if self.available <= 0:
            return _("Sold out.")
        if not self.in_stock:
            return _("Only %(available)d left.") % {"available": self.available}
        return ""


@dataclass(frozen=True)
class PackCartItem:
    """A gift pack line priced from the pack; ``parts`` are its components as cart items (units x packs, each
    at its share of the pack price), which sum to ``line_total``."""

    line: CartPackLine
    quantity: int
    unit_price: int
    parts: list[CartItem]
    sellable: bool

    @property
    def pack(self) -> Pack:
        return self.line.pack

    @property
    def name(self) -> str:
        return self.pack.name

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def problem(self) -> str:
        """Why this pack cannot be bought as it is ("" when it can): the first component's problem, named."""
        if not self.sellable:
            return _("This gift pack is no longer available.")
        for part in self.parts:
            if part.problem:
                return _("%(name)s in this pack: %(problem)s") % {"name": part.name, "problem": part.problem}
        return ""


@dataclass(frozen=True)
class CartSummary:
    """The cart as the customer sees it; ``fingerprint`` changes when anything they agreed to changes."""

    items: list[CartItem]
    rule: ShippingRule
    fingerprint: str = field(default="")
    packs: list[PackCartItem] = field(default_factory=list)
    coupon: CouponQuote | None = None
    voucher: VoucherQuote | None = None

    @property
    def coupon_discount(self) -> int:
        """The coupon's discount on the goods that can be bought (0 without a usable code)."""
        return self.coupon.discount if self.coupon is not None and self.coupon.usable else 0

    @property
    def voucher_discount(self) -> int:
        """The consumption voucher's discount after the coupon's (0 without a usable voucher)."""
        return self.voucher.discount if self.voucher is not None and self.voucher.usable else 0

    @property
    def discount(self) -> int:
        """Every discount on the goods: the coupon's and the voucher's."""
        return self.coupon_discount + self.voucher_discount

    @property
    def goods_total(self) -> int:
        """The goods after the discount."""
        return self.subtotal - self.discount

    @property
    def stock_items(self) -> list[CartItem]:
        """What is reserved and sold: the variant lines, then every pack's components."""
        return [*self.items, *(part for pack in self.packs for part in pack.parts)]

    @property
    def is_empty(self) -> bool:
        return not self.items and not self.packs

    @property
    def has_problems(self) -> bool:
        return any(item.problem for item in self.items) or any(pack.problem for pack in self.packs)

    @property
    def can_check_out(self) -> bool:
        return not self.is_empty and not self.has_problems

    @property
    def quantities(self) -> dict[int, int]:
        """Units wanted per variant id, packs' components included."""
        wanted: dict[int, int] = {}
        for item in self.stock_items:
            wanted[item.line.variant_id] = wanted.get(item.line.variant_id, 0) + item.quantity
        return wanted

    @property
    def subtotal(self) -> int:
        """The goods total of the lines that can be bought."""
        goods = sum(item.line_total for item in self.items if not item.problem)
        return goods + sum(pack.line_total for pack in self.packs if not pack.problem)

    def shipping_fee_for(self, method: str) -> int:
        return self.rule.fee_for(self.subtotal, method, discount=self.discount)

    def total_for(self, method: str) -> int:
        return self.subtotal - self.discount + self.shipping_fee_for(method)

    @property
    def shipping_fee(self) -> int:
        """The fee for delivery to an address (pickup is free)."""
        return self.shipping_fee_for(DeliveryMethod.DELIVERY)

    @property
    def total(self) -> int:
        return self.total_for(DeliveryMethod.DELIVERY)

    @property
    def amount_to_free_shipping(self) -> int:
        return max(self.rule.free_threshold - self.goods_total, 0)


def _fingerprint(
    items: list[CartItem],
    rule: ShippingRule,
    packs: list[PackCartItem] | None = None,
    coupon: CouponQuote | None = None,
    voucher: VoucherQuote | None = None,
) -> str:
    state = {
        "rule": [rule.fee, rule.free_threshold],
        "lines": sorted(
            [item.line.variant_id, item.quantity, item.unit_price, item.sellable, item.in_stock] for item in items
        ),
    }
    if packs:
        state["packs"] = sorted(
            [
                pack.line.pack_id,
                pack.quantity,
                pack.unit_price,
                pack.sellable,
                [[p.line.variant_id, p.quantity, p.unit_price, p.sellable, p.in_stock] for p in pack.parts],
            ]
            for pack in packs
        )
    if coupon is not None:
        state["coupon"] = [coupon.text, coupon.discount, coupon.usable]
    if voucher is not None:
        state["voucher"] = [voucher.voucher.code, voucher.discount, voucher.usable]
    return hashlib.sha256(json.dumps(state, separators=(",", ":")).encode()).hexdigest()[:32]


def _pack_lines(cart: Cart | None) -> list[tuple[CartPackLine, list[PackPart] | None, bool]]:
    """The cart's pack lines with their split (``None`` for a pack without items) and whether each is sellable."""
    if not cart or not cart.pk:
        return []
    with connection.cursor() as cursor:  # most carts hold none: a plain check spares building the query below
        cursor.execute("SELECT EXISTS (SELECT 1 FROM orders_cartpackline WHERE cart_id = %s)", [cart.pk])
        if not cursor.fetchone()[0]:
            return []
    items = PackItem.objects.select_related("variant__product__merchant", "variant__presale")
    lines = list(cart.pack_lines.select_related("pack").prefetch_related(Prefetch("pack__items", queryset=items)))
    result = []
    for line in lines:
        items = sorted(line.pack.items.all(), key=lambda item: (item.sort_order or 0, item.pk))
        result.append(
            (line, split_price(line.pack.price, items) if items else None, is_pack_sellable(line.pack, items))
        )
    return result


def cart_summary(cart: Cart | None, *, site: Site | None = None) -> CartSummary:
    """Lines with current prices and availability, totals and the fingerprint (three queries; four more when
    the cart holds gift packs)."""
    rule = shipping_rule(site)
    lines = (
        list(cart.lines.select_related("variant__product__merchant", "variant__presale")) if cart and cart.pk else []
    )
    pack_lines = _pack_lines(cart)
    variant_ids = {line.variant_id for line in lines}
    variant_ids.update(part.variant.pk for _line, parts, _ok in pack_lines for part in parts or [])
    available = available_quantities(sorted(variant_ids))
    items = [
        CartItem(
            line=line,
            quantity=line.quantity,
            unit_price=line.variant.price,
            available=available[line.variant_id],
            sellable=is_sellable(line.variant),
        )
        for line in lines
    ]
    # What the variant lines leave of each variant goes to the packs' components, in order.
    left = dict(available)
    for item in items:
        left[item.line.variant_id] -= item.quantity
    packs = []
    for pack_line, parts, sellable in pack_lines:
        pack_items = []
        for part in parts or []:
            units = part.quantity * pack_line.quantity
            pack_items.append(
                CartItem(
                    line=CartLine(cart=cart, variant=part.variant, quantity=units),
                    quantity=units,
                    unit_price=part.unit_price,
                    available=max(left[part.variant.pk], 0),
                    sellable=sellable,
                    pack_line=pack_line,
                )
            )
            left[part.variant.pk] -= units
        packs.append(
            PackCartItem(
                line=pack_line,
                quantity=pack_line.quantity,
                unit_price=pack_line.pack.price,
                parts=pack_items,
                sellable=sellable and bool(parts),
            )
        )
    coupon = _coupon(cart, items, packs)
    voucher = _voucher(cart, items, packs, coupon)
    return CartSummary(
        items=items,
        rule=rule,
        fingerprint=_fingerprint(items, rule, packs, coupon, voucher),
        packs=packs,
        coupon=coupon,
        voucher=voucher,
    )


def _goods(items: list[CartItem], packs: list[PackCartItem]) -> list[tuple[Product, int]]:
    """(product, line total) of what can be bought: variant lines, and each pack's components at their share."""
    goods = [(item.product, item.line_total) for item in items if not item.problem]
    return goods + [(part.product, part.line_total) for pack in packs if not pack.problem for part in pack.parts]


def _coupon(cart: Cart | None, items: list[CartItem], packs: list[PackCartItem]) -> CouponQuote | None:
    """The cart's coupon code read against the goods that can be bought (none without a code: no query)."""
    if cart is None or not cart.coupon_code:
        return None
    return quote(cart.coupon_code, _goods(items, packs))


def after_coupon(goods: list[tuple[Product, int]], coupon: CouponQuote | None) -> list[tuple[Product, int]]:
    """``goods`` less each one's share of the coupon's discount (the voucher counts what the coupon leaves)."""
    if coupon is None or not coupon.usable:
        return goods
    shares = split_discount(coupon.discount, [(p.pk in coupon.eligible_products, total) for p, total in goods])
    return [(product, total - share) for (product, total), share in zip(goods, shares, strict=True)]


def _voucher(
    cart: Cart | None, items: list[CartItem], packs: list[PackCartItem], coupon: CouponQuote | None
) -> VoucherQuote | None:
    """The cart's voucher read against the goods after the coupon (none chosen: no query)."""
    if cart is None or not cart.voucher_id:
        return None
    voucher = Voucher.objects.select_related("batch").filter(pk=cart.voucher_id).first()
    if voucher is None:
        return None
    own = "" if cart.user_id is None or voucher.user_id == cart.user_id else _("This consumption voucher is not yours.")
    return vouchers.quote(voucher, after_coupon(_goods(items, packs), coupon), own_problem=own)


def coupon_quote(summary: CartSummary, text: str) -> CouponQuote:
    """The code ``text`` read against the cart as ``summary`` shows it (a code being typed, before it is kept)."""
    return quote(text, _goods(summary.items, summary.packs))


def pickup_counters(quantities: dict[int, int]) -> QuerySet[Location]:
    """Active counters holding enough available stock of every variant (variant id → quantity), in one query."""
    if not quantities:
        return Location.objects.none()
    enough = Q()
    for variant_id, quantity in quantities.items():
        enough |= Q(variant_id=variant_id, on_hand__gte=F("allocated") + quantity)
    # Only the cart's stock rows are read (by the variant index), not every row of every counter.
    holding = (
        Stock.objects.filter(enough, variant_id__in=list(quantities))
        .values("location_id")
        .annotate(lines_in_stock=Count("pk"))
        .filter(lines_in_stock=len(quantities))
        .values("location_id")
    )
    return Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True, pk__in=holding).order_by(
        "county", "name"
    )


def pickup_counters_for_cart(cart: Cart | None) -> QuerySet[Location]:
    """The counters where this cart could be collected."""
    if not cart or not cart.pk:
        return Location.objects.none()
    if cart.pack_lines.exists():
        return pickup_counters(cart_summary(cart).quantities)
    return pickup_counters(dict(cart.lines.values_list("variant_id", "quantity")))


def can_deliver(quantities: dict[int, int]) -> bool:
    """Whether the active warehouses together hold enough of every variant for home delivery."""
    if not quantities:
        return False
    free: dict[int, int] = {}
    rows = Stock.objects.filter(
        variant_id__in=list(quantities), location__kind=Location.Kind.WAREHOUSE, location__is_active=True
    ).values_list("variant_id", "on_hand", "allocated")
    for variant_id, on_hand, allocated in rows:
        free[variant_id] = free.get(variant_id, 0) + max(on_hand - allocated, 0)
    return all(free.get(variant_id, 0) >= quantity for variant_id, quantity in quantities.items())
