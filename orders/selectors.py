"""Reads for the cart, checkout and order pages: current prices, availability and shipping."""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.utils.translation import gettext as _
from wagtail.models import Site

from catalog.models import Location, Merchant, Product, Stock, Variant
from catalog.selectors import member_merchant_ids, merchants_for_user, sees_all_merchants, staffed_location_ids
from orders.aid.selectors import hidden_for_expired_certificate, is_hidden_for_expired_certificate
from orders.models import Cart, CartLine, DeliveryMethod, Fulfilment, Order, OrderEvent, OrderLine, ShopSettings
from orders.pricing import ShippingRule

User = AbstractBaseUser | AnonymousUser


def sellable_variants() -> QuerySet[Variant]:
    """Variants a customer may buy: active, of a published product of an active producer, not taken off
    sale for an expired aid certificate."""
    variants = Variant.objects.filter(is_active=True, product__is_published=True, product__merchant__is_active=True)
    hidden = hidden_for_expired_certificate("product__")
    return variants if hidden is None else variants.exclude(hidden)


def is_sellable(variant: Variant) -> bool:
    """The same rule as ``sellable_variants`` for a variant loaded with its product and merchant."""
    product = variant.product
    return (
        variant.is_active
        and product.is_published
        and product.merchant.is_active
        and not is_hidden_for_expired_certificate(product)
    )


def available_quantities(variant_ids: list[int]) -> dict[int, int]:
    """How many of each variant one order could get: all active warehouses together, or the best counter."""
    warehouse_total: dict[int, int] = {}
    best_counter: dict[int, int] = {}
    rows = Stock.objects.filter(variant_id__in=variant_ids, location__is_active=True).values_list(
        "variant_id", "location__kind", "on_hand", "allocated"
    )
    for variant_id, kind, on_hand, allocated in rows:
        free = max(on_hand - allocated, 0)
        if kind == Location.Kind.WAREHOUSE:
            warehouse_total[variant_id] = warehouse_total.get(variant_id, 0) + free
        else:
            best_counter[variant_id] = max(best_counter.get(variant_id, 0), free)
    return {vid: max(warehouse_total.get(vid, 0), best_counter.get(vid, 0)) for vid in variant_ids}


def shipping_rule(site: Site | None = None) -> ShippingRule:
    """The operators' shipping fee rule (Settings → Shop settings) of the given or default site."""
    site = site or Site.objects.filter(is_default_site=True).first()
    shop = ShopSettings.for_site(site) if site else ShopSettings()
    return ShippingRule(fee=shop.shipping_fee, free_threshold=shop.free_shipping_threshold)


def get_cart(*, token: str | uuid.UUID | None = None, user: User | None = None) -> Cart | None:
    """A signed-in user's cart, or the guest cart with this token (never another user's cart)."""
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    if not token:
        return None
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return None
    return Cart.objects.filter(token=token, user__isnull=True).first()


@dataclass(frozen=True)
class CartItem:
    """One cart line priced from the current variant."""

    line: CartLine
    quantity: int
    unit_price: int
    available: int
    sellable: bool

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
class CartSummary:
    """The cart as the customer sees it; ``fingerprint`` changes when anything they agreed to changes."""

    items: list[CartItem]
    rule: ShippingRule
    fingerprint: str = field(default="")

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def has_problems(self) -> bool:
        return any(item.problem for item in self.items)

    @property
    def can_check_out(self) -> bool:
        return not self.is_empty and not self.has_problems

    @property
    def quantities(self) -> dict[int, int]:
        return {item.line.variant_id: item.quantity for item in self.items}

    @property
    def subtotal(self) -> int:
        """The goods total of the lines that can be bought."""
        return sum(item.line_total for item in self.items if not item.problem)

    def shipping_fee_for(self, method: str) -> int:
        return self.rule.fee_for(self.subtotal, method)

    def total_for(self, method: str) -> int:
        return self.subtotal + self.shipping_fee_for(method)

    @property
    def shipping_fee(self) -> int:
        """The fee for delivery to an address (pickup is free)."""
        return self.shipping_fee_for(DeliveryMethod.DELIVERY)

    @property
    def total(self) -> int:
        return self.total_for(DeliveryMethod.DELIVERY)

    @property
    def amount_to_free_shipping(self) -> int:
        return max(self.rule.free_threshold - self.subtotal, 0)


