"""Refunds of a short harvest (``orders.presales``): which units of which order line a pre-sale gives back."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import PreSale
from orders.models.order import OrderLine
from orders.models.payment import Refund


class PreSaleRefund(models.Model):
    """Units of one order line refunded because the pre-sale's harvest fell short: written with the harvest
    (one per pre-sale and line, so a retried or concurrent receipt refunds nothing twice); ``refund``: the refund
    asked for it, linked in the transaction that writes the refund, before the provider is asked (asked again
    while it is failed: ``orders.presales.services``)."""

    presale = models.ForeignKey(
        PreSale, verbose_name=_("pre-sale"), on_delete=models.PROTECT, related_name="shortfall_refunds"
    )
    order_line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="presale_refunds"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    refund = models.ForeignKey(
        Refund, verbose_name=_("refund"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pre-sale shortfall refund")
        verbose_name_plural = _("pre-sale shortfall refunds")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["presale", "order_line"], name="presalerefund_once_per_line"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="presalerefund_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.presale_id} · {self.order_line_id} × {self.quantity}"
