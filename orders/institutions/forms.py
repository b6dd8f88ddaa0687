"""The application form (shown on the shop by ``storefront``), the operators' organisation form and the review
form."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from catalog.forms import EVIDENCE_EXTENSIONS, MAX_EVIDENCE_BYTES
from core.money import yuan_formfield
from orders.institutions.credit_code import normalise, validate_credit_code
from orders.institutions.services import AddressDetails, code_taken_message, credit_code_taken
from orders.models import Organisation

mobile_number = RegexValidator(r"^1[0-9]{10}$", _("Enter an 11-digit mobile number."))


class ApplicationForm(forms.Form):
    """A shopper applies for their organisation: its details, one delivery address and a proof."""

    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=Organisation.Kind.choices)
    name = forms.CharField(label=_("Name of the organisation"), max_length=128)
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=24, help_text=_("18 characters, as on the licence.")
    )
    invoice_title = forms.CharField(
        label=_("Invoice title"), max_length=128, required=False, help_text=_("Leave empty to use the name.")
    )
    tax_number = forms.CharField(
        label=_("Tax number"), max_length=24, required=False, help_text=_("Leave empty to use the credit code.")
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=64)
    contact_phone = forms.CharField(label=_("Contact mobile number"), max_length=11, validators=[mobile_number])
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    label = forms.CharField(label=_("Address label"), max_length=64, initial=_("Head office"))
    recipient = forms.CharField(label=_("Recipient"), max_length=64)
    phone = forms.CharField(label=_("Recipient's mobile number"), max_length=11, validators=[mobile_number])
    province = forms.CharField(label=_("Province"), max_length=32)
    city = forms.CharField(label=_("City"), max_length=32)
    district = forms.CharField(label=_("District"), max_length=32, required=False)
    street = forms.CharField(label=_("Street address"), max_length=200)
    proof = forms.FileField(
        label=_("Proof of the organisation"),
        help_text=_("Business licence or a letter from the unit (PDF, JPEG, PNG or WebP, at most 10 MB)."),
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )

    def clean_credit_code(self) -> str:
        code = normalise(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        if credit_code_taken(code):
            raise ValidationError(code_taken_message())
        return code

    def clean_proof(self):
        proof = self.cleaned_data["proof"]
        if proof.size > MAX_EVIDENCE_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."))
        return proof

    def address(self) -> AddressDetails:
        data = self.cleaned_data
        return AddressDetails(**{field: data[field] for field in AddressDetails.__dataclass_fields__})


class OrganisationForm(WagtailAdminModelForm):
    """The operators' form: the threshold and the annual target typed in yuan; the credit code checked and kept
    in capitals."""

    approval_threshold = yuan_formfield(
        Organisation._meta.get_field("approval_threshold"),
        label=_("Approval threshold (yuan)"),
        help_text=_("Orders above this amount need an approver's sign-off; 0: every order."),
    )
    annual_target = yuan_formfield(
        Organisation._meta.get_field("annual_target"),
        label=_("Annual target (yuan)"),
        help_text=_("Certified aid products the organisation means to buy in a year; 0 or empty: none set."),
        required=False,
    )

    def clean_annual_target(self) -> int:
        return self.cleaned_data["annual_target"] or 0

    def clean_credit_code(self) -> str:
        code = normalise(self.cleaned_data["credit_code"])
        validate_credit_code(code)
        if credit_code_taken(code, exclude_pk=self.instance.pk):
            raise ValidationError(code_taken_message())
        return code

    def clean_tax_number(self) -> str:
        return normalise(self.cleaned_data["tax_number"])


class DecisionForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        required=False,
        label=_("Reason"),
        help_text=_("Kept in the organisation's history with your name; the applicant reads it when rejected."),
    )
