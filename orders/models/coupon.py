"""Campaign coupons (优惠券): a batch of codes, the codes shoppers type (优惠码), and each order's redemption.

- ``Coupon``: one campaign's batch and its rules. ``kind`` single-use (a batch of generated codes, each good for
  one order) or shared (one code many shoppers type). The discount is ``fixed`` (``amount`` fen) or ``percent``
  (``percent``: whole percent, 1-100) of the eligible goods; ``min_spend`` (fen) is compared with the eligible
  goods. Eligible goods are all products, only products with a valid aid certificate
  (``catalog.certificates.certificates_by_product``, the ledger's own rule) or the chosen ``products``.
  ``total_limit`` caps the redemptions of the whole coupon and ``per_customer_limit`` those of one customer
  (0: no cap). ``sponsor`` says who pays for the discount (a merchant, the programme): it is copied onto the order.
- ``CouponCode``: a code as stored: upper-case, no spaces (``orders.coupons.services.normalize_code``).
- ``CouponRedemption``: the code used by one order (one at most), the customer it counts against
  (``customer_key``: ``"user:<id>"``, and the account's verified mobile in ``phone``) and the discount. A
  single-use code has at most one redemption (``single_use`` copied, a conditional unique constraint: the second
  guard behind the coupon row lock of ``place_order``). The redemption of an order that is cancelled or expires
  unpaid is deleted, freeing the code; the order keeps its ``coupon_code`` and ``discount`` as they were.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product


class Coupon(models.Model):
    class Kind(models.TextChoices):
        SINGLE_USE = "single_use", _("Single-use codes")
        SHARED = "shared", _("One shared code")

    class DiscountKind(models.TextChoices):
        FIXED = "fixed", _("Fixed amount")
        PERCENT = "percent", _("Percentage")

    class Eligibility(models.TextChoices):
        ALL = "all", _("All products")
        CERTIFIED = "certified", _("Certified aid products only")
        CHOSEN = "chosen", _("Chosen products")

    name = models.CharField(_("name"), max_length=128)
    sponsor = models.CharField(
        _("sponsor"), max_length=128, help_text=_("Who pays for the discount: a merchant, or the programme.")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SHARED)
    discount_kind = models.CharField(
        _("discount"), max_length=16, choices=DiscountKind.choices, default=DiscountKind.FIXED
    )
    amount = models.PositiveIntegerField(_("discount amount (fen)"), default=0)
    percent = models.PositiveSmallIntegerField(_("discount percent"), default=0)
    min_spend = models.PositiveIntegerField(_("minimum spend on eligible goods (fen)"), default=0)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"))
    eligibility = models.CharField(
        _("eligible products"), max_length=16, choices=Eligibility.choices, default=Eligibility.ALL
    )
    products = models.ManyToManyField(Product, verbose_name=_("chosen products"), blank=True, related_name="+")
    total_limit = models.PositiveIntegerField(
        _("total uses"), default=0, help_text=_("How many orders may use this coupon in all (0: no limit).")
    )
    per_customer_limit = models.PositiveIntegerField(
        _("uses per customer"), default=1, help_text=_("How many orders one customer may use it for (0: no limit).")
    )
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
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(discount_kind="fixed", amount__gte=1, percent=0))
                | Q(discount_kind="percent", amount=0, percent__gte=1, percent__lte=100),
                name="coupon_discount_is_fixed_or_percent",
            ),
            models.CheckConstraint(condition=Q(valid_until__gt=F("valid_from")), name="coupon_valid_period"),
        ]

    def __str__(self) -> str:
        return self.name


class CouponCode(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    coupon = models.ForeignKey(Coupon, verbose_name=_("coupon"), on_delete=models.CASCADE, related_name="codes")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("coupon code")
        verbose_name_plural = _("coupon codes")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z0-9]{4,32}$"), name="couponcode_normalised"),
        ]

    def __str__(self) -> str:
        return self.code


class CouponRedemption(models.Model):
    code = models.ForeignKey(CouponCode, verbose_name=_("code"), on_delete=models.PROTECT, related_name="redemptions")
    coupon = models.ForeignKey(Coupon, verbose_name=_("coupon"), on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="coupon_redemption"
    )
    single_use = models.BooleanField(_("single-use code"), editable=False)
    customer_key = models.CharField(_("customer"), max_length=64, db_index=True)
    phone = models.CharField(_("verified mobile number"), max_length=11, blank=True, db_index=True)
    amount = models.PositiveIntegerField(_("discount (fen)"))
    created_at = models.DateTimeField(_("redeemed"), default=timezone.now)

    class Meta:
        verbose_name = _("coupon redemption")
        verbose_name_plural = _("coupon redemptions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(single_use=True), name="couponredemption_single_use_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_id} → {self.order_id}"
