"""Profit sharing (分账): a merchant's part of a WeChat Pay payment, paid to the merchant's own WeChat Pay merchant
number by WeChat Pay itself, so the platform never holds the merchant's money.

One ``ProfitShare`` per (paid WeChat Pay payment, merchant), and one more with no merchant for the platform's
remainder (its fee and the shipping fee), which WeChat Pay unfreezes to the platform once every merchant's share
is finished. ``out_order_no`` is our key at WeChat Pay: the same request again is the same request.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Merchant
from orders.models.order import Order
from orders.models.payment import Payment


class ProfitShare(models.Model):
    """A merchant's share of a WeChat Pay payment (amount in fen), or (no merchant) the platform's remainder.

    States: pending (due, not asked yet, or to be asked again at ``next_try_at``) → requested (WeChat Pay accepted
    it, ``PROCESSING``) → finished (the receiver's result ``SUCCESS``) or failed (refused, or ``CLOSED``; an operator
    looks at ``last_error``).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        REQUESTED = "requested", _("Requested")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="profit_shares")
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="profit_shares"
    )
    merchant = models.ForeignKey(
        Merchant,
        verbose_name=_("merchant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="profit_shares",
        help_text=_("Empty: the platform's remainder, unfrozen to the platform."),
    )
    account = models.CharField(_("receiver account"), max_length=32, blank=True)
    amount = models.PositiveIntegerField(_("amount (fen)"))
    out_order_no = models.CharField(_("profit-sharing number"), max_length=64, unique=True)
    transaction_id = models.CharField(_("WeChat Pay transaction"), max_length=32, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    order_id_at_provider = models.CharField(_("WeChat Pay profit-sharing order"), max_length=64, blank=True)
    result = models.CharField(_("receiver result"), max_length=16, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(_("next try"), default=timezone.now)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("retried by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    requested_at = models.DateTimeField(_("requested"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("profit share")
        verbose_name_plural = _("profit shares")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "merchant"], name="profit_share_one_per_payment_merchant"),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(merchant__isnull=True), name="profit_share_one_remainder_per_payment"
            ),
            models.CheckConstraint(condition=Q(amount__gte=1), name="profit_share_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["next_try_at"], name="profit_share_open_idx", condition=Q(state__in=["pending", "requested"])
            )
        ]

    def __str__(self) -> str:
        return self.out_order_no
