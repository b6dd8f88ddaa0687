"""The consumption-aid ledger, merchants' settlements and the aid settings.

``AidLedgerEntry`` is append-only (a PostgreSQL trigger refuses UPDATE and DELETE, migration
``orders/0006``): every paid order line and counter sale line is a credit, every refunded line a
debit, written in the same transaction as the event. Amounts are signed integer fen, goods only
(shipping fees are not aid to a merchant). A settlement lists the entries it covers, each at most
once, so entries written after it fall into the next statement.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from catalog.models import Category, Certificate, Location, Merchant, Product
from catalog.regions import DezhouCounty, XiushanTownship
from orders.models.counter import CounterPaymentMethod

AID_SETTINGS_CACHE_KEY = "aid:settings:v1"


@register_setting(icon="doc-full", name="consumption-aid-settings")
class AidSettings(BaseGenericSetting):
    """What operators may change about the aid programme: the platform fee and expired certificates."""

    platform_fee_basis_points = models.PositiveIntegerField(
        _("platform fee (basis points)"),
        default=0,
        validators=[MaxValueValidator(10000)],
        help_text=_("Deducted from each settlement: 100 basis points = 1%. Zero for no fee."),
    )
    hide_expired_products = models.BooleanField(
        _("hide products with expired certificates"),
        default=False,
        help_text=_(
            "Products whose (or whose merchant's) aid certificate has expired, with no valid one left, "
            "are taken off sale until the certificate is renewed."
        ),
    )

    class Meta:
        verbose_name = _("consumption-aid settings")


@receiver(post_save, sender=AidSettings)
def _forget_cached_aid_settings(sender, **kwargs) -> None:
    cache.delete(AID_SETTINGS_CACHE_KEY)


class AidChannel(models.TextChoices):
    ONLINE = "online", _("Online shop")
    COUNTER = "counter", _("Counter sale")
    INSTITUTION = "institution", _("Institutional purchase")


class AidLedgerEntry(models.Model):
    """One append-only entry of the aid ledger: a credit (sale) or a debit (refund), goods only, in fen."""

    class Kind(models.TextChoices):
        ORDER_PAID = "order_paid", _("Paid order line")
        ORDER_REFUND = "order_refund", _("Refunded order line")
        COUNTER_SALE = "counter_sale", _("Counter sale line")

    Channel = AidChannel

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=AidChannel.choices)
    amount = models.IntegerField(_("amount (fen)"), help_text=_("Positive for a credit, negative for a debit."))
    quantity = models.IntegerField(_("quantity"))
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="aid_entries"
    )
    township = models.CharField(_("township"), max_length=32, choices=XiushanTownship.choices)
    village = models.CharField(_("village or community"), max_length=64, blank=True)
    paired_county = models.CharField(_("paired Dezhou division"), max_length=16, choices=DezhouCounty.choices)
    counter = models.ForeignKey(
        Location, verbose_name=_("counter"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(_("product name"), max_length=128)
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refund = models.ForeignKey(
        "orders.Refund", verbose_name=_("refund"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    counter_sale = models.ForeignKey(
        "orders.CounterSale",
        verbose_name=_("counter sale"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counter_sale_line = models.ForeignKey(
        "orders.CounterSaleLine",
        verbose_name=_("counter sale line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=16,
        choices=CounterPaymentMethod.choices,
        blank=True,
        default="",
        help_text=_("How a counter sale was paid; blank for online entries."),
    )
    # The aid certificate that qualified the line when it was sold (a refund: that of the sale it reverses),
    # with its number and issuer copied, so later changes to the certificate do not rewrite history.
    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The aid certificate that qualified the line at the sale; empty: not certified."),
    )
    certificate_number = models.CharField(_("certificate number"), max_length=64, blank=True, default="")
    certificate_issuer = models.CharField(_("issuing body"), max_length=128, blank=True, default="")
    # A consumption voucher's part of ``amount`` (signed like it), paid to the merchant by the ``sponsor``'s budget.
    sponsor = models.CharField(_("sponsor"), max_length=128, blank=True, default="")
    sponsored = models.IntegerField(
        _("sponsored (fen)"), default=0, help_text=_("The part of the amount paid by a voucher sponsor's budget.")
    )
    reference = models.CharField(_("reference"), max_length=40, db_index=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("aid ledger entry")
        verbose_name_plural = _("aid ledger")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "created_at"], name="aid_entry_merchant_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="order_paid", amount__gt=0, quantity__gt=0, order_line__isnull=False)
                | Q(kind="order_refund", amount__lt=0, quantity__lt=0, order_line__isnull=False, refund__isnull=False)
                | Q(kind="counter_sale", amount__gt=0, quantity__gt=0, counter_sale_line__isnull=False),
                name="aid_entry_sign_and_source",
            ),
            models.UniqueConstraint(
                fields=["order_line"], condition=Q(kind="order_paid"), name="aid_entry_one_credit_per_order_line"
            ),
            models.UniqueConstraint(
                fields=["refund", "order_line"],
                condition=Q(kind="order_refund"),
                name="aid_entry_one_debit_per_refund_line",
            ),
            models.UniqueConstraint(
                fields=["counter_sale_line"],
                condition=Q(kind="counter_sale"),
                name="aid_entry_one_credit_per_counter_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount:+d}"


class Settlement(models.Model):
    """A merchant's statement marked settled: the totals paid out and the entries it covered."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="settlements"
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    gross = models.IntegerField(_("gross sales (fen)"))
    refunds = models.IntegerField(_("refunds (fen)"))
    fee_basis_points = models.PositiveIntegerField(_("platform fee (basis points)"))
    fee = models.IntegerField(_("platform fee (fen)"))
    net = models.IntegerField(_("net payable (fen)"))
    entry_count = models.PositiveIntegerField(_("entries"))
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("settled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    settled_at = models.DateTimeField(_("settled"), default=timezone.now)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-settled_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(net=models.F("gross") - models.F("refunds") - models.F("fee")),
                name="settlement_net_is_gross_less_refunds_and_fee",
            ),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="settlement_period"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.period_start}–{self.period_end}"


class SettledEntry(models.Model):
    """A ledger entry covered by a settlement; each entry is settled at most once."""

    entry = models.OneToOneField(
        AidLedgerEntry,
        verbose_name=_("entry"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="settled",
    )
    settlement = models.ForeignKey(
        Settlement, verbose_name=_("settlement"), on_delete=models.PROTECT, related_name="settled_entries"
    )

    class Meta:
        verbose_name = _("settled entry")
        verbose_name_plural = _("settled entries")

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.settlement_id}"
