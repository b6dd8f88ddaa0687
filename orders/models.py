"""Carts, orders, their lines and fulfilments, the order history, and the shop's shipping settings.

Money is integer fen. Order lines are snapshots: they keep the names, SKU, price, producer and
location as they were when the order was placed, whatever happens to the catalogue later.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from catalog.models import Location, Merchant, Variant


@register_setting(icon="cogs")
class ShopSettings(BaseSiteSetting):
    """What operators may change without a release: the shipping fee rule for home delivery."""

    shipping_fee = models.PositiveIntegerField(
        _("shipping fee (fen)"), default=1200, help_text=_("Flat fee for delivery, in fen: 1 yuan = 100 fen.")
    )
    free_shipping_threshold = models.PositiveIntegerField(
        _("free shipping from (fen)"),
        default=9900,
        help_text=_("Delivery is free when the goods total reaches this amount, in fen."),
    )

    class Meta:
        verbose_name = _("shop settings")


class Cart(models.Model):
    """A shopping cart: a guest's (found by the token in a signed cookie) or a signed-in user's."""

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return str(self.token)


class CartLine(models.Model):
    """A variant and how many of it; the price is always read from the variant, never stored."""

    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cartline_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"


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
    contact_email = models.EmailField(_("e-mail"))
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
    shipping_fee = models.PositiveIntegerField(_("shipping fee (fen)"))
    total = models.PositiveIntegerField(_("total (fen)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    language = models.CharField(_("language"), max_length=16, blank=True)
    expires_at = models.DateTimeField(_("reservation expires"), db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    needs_review = models.BooleanField(
        _("needs review"), default=False, help_text=_("Something about this order needs an operator's attention.")
    )
    created_at = models.DateTimeField(_("placed"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("subtotal") + F("shipping_fee")), name="order_total_is_subtotal_plus_shipping"
            ),
            models.CheckConstraint(
                condition=~Q(delivery_method="pickup") | Q(pickup_location__isnull=False),
                name="order_pickup_has_location",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Fulfilment(models.Model):
    """The part of an order one producer sends from (or hands over at) one location."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY_FOR_PICKUP = "ready_for_pickup", _("Ready for pickup")
        SHIPPED = "shipped", _("Shipped")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="fulfilments")
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("producer"), on_delete=models.PROTECT, related_name="fulfilments"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="fulfilments"
    )
    method = models.CharField(_("delivery method"), max_length=16, choices=DeliveryMethod.choices)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.PENDING)
    pickup_code = models.CharField(_("pickup code"), max_length=8, blank=True)
    carrier = models.CharField(_("carrier"), max_length=64, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    handover_failures = models.PositiveSmallIntegerField(_("wrong pickup codes in a row"), default=0)
    handover_locked_until = models.DateTimeField(_("hand-over locked until"), null=True, blank=True)
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
    merchant = models.ForeignKey(Merchant, verbose_name=_("producer"), on_delete=models.PROTECT, related_name="+")
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
    """What was bought in an order, snapshotted, from which producer and location."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    fulfilment = models.ForeignKey(
        Fulfilment, verbose_name=_("fulfilment"), on_delete=models.CASCADE, related_name="lines"
    )
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+")
    merchant_name = models.CharField(_("producer"), max_length=128)
    location_name = models.CharField(_("location"), max_length=128)

    class Meta(LineSnapshot.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")), name="orderline_total_is_price_times_quantity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


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


class PaymentProvider(models.TextChoices):
    STRIPE = "stripe", _("Stripe")
    DEMO = "demo", _("Demo (no real money)")


class Payment(models.Model):
    """One attempt to pay an order: a Stripe PaymentIntent (or a demo payment), amount in fen."""

    class Status(models.TextChoices):
        REQUIRES_PAYMENT_METHOD = "requires_payment_method", _("Awaiting payment details")
        REQUIRES_CONFIRMATION = "requires_confirmation", _("Awaiting confirmation")
        REQUIRES_ACTION = "requires_action", _("Awaiting the customer's action")
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=16, choices=PaymentProvider.choices)
    intent_id = models.CharField(_("payment intent"), max_length=255, unique=True)
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    amount = models.PositiveIntegerField(_("amount (fen)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.REQUIRES_PAYMENT_METHOD
    )
    method_type = models.CharField(_("payment method"), max_length=32, blank=True)
    failure_message = models.CharField(_("failure"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    succeeded_at = models.DateTimeField(_("succeeded"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "provider", "attempt"], name="payment_unique_attempt"),
        ]

    def __str__(self) -> str:
        return self.intent_id


class StripeEvent(models.Model):
    """A verified webhook event, stored by its id before anything else: a replay finds it and stops."""

    id = models.CharField(_("event id"), max_length=255, primary_key=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class Refund(models.Model):
    """Money given back for a paid order: all of it or chosen lines, asked of Stripe with its own key."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField(_("amount (fen)"))
    lines = models.JSONField(_("lines"), default=list, blank=True, help_text=_("Order line ids and quantities."))
    reason = models.CharField(_("reason"), max_length=500)
    restock = models.BooleanField(_("returned to stock"), default=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    stripe_refund_id = models.CharField(_("Stripe refund"), max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=1), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount}"


class CounterSale(models.Model):
    """A walk-in sale recorded by counter staff against their counter's stock."""

    number = models.CharField(_("sale number"), max_length=40, unique=True)
    location = models.ForeignKey(
        Location, verbose_name=_("counter"), on_delete=models.PROTECT, related_name="counter_sales"
    )
    total = models.PositiveIntegerField(_("total (fen)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("counter sale")
        verbose_name_plural = _("counter sales")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class CounterSaleLine(LineSnapshot):
    """One product of a counter sale, snapshotted like an order line."""

    sale = models.ForeignKey(CounterSale, verbose_name=_("sale"), on_delete=models.CASCADE, related_name="lines")

    class Meta(LineSnapshot.Meta):
        verbose_name = _("counter sale line")
        verbose_name_plural = _("counter sale lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="counter_sale_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")), name="counter_sale_line_total_consistent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id} {self.sku} × {self.quantity}"


from orders.aid.models import AidLedgerEntry, AidSettings, SettledEntry, Settlement  # noqa: E402, F401
