"""Organisations that buy in bulk (以购代捐): government and budget units, state companies, trade unions.

An ``Organisation`` is registered by an operator (verified at once) or applies through the shop's form
(``applied``, with a proof file kept outside the media folder) and is then verified or rejected by an operator;
a verified one may later be suspended and reinstated. Every status change writes an ``OrganisationChange``
(who, when, why). ``Membership`` gives a user a role in it (buyer, approver, finance; one row per role, so a user
may hold several). Rules and writes: ``orders.institutions.services``; who sees what:
``orders.institutions.selectors``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from catalog.models import private_storage
from orders.institutions.credit_code import validate_credit_code


class Organisation(ClusterableModel):
    """An organisation that buys here, with its invoice details, addresses, members and approval threshold."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government or budget unit")
        STATE_COMPANY = "state_company", _("State-owned company")
        UNION = "union", _("Trade union")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=128)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, validators=[validate_credit_code])
    invoice_title = models.CharField(_("invoice title"), max_length=128)
    tax_number = models.CharField(
        _("tax number"), max_length=20, help_text=_("Usually the unified social credit code.")
    )
    contact_name = models.CharField(_("contact name"), max_length=64)
    contact_phone = models.CharField(_("contact mobile number"), max_length=11)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    approval_threshold = models.PositiveIntegerField(
        _("approval threshold (fen)"),
        default=0,
        help_text=_("In fen: orders above this amount need an approver's sign-off; 0: every order."),
    )
    annual_target = models.PositiveIntegerField(
        _("annual target (fen)"),
        default=0,
        help_text=_("In fen: certified aid products the organisation means to buy in a year; 0: none set."),
    )
    proof = models.FileField(
        _("proof"),
        upload_to="institutions/%Y/%m/",
        storage=private_storage,
        max_length=255,
        blank=True,
        help_text=_("Business licence or a letter from the unit; kept private."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.APPLIED)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "pk"]
        permissions = [("review_organisation", _("Can verify, reject and suspend organisations"))]
        constraints = [
            # A rejected application does not block a new one with the same code; anything else does.
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(status="rejected"), name="organisation_credit_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationAddress(models.Model):
    """A delivery address of an organisation (a canteen, a workplace), with the order address's fields."""

    organisation = ParentalKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="addresses"
    )
    label = models.CharField(_("label"), max_length=64, help_text=_("For example: staff canteen, head office."))
    recipient = models.CharField(_("recipient"), max_length=64)
    phone = models.CharField(_("mobile number"), max_length=11)
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    district = models.CharField(_("district"), max_length=32, blank=True)
    street = models.CharField(_("street address"), max_length=200)

    class Meta:
        verbose_name = _("organisation address")
        verbose_name_plural = _("organisation addresses")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.label}: {self.province}{self.city}{self.district}{self.street}"


class Membership(models.Model):
    """A user's role in an organisation; a user holding several roles has one row for each."""

    class Role(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        APPROVER = "approver", _("Approver")
        FINANCE = "finance", _("Finance")

    organisation = ParentalKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.BUYER)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user", "role"], name="membership_one_row_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class OrganisationChange(models.Model):
    """One entry of an organisation's history: the status it moved to, who did it, when and why."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="changes"
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Organisation.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Organisation.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("organisation change")
        verbose_name_plural = _("organisation history")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.from_status or '-'} → {self.to_status}"
