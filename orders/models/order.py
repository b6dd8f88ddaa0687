"""Orders, their lines and fulfilments, and the order history.

Money is integer fen. Order lines are snapshots: they keep the names, SKU, price, merchant and
location as they were when the order was placed, whatever happens to the catalogue later.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Location, Merchant, Pack, Variant
from core.money import unit_share
from orders.models.cart import Cart


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    PAID = "paid", _("Paid")
    FULFILLING = "fulfilling", _("Being prepared")
    READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("Pickup at a counter")
    DELIVERY = "delivery", _("Delivery to an address")


class Order(models.Model):
    Status = OrderStatus
    Method = DeliveryMethod

    number = models.CharField(_("order number"), max_length=40, unique=True)
    token = models.CharField(_("public token"), max_length=64, unique=True, editable=False)
    checkout_token = models.CharField(_("checkout token"), max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    cart = models.ForeignKey(
        Cart, verbose_name=_("cart"), null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    status = models.CharField(
        _("status"), max_length=24, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT, db_index=True
    )
    contact_name = models.CharField(_("name"), max_length=64)
    contact_phone = models.CharField(_("mobile number"), max_length=11)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    delivery_method = models.CharField(_("delivery method"), max_length=16, choices=DeliveryMethod.choices)
    pickup_location = models.ForeignKey(
        Location,
        verbose_name=_("pickup counter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pickup_orders",
    )
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    district = models.CharField(_("district"), max_length=32, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    invoice_requested = models.BooleanField(_("invoice requested"), default=False)
    invoice_title = models.CharField(_("invoice title"), max_length=128, blank=True)
    invoice_tax_id = models.CharField(_("taxpayer ID"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    subtotal = models.PositiveIntegerField(_("goods total (fen)"))
    # A coupon's discount on the goods (``orders.coupons``), split over the lines (``OrderLine.discount``); the
    # code and its sponsor as they were when the order was placed.
    discount = models.PositiveIntegerField(_("discount (fen)"), default=0)
    coupon_code = models.CharField(_("coupon code"), max_length=32, blank=True)
    coupon_sponsor = models.CharField(_("coupon sponsor"), max_length=128, blank=True)
    # The consumption voucher's part of ``discount`` (``orders.vouchers``), paid by its budget, and who funds it.
    voucher_discount = models.PositiveIntegerField(_("voucher discount (fen)"), default=0)
    voucher_sponsor = models.CharField(_("voucher sponsor"), max_length=128, blank=True)
    shipping_fee = models.PositiveIntegerField(_("shipping fee (fen)"))
    total = models.PositiveIntegerField(_("total (fen)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    language = models.CharField(_("language"), max_length=16, blank=True)
    expires_at = models.DateTimeField(_("reservation expires"), db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    needs_review = models.BooleanField(
        _("needs review"), default=False, help_text=_("Something about this order needs an operator's attention.")
    )
    # An order placed for an organisation's bulk order (one per recipient, or the only one).
    bulk_order = models.ForeignKey(
        "orders.BulkOrder",
        verbose_name=_("bulk order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    created_at = models.DateTimeField(_("placed"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("subtotal") - F("discount") + F("shipping_fee")),
                name="order_total_is_subtotal_less_discount_plus_shipping",
            ),
            models.CheckConstraint(condition=Q(discount__lte=F("subtotal")), name="order_discount_within_subtotal"),
            models.CheckConstraint(
                condition=Q(voucher_discount__lte=F("discount")), name="order_voucher_discount_within_discount"
            ),
            models.CheckConstraint(
                condition=~Q(delivery_method="pickup") | Q(pickup_location__isnull=False),
                name="order_pickup_has_location",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def coupon_discount(self) -> int:
        """The coupon's part of ``discount`` (the rest is the consumption voucher's)."""
        return self.discount - self.voucher_discount


class Fulfilment(models.Model):
    """The part of an order one merchant sends from (or hands over at) one location; pickup parts belong to
    the order's ``Pickup`` at that counter."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="fulfilments")
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="fulfilments"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="fulfilments"
    )
    method = models.CharField(_("delivery method"), max_length=16, choices=DeliveryMethod.choices)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.PENDING)
    # A pickup part is collected with the other parts of its order at that counter, against their pickup's code.
    pickup = models.ForeignKey(
        "orders.Pickup",
        verbose_name=_("pickup"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="parts",
    )
    carrier = models.CharField(_("carrier"), max_length=64, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "merchant", "location"], name="fulfilment_unique_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} · {self.merchant_id} @ {self.location_id}"


class LineSnapshot(models.Model):
    """A sold variant as it was at the time: names, SKU and price are copied, not looked up."""

    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(_("product"), max_length=128)
    variant_name = models.CharField(_("variant"), max_length=64)
    sku = models.CharField(_("SKU"), max_length=64)
    unit_price = models.PositiveIntegerField(_("unit price (fen)"))
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.PositiveIntegerField(_("line total (fen)"))

    class Meta:
        abstract = True
        ordering = ["pk"]


class OrderLine(LineSnapshot):
    """What was bought in an order, snapshotted, from which merchant and location."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    fulfilment = models.ForeignKey(
        Fulfilment, verbose_name=_("fulfilment"), on_delete=models.CASCADE, related_name="lines"
    )
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+")
    merchant_name = models.CharField(_("merchant"), max_length=128)
    location_name = models.CharField(_("location"), max_length=128)
    # A component of a gift pack: its share of the pack price (``catalog.packs``), the pack as it was sold.
    pack = models.ForeignKey(
        Pack, verbose_name=_("gift pack"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pack_name = models.CharField(_("gift pack"), max_length=128, blank=True)
    pack_quantity = models.PositiveIntegerField(_("packs"), null=True, blank=True)
    # The line's share of the order's discounts (coupon + voucher): the goods paid are ``paid_total``.
    discount = models.PositiveIntegerField(_("discount (fen)"), default=0)
    # The voucher's part of ``discount``: paid to the merchant by the voucher batch's budget (``orders.vouchers``).
    voucher_discount = models.PositiveIntegerField(_("voucher discount (fen)"), default=0)

    class Meta(LineSnapshot.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")), name="orderline_total_is_price_times_quantity"
            ),
            models.CheckConstraint(
                condition=Q(discount__lte=F("line_total")), name="orderline_discount_within_line_total"
            ),
            models.CheckConstraint(
                condition=Q(voucher_discount__lte=F("discount")), name="orderline_voucher_discount_within_discount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def paid_total(self) -> int:
        """The goods the shopper paid for this line: its total less its share of the discounts."""
        return self.line_total - self.discount

    def paid_share(self, units: int, *, before: int = 0) -> int:
        """The fen paid for ``units`` of this line after ``before`` units already taken (refunds in parts sum to
        ``paid_total``): ``core.money.unit_share``."""
        return unit_share(self.paid_total, self.quantity, before, units)


class OrderEvent(models.Model):
    """One entry of an order's history: who did what, when, from which status to which."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("Placed")
        STATUS = "status", _("Status changed")
        FULFILMENT = "fulfilment", _("Fulfilment changed")
        STOCK = "stock", _("Stock changed")
        NOTE = "note", _("Note")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    fulfilment = models.ForeignKey(
        Fulfilment,
        verbose_name=_("fulfilment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=24, blank=True)
    to_status = models.CharField(_("to"), max_length=24, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_status}→{self.to_status}"
