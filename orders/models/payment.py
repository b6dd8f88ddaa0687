"""Payments of an order (Stripe PaymentIntents, WeChat Pay transactions or demo payments), refunds, and stored
provider events (Stripe's webhook events; the other providers' notifications)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models.order import Order


class PaymentProvider(models.TextChoices):
    STRIPE = "stripe", _("Stripe")
    DEMO = "demo", _("Demo (no real money)")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    TRANSFER = "transfer", _("Bank transfer")


class Payment(models.Model):
    """One attempt to pay an order, amount in fen: a Stripe PaymentIntent (``intent_id`` its id), a WeChat Pay
    transaction (``intent_id`` our ``out_trade_no``) or a demo payment."""

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
        # The sweeper and the held-event pass read only what is not processed yet.
        indexes = [
            models.Index(
                fields=["received_at"], name="stripe_event_pending_idx", condition=Q(processed_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class ProviderEvent(models.Model):
    """A verified notification of a provider other than Stripe (WeChat Pay's, by its notification ``id``), stored
    before anything else: a replay finds it and stops; the worker applies it after the commit."""

    provider = models.CharField(_("provider"), max_length=16, choices=PaymentProvider.choices)
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_unique_id"),
        ]
        indexes = [
            models.Index(
                fields=["received_at"], name="provider_event_pending_idx", condition=Q(processed_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.type}"


class Refund(models.Model):
    """Money given back for a paid order: all of it or chosen lines, asked of its payment's provider by key."""

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