def _fingerprint(items: list[CartItem], rule: ShippingRule) -> str:
    state = {
        "rule": [rule.fee, rule.free_threshold],
        "lines": sorted(
            [item.line.variant_id, item.quantity, item.unit_price, item.sellable, item.in_stock] for item in items
        ),
    }
    return hashlib.sha256(json.dumps(state, separators=(",", ":")).encode()).hexdigest()[:32]


def cart_summary(cart: Cart | None, *, site: Site | None = None) -> CartSummary:
    """Lines with current prices and availability, totals and the fingerprint (three queries)."""
    rule = shipping_rule(site)
    lines = list(cart.lines.select_related("variant__product__merchant")) if cart and cart.pk else []
    available = available_quantities([line.variant_id for line in lines])
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
    return CartSummary(items=items, rule=rule, fingerprint=_fingerprint(items, rule))


def pickup_counters(quantities: dict[int, int]) -> QuerySet[Location]:
    """Active counters holding enough available stock of every variant (variant id → quantity), in one query."""
    if not quantities:
        return Location.objects.none()
    enough = Q()
    for variant_id, quantity in quantities.items():
        enough |= Q(stocks__variant_id=variant_id, stocks__on_hand__gte=F("stocks__allocated") + quantity)
    return (
        Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True)
        .annotate(lines_in_stock=Count("stocks", filter=enough))
        .filter(lines_in_stock=len(quantities))
        .order_by("district", "name")
    )


def pickup_counters_for_cart(cart: Cart | None) -> QuerySet[Location]:
    """The counters where this cart could be collected."""
    if not cart or not cart.pk:
        return Location.objects.none()
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


def _order_queryset() -> QuerySet[Order]:
    return Order.objects.select_related("pickup_location").prefetch_related(
        "lines", Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("location", "merchant"))
    )


def get_order_by_token(token: str) -> Order | None:
    """The order behind a public status-page link, with its lines and fulfilments."""
    if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token):
        return None
    return _order_queryset().filter(token=token).first()


def orders_for_user(user: User) -> QuerySet[Order]:
    """A signed-in customer's own orders, newest first."""
    if not user.is_authenticated:
        return Order.objects.none()
    return _order_queryset().filter(user=user)


def order_history(order: Order) -> QuerySet[OrderEvent]:
    return order.events.select_related("actor", "fulfilment")


# --- The back office: who sees which orders, lines, fulfilments and events ------------------------
#
# Operators (and anyone who sees every merchant) see everything. A producer's members see the orders
# holding one of its lines, and of those only its own lines and fulfilments; counter staff see what is
# handed over at their counters. A fulfilment belongs to one producer at one location, and so do its
# lines, so the three scopes agree: an order is visible exactly when one of its lines is.


def _lines_in_scope(user: User) -> Q | None:
    """The condition on ``OrderLine`` (and ``Fulfilment``, which has the same two fields); None: no limit."""
    if sees_all_merchants(user):
        return None
    return Q(merchant_id__in=member_merchant_ids(user)) | Q(location_id__in=staffed_location_ids(user))


