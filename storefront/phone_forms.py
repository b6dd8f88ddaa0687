"""Forms of sign-in by mobile number: the number, the code from the text message, an optional display name."""

import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from storefront.phone_sign_in import CODE_DIGITS, mainland_mobile


class StackedForm(forms.Form):
    """Labels above their fields, without Django's colon (as every shop form)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class PhoneForm(StackedForm):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("A mainland China mobile number, 11 digits, e.g. 13812345678."),
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel-national", "enterkeyhint": "send"}
        ),
    )

    def clean_phone(self) -> str:
        phone = mainland_mobile(unicodedata.normalize("NFKC", self.cleaned_data["phone"]))
        if phone is None:
            raise ValidationError(
                _("Enter a mainland China mobile number (11 digits, starting with 1)."), code="invalid"
            )
        return phone


class CodeForm(StackedForm):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "maxlength": "7",
                "enterkeyhint": "done",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(unicodedata.normalize("NFKC", self.cleaned_data["code"]).split())
        if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
            raise ValidationError(_("Enter the 6-digit code from the text message."), code="invalid")
        return code

    def reject(self, message: str) -> None:
        """The code was not accepted: say so, and leave the field empty for the next try."""
        self.data = self.data.copy()
        self.data["code"] = ""
        self.add_error("code", message)


class DisplayNameForm(StackedForm):
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=30,
        required=False,
        help_text=_("How we greet you, and the recipient's name we suggest at checkout."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
