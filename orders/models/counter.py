"""Walk-in sales recorded at a counter, with their line snapshots."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Location
from orders.models.order import LineSnapshot


class CounterPaymentMethod(models.TextChoices):
    """How a walk-in customer paid at the counter (blank on sales recorded before it was kept)."""

    CASH = "cash", _("Cash")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    UNIONPAY = "unionpay", _("UnionPay")


class CounterSale(models.Model):
    """A walk-in sale recorded by counter staff against their counter's stock."""

    number = models.CharField(_("sale number"), max_length=40, unique=True)
    location = models.ForeignKey(
        Location, verbose_name=_("counter"), on_delete=models.PROTECT, related_name="counter_sales"
    )
    total = models.PositiveIntegerField(_("total (fen)"))
    # A consumption voucher's part of ``total`` (``orders.vouchers``): paid by its budget, the customer pays the rest.
    voucher_discount = models.PositiveIntegerField(_("voucher discount (fen)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payment_method = models.CharField(
        _("payment method"), max_length=16, choices=CounterPaymentMethod.choices, blank=True, default=""
    )
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
        constraints = [
            models.CheckConstraint(
                condition=Q(voucher_discount__lte=F("total")), name="counter_sale_voucher_within_total"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def customer_paid(self) -> int:
        """What the walk-in customer paid: the total less the voucher's part."""
        return self.total - self.voucher_discount


class CounterSaleLine(LineSnapshot):
    """One product of a counter sale, snapshotted like an order line."""

    sale = models.ForeignKey(CounterSale, verbose_name=_("sale"), on_delete=models.CASCADE, related_name="lines")
    # The line's share of the sale's voucher discount (paid by the voucher batch's budget).
    voucher_discount = models.PositiveIntegerField(_("voucher discount (fen)"), default=0)

    class Meta(LineSnapshot.Meta):
        verbose_name = _("counter sale line")
        verbose_name_plural = _("counter sale lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="counter_sale_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")), name="counter_sale_line_total_consistent"
            ),
            models.CheckConstraint(
                condition=Q(voucher_discount__lte=F("line_total")), name="counter_sale_line_voucher_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id} {self.sku} × {self.quantity}"
