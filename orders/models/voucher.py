"""Consumption vouchers (消费券) funded by a programme budget (``orders.vouchers``).

- ``VoucherBatch``: one programme's batch: ``face_value`` (fen) off eligible goods of at least ``min_spend`` (fen),
  valid ``valid_from <= now < valid_until``, eligible products as for coupons (``Coupon.Eligibility``; certified aid
  products by default), ``per_person_limit`` claims per verified mobile and per account, ``claim_limit`` vouchers in
  all (0: no cap; ``claimed`` counts them), and a ``budget`` (fen) its ``sponsor`` pays. ``spent`` is what
  redemptions took from it: the voucher parts of paid orders and counter sales (less what refunds gave back) and
  those held by unpaid orders. The database refuses ``spent > budget`` and ``spent < 0``.
- ``Voucher``: one voucher claimed by a shopper (``user`` and the account's verified ``phone``), with its ``code``
  (typed or scanned at a counter), used at most once: by an ``order`` or a ``counter_sale`` (one of them, each
  one-to-one), for ``amount`` fen at ``used_at``. An order that ends unpaid frees it.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from orders.models.coupon import Coupon


class VoucherBatch(models.Model):
    name = models.CharField(_("name"), max_length=128)
    sponsor = models.CharField(
        _("sponsor"), max_length=128, help_text=_("Who funds the vouchers, e.g. a bureau's consumption-aid fund.")
    )
    face_value = models.PositiveIntegerField(_("face value (fen)"))
    min_spend = models.PositiveIntegerField(_("minimum spend on eligible goods (fen)"), default=0)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"))
    eligibility = models.CharField(
        _("eligible products"), max_length=16, choices=Coupon.Eligibility.choices, default=Coupon.Eligibility.CERTIFIED
    )
    products = models.ManyToManyField(Product, verbose_name=_("chosen products"), blank=True, related_name="+")
    per_person_limit = models.PositiveIntegerField(
        _("vouchers per person"), default=1, help_text=_("How many vouchers one verified mobile number may claim.")
    )
    claim_limit = models.PositiveIntegerField(
        _("vouchers in all"), default=0, help_text=_("How many vouchers may be claimed in all (0: no limit).")
    )
    claimed = models.PositiveIntegerField(_("claimed"), default=0, editable=False)
    budget = models.PositiveBigIntegerField(_("budget (fen)"))
    spent = models.BigIntegerField(_("budget spent (fen)"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("voucher batch")
        verbose_name_plural = _("voucher batches")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(face_value__gte=1), name="voucherbatch_face_value_positive"),
            models.CheckConstraint(condition=Q(spent__gte=0), name="voucherbatch_spent_not_negative"),
            models.CheckConstraint(condition=Q(spent__lte=F("budget")), name="voucherbatch_spent_within_budget"),
            models.CheckConstraint(
                condition=Q(claim_limit=0) | Q(claimed__lte=F("claim_limit")), name="voucherbatch_claims_within_limit"
            ),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="voucherbatch_valid_period"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def budget_left(self) -> int:
        return self.budget - self.spent


class Voucher(models.Model):
    batch = models.ForeignKey(VoucherBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="vouchers")
    code = models.CharField(_("code"), max_length=16, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("shopper"), on_delete=models.PROTECT, related_name="vouchers"
    )
    phone = models.CharField(_("verified mobile number"), max_length=11, db_index=True)
    claimed_at = models.DateTimeField(_("claimed"), default=timezone.now)
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher",
    )
    counter_sale = models.OneToOneField(
        "orders.CounterSale",
        verbose_name=_("counter sale"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher",
    )
    amount = models.PositiveIntegerField(_("amount used (fen)"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("consumption voucher")
        verbose_name_plural = _("consumption vouchers")
        ordering = ["-claimed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z0-9]{6,16}$"), name="voucher_code_normalised"),
            models.CheckConstraint(
                condition=Q(order__isnull=True) | Q(counter_sale__isnull=True), name="voucher_used_once"
            ),
            models.CheckConstraint(
                condition=Q(order__isnull=True, counter_sale__isnull=True, used_at__isnull=True, amount=0)
                | Q(used_at__isnull=False),
                name="voucher_use_recorded",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_used(self) -> bool:
        return self.used_at is not None