def orders_for_backoffice_user(user: User, queryset: QuerySet | None = None) -> QuerySet[Order]:
    """The orders the user may open in the back office, shaped for the listing and the order page.

    Annotated with ``visible_subtotal`` (the goods total of the lines the user sees) and
    ``contact_visible`` (whether the user may see the customer's contact details: operators, and counter
    staff for orders handed over at their counter; not producers).
    """
    queryset = (Order.objects.all() if queryset is None else queryset).select_related("pickup_location")
    condition = _lines_in_scope(user)
    if condition is None:
        return queryset.annotate(visible_subtotal=F("subtotal"), contact_visible=Value(True))
    visible_lines = OrderLine.objects.filter(condition, order=OuterRef("pk"))
    subtotal = visible_lines.order_by().values("order").annotate(amount=Sum("line_total")).values("amount")
    counters = staffed_location_ids(user)
    at_own_counter = (
        Exists(Fulfilment.objects.filter(order=OuterRef("pk"), location_id__in=counters)) if counters else Value(False)
    )
    return queryset.filter(Exists(visible_lines)).annotate(
        visible_subtotal=Subquery(subtotal), contact_visible=at_own_counter
    )


def lines_for_backoffice_user(user: User, order: Order) -> QuerySet[OrderLine]:
    """The order's lines the user may see (its own producers' lines, or those handed over at its counters)."""
    condition = _lines_in_scope(user)
    lines = order.lines.order_by("fulfilment_id", "pk")
    return lines if condition is None else lines.filter(condition)


def fulfilments_for_backoffice_user(user: User, queryset: QuerySet | None = None) -> QuerySet[Fulfilment]:
    """Fulfilments of the user's producers or at the user's counters (all of them for operators)."""
    queryset = (Fulfilment.objects.all() if queryset is None else queryset).select_related(
        "order", "merchant", "location"
    )
    condition = _lines_in_scope(user)
    return queryset if condition is None else queryset.filter(condition)


def fulfilments_user_may_ship(user: User, queryset: QuerySet | None = None) -> QuerySet[Fulfilment]:
    """Delivery fulfilments of the user's producers (every producer's for operators): the ones they ship."""
    queryset = (Fulfilment.objects.all() if queryset is None else queryset).select_related(
        "order", "merchant", "location"
    )
    return queryset.filter(method=DeliveryMethod.DELIVERY, merchant__in=merchants_for_user(user))


def events_for_backoffice_user(user: User, order: Order) -> QuerySet[OrderEvent]:
    """The order's history as the user may see it: order-wide events and those of the user's fulfilments."""
    events = order_history(order)
    if _lines_in_scope(user) is None:
        return events
    own = fulfilments_for_backoffice_user(user, Fulfilment.objects.filter(order=order)).values("pk")
    return events.filter(Q(fulfilment__isnull=True) | Q(fulfilment__in=own))


def orders_with_merchant(queryset: QuerySet[Order], merchant: Merchant) -> QuerySet[Order]:
    """Orders holding at least one line of ``merchant``."""
    return queryset.filter(Exists(OrderLine.objects.filter(order=OuterRef("pk"), merchant=merchant)))


def orders_at_location(queryset: QuerySet[Order], location: Location) -> QuerySet[Order]:
    """Orders collected at ``location`` or with a fulfilment sent from (or handed over at) it."""
    at_location = Exists(Fulfilment.objects.filter(order=OuterRef("pk"), location=location))
    return queryset.filter(Q(pickup_location=location) | at_location)


def orders_with_phone(queryset: QuerySet[Order], digits: str) -> QuerySet[Order]:
    """Orders whose contact number contains ``digits``, among those whose contact the user may see.

    ``queryset`` comes from ``orders_for_backoffice_user`` (it needs the ``contact_visible`` annotation).
    """
    return queryset.filter(contact_phone__contains=digits, contact_visible=True)


def search_orders(queryset: QuerySet[Order], query: str) -> QuerySet[Order]:
    """Orders whose number, or (where the user may see them) contact name or number, contains ``query``.

    ``queryset`` comes from ``orders_for_backoffice_user`` (it needs the ``contact_visible`` annotation).
    """
    contact = Q(contact_name__icontains=query) | Q(contact_phone__contains=query)
    return queryset.filter(Q(number__icontains=query) | (contact & Q(contact_visible=True)))
