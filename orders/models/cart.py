"""Carts: a guest's or a signed-in user's, and their lines (no stored prices)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Pack, Variant


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
    # The coupon code the shopper typed, as typed (normalised); checked every time the cart is priced.
    coupon_code = models.CharField(_("coupon code"), max_length=32, null=True, blank=True)
    # The shopper's claimed consumption voucher chosen for this cart; checked every time the cart is priced.
    voucher = models.ForeignKey(
        "orders.Voucher",
        verbose_name=_("consumption voucher"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
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


class CartPackLine(models.Model):
    """A gift pack and how many of it: one line the shopper sees; the price is always read from the pack."""

    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="pack_lines")
    pack = models.ForeignKey(Pack, verbose_name=_("gift pack"), on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("cart gift pack")
        verbose_name_plural = _("cart gift packs")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "pack"], name="cartpackline_unique_pack"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cartpackline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × pack {self.pack_id}"
