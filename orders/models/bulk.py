"""Bulk order drafts of an organisation (以购代捐, issue 19 part 2): what a buyer means to order and where it goes.

A ``BulkOrder`` belongs to one organisation and is only a ``draft`` for now (turning it into orders with stock
holds comes later). It is delivered to one of the organisation's addresses, picked up at a sales counter, or
sent to many ``Recipient`` rows uploaded as CSV/XLSX (``orders.institutions.recipients``; a valid upload
replaces them all at once). ``BulkOrderLine`` rows are the quantities per variant or gift pack. Each line and
each recipient names exactly one of a variant or a pack. Rules and writes: ``orders.institutions.bulk``.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Location, Pack, Variant
from orders.models.institution import Organisation, OrganisationAddress

ONE_ITEM = (Q(variant__isnull=False) & Q(pack__isnull=True)) | (Q(variant__isnull=True) & Q(pack__isnull=False))


class BulkOrder(models.Model):
    """An organisation's bulk order, built by a buyer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")

    class Delivery(models.TextChoices):
        ADDRESS = "address", _("To one address of the organisation")
        PICKUP = "pickup", _("Pickup at a sales counter")
        RECIPIENTS = "recipients", _("To many recipients (uploaded list)")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="bulk_orders"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices, default=Delivery.ADDRESS)
    address = models.ForeignKey(
        OrganisationAddress,
        verbose_name=_("delivery address"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counter = models.ForeignKey(
        Location,
        verbose_name=_("pickup counter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"kind": Location.Kind.COUNTER},
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("bulk order")
        verbose_name_plural = _("bulk orders")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.organisation} #{self.pk}"


class BulkOrderLine(models.Model):
    """A quantity of one variant or one gift pack in a bulk order."""

    bulk_order = models.ForeignKey(
        BulkOrder, verbose_name=_("bulk order"), on_delete=models.CASCADE, related_name="lines"
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pack = models.ForeignKey(
        Pack, verbose_name=_("gift pack"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("bulk order line")
        verbose_name_plural = _("bulk order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=ONE_ITEM, name="bulkorderline_one_item"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="bulkorderline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.pack or self.variant}"


class Recipient(models.Model):
    """One person a bulk order sends goods to, with the order address's fields and the upload's line number."""

    bulk_order = models.ForeignKey(
        BulkOrder, verbose_name=_("bulk order"), on_delete=models.CASCADE, related_name="recipients"
    )
    line_number = models.PositiveIntegerField(_("line in the upload"))
    name = models.CharField(_("name"), max_length=64)
    phone = models.CharField(_("mobile number"), max_length=11)
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    district = models.CharField(_("district"), max_length=32, blank=True)
    street = models.CharField(_("street address"), max_length=200)
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pack = models.ForeignKey(
        Pack, verbose_name=_("gift pack"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["line_number", "pk"]
        constraints = [
            models.CheckConstraint(condition=ONE_ITEM, name="recipient_one_item"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="recipient_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.phone}"
