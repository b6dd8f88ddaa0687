"""Bulk orders of an organisation (以购代捐, issue 19): what is ordered, where it goes, how it is paid and checked.

A ``BulkOrder`` belongs to one organisation. It is delivered to one of the organisation's addresses, picked up
at a sales counter, or sent to many ``Recipient`` rows uploaded as CSV/XLSX (``orders.institutions.recipients``;
a valid upload replaces them all at once). ``BulkOrderLine`` rows are the quantities per variant or gift pack.
Each line and each recipient names exactly one of a variant or a pack.

Life: ``draft`` → ``submitting`` while its shop orders are placed (``Order.bulk_order``; one per recipient, or one)
with their units held for ``BULK_ORDER_RESERVATION_HOURS`` → ``pending_approval`` when its total is above the
organisation's threshold → ``awaiting_payment`` → ``paid`` (online, or a ``TransferReceipt`` recorded by an
operator matching the total) → ``completed`` once every merchant's ``InvoiceRequest`` is signed off. Rejected,
cancelled or expired: its orders are cancelled and the units released. Every move writes a ``BulkOrderChange``.
Rules and writes: ``orders.institutions`` (``bulk``, ``placement``, ``transfers``, ``invoices``).
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Location, Merchant, Pack, Variant, private_storage
from orders.models.institution import Organisation, OrganisationAddress

ONE_ITEM = (Q(variant__isnull=False) & Q(pack__isnull=True)) | (Q(variant__isnull=True) & Q(pack__isnull=False))


class BulkOrder(models.Model):
    """An organisation's bulk order, built by a buyer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTING = "submitting", _("Placing its orders")
        PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

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
    # Set when submitted: the payment reference, the total of its orders (goods and shipping), the hold's end.
    number = models.CharField(_("number"), max_length=32, unique=True, null=True, blank=True)
    total = models.PositiveIntegerField(_("total (fen)"), default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    expires_at = models.DateTimeField(_("units held until"), null=True, blank=True, db_index=True)
    # While submitting: the run that places its orders (a run that finds another token has been taken over).
    placing_token = models.CharField(_("placing run"), max_length=32, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    needs_review = models.BooleanField(
        _("needs review"), default=False, help_text=_("A transfer does not match, or a part is disputed.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("bulk order")
        verbose_name_plural = _("bulk orders")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number or f"{self.organisation} #{self.pk}"


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


class BulkOrderChange(models.Model):
    """One entry of a bulk order's history: the status it moved to, who did it, when and why."""

    bulk_order = models.ForeignKey(
        BulkOrder, verbose_name=_("bulk order"), on_delete=models.CASCADE, related_name="changes"
    )
    from_status = models.CharField(_("from"), max_length=24, choices=BulkOrder.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=BulkOrder.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("bulk order change")
        verbose_name_plural = _("bulk order history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.bulk_order_id}: {self.from_status or '-'} → {self.to_status}"


class TransferReceipt(models.Model):
    """A bank transfer received for a bulk order, recorded by an operator from the bank statement.

    A bank reference is recorded once (unique): the same transfer entered twice is refused, never counted twice.
    One the operator sent back to the payer (``returned_at``) counts no more.
    The bulk order is paid when its receipts add up to its total exactly; otherwise the receipt is kept and the
    bulk order flagged for review (``difference`` is what the receipts then lack, negative when they exceed it).
    """

    bulk_order = models.ForeignKey(
        BulkOrder, verbose_name=_("bulk order"), on_delete=models.PROTECT, related_name="transfers"
    )
    amount = models.PositiveIntegerField(_("amount (fen)"))
    received_on = models.DateField(_("received on"))
    bank_reference = models.CharField(_("bank reference"), max_length=64, unique=True)
    payer = models.CharField(_("payer"), max_length=128, blank=True)
    difference = models.IntegerField(_("still due after it (fen)"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Sent back to the payer by bank (an overpayment, a transfer that could not be applied): it counts no more.
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    return_note = models.CharField(_("why returned"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("bank transfer")
        verbose_name_plural = _("bank transfers")
        ordering = ["recorded_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=1), name="transferreceipt_amount_positive")]

    def __str__(self) -> str:
        return self.bank_reference


class InvoiceRequest(models.Model):
    """One merchant's part of a paid bulk order, to be invoiced (发票) by the merchant and signed off by the buyer.

    ``requested`` → ``issued`` (the merchant uploads the invoice as PDF/OFD or records its number) → ``signed_off``
    (the organisation confirms goods received and invoice checked), or ``disputed`` with a reason, which an
    operator resolves (back to ``requested`` for a new invoice, or ``signed_off``).
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Invoice requested")
        ISSUED = "issued", _("Invoice issued")
        SIGNED_OFF = "signed_off", _("Goods and invoice checked")
        DISPUTED = "disputed", _("Disputed")

    bulk_order = models.ForeignKey(
        BulkOrder, verbose_name=_("bulk order"), on_delete=models.CASCADE, related_name="invoice_requests"
    )
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="invoice_requests"
    )
    amount = models.PositiveIntegerField(_("amount (fen)"), help_text=_("The merchant's goods in the bulk order."))
    invoice_title = models.CharField(_("invoice title"), max_length=128)
    tax_number = models.CharField(_("tax number"), max_length=20)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    invoice_number = models.CharField(_("invoice number"), max_length=32, blank=True)
    invoice_file = models.FileField(
        _("invoice file"),
        upload_to="invoices/%Y/%m/",
        storage=private_storage,
        max_length=255,
        blank=True,
        help_text=_("PDF or OFD; kept private."),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    dispute_reason = models.CharField(_("dispute"), max_length=500, blank=True)
    disputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disputed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disputed_at = models.DateTimeField(_("disputed"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["bulk_order", "merchant"], name="invoicerequest_one_per_merchant"),
        ]

    def __str__(self) -> str:
        return f"{self.bulk_order} · {self.merchant}"
