"""Collecting an order at a counter: one pickup per order and counter, with one code for all its parts."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Location
from orders.models.order import Order


class Pickup(models.Model):
    """One order's collection at one counter: every part (``Fulfilment``) of the order held there is handed
    over together, against one code.

    The code is six random digits, unique among open pickups (a partial unique index). Wrong codes in a row
    lock the hand-over for a while (``orders.counter.services``). The times follow the parts' moves
    (``orders.state``): ``ready_at`` when every part not cancelled is ready (the customer is told then, once),
    ``handed_over_at`` when every one has been collected, ``closed_at`` when no part is open any more (handed
    over, or cancelled with its unpaid order); a closed pickup's code may be given again.
    """

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="pickups")
    location = models.ForeignKey(Location, verbose_name=_("counter"), on_delete=models.PROTECT, related_name="pickups")
    code = models.CharField(_("pickup code"), max_length=8)
    handover_failures = models.PositiveSmallIntegerField(_("wrong pickup codes in a row"), default=0)
    handover_locked_until = models.DateTimeField(_("hand-over locked until"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready for pickup"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("pickup")
        verbose_name_plural = _("pickups")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "location"], name="pickup_unique_per_order_and_counter"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(closed_at__isnull=True), name="pickup_code_unique_while_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} @ {self.location_id}"


class CounterCodeGuard(models.Model):
    """Codes typed (or scanned) into a counter's hand-over field that matched no pickup there, in a row, and
    until when that field is locked (``orders.counter.services.hand_over_by_code``)."""

    location = models.OneToOneField(
        Location,
        verbose_name=_("counter"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    failures = models.PositiveSmallIntegerField(_("unknown pickup codes in a row"), default=0)
    locked_until = models.DateTimeField(_("code field locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("counter code guard")
        verbose_name_plural = _("counter code guards")

    def __str__(self) -> str:
        return str(self.location_id)
