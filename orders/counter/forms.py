"""Forms of the counter console and of merchant shipping; the rules themselves live in the services."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import Stock
from core.money import format_fen
from orders.counter.services import MAX_NOTE_LENGTH, MAX_SALE_QUANTITY

PICKUP_CODE_RE = re.compile(r"[0-9]{6}")
# What a scanner types from the QR of a pickup code: the code itself, or a link ending in it ("…/123456",
# "…?code=123456").
SCANNED_LINK_RE = re.compile(r"[a-z][a-z0-9+.-]*://[^\s]*?[/=#](?P<code>[0-9]{6})/?", re.IGNORECASE)
SALE_LINES = 6


def pickup_code_from(value: str) -> str | None:
    """The six digits of a pickup code typed (spaces allowed) or scanned from its QR; ``None`` if it is neither."""
    value = value.strip()
    link = SCANNED_LINK_RE.fullmatch(value)
    if link is not None:
        return link.group("code")
    code = re.sub(r"\s", "", value)
    return code if PICKUP_CODE_RE.fullmatch(code) else None


class HandOverForm(forms.Form):
    code = forms.CharField(
        label=_("Pickup code"),
        max_length=500,
        help_text=_(
            "The 6-digit code on the customer's order page and in their message: type it, or scan its QR code."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "enterkeyhint": "done"}),
    )

    def clean_code(self) -> str:
        code = pickup_code_from(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(_("Enter the 6 digits of the pickup code."), code="format")
        return code


class SaleLineForm(forms.Form):
    """One line of a counter sale: a variant stocked at the counter and how many; a blank line is skipped."""

    variant = forms.TypedChoiceField(label=_("Product"), coerce=int, required=False, empty_value=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_SALE_QUANTITY, required=False)

    def __init__(self, *args, stocks: list[Stock], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = [("", "---------")] + [
            (
                stock.variant_id,
                gettext("%(product)s %(variant)s (%(sku)s) · %(price)s · %(available)d available")
                % {
                    "product": stock.variant.product.name,
                    "variant": stock.variant.name,
                    "sku": stock.variant.sku,
                    "price": format_fen(stock.variant.price),
                    "available": stock.available,
                },
            )
            for stock in stocks
        ]

    def clean(self) -> dict:
        data = super().clean()
        variant, quantity = data.get("variant"), data.get("quantity")
        if variant is not None and quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter how many."))
        if variant is None and quantity is not None and "variant" not in self.errors:
            self.add_error("variant", _("Choose a product."))
        return data


class BaseSaleLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError(_("Add at least one product to the sale."), code="empty")

    def lines(self) -> list[tuple[int, int]]:
        """The filled-in lines as (variant id, quantity)."""
        return [
            (form.cleaned_data["variant"], form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data.get("variant") is not None
        ]


SaleLineFormSet = forms.formset_factory(
    SaleLineForm, formset=BaseSaleLineFormSet, extra=SALE_LINES, max_num=SALE_LINES, validate_max=True
)


class SaleNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=MAX_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: anything worth knowing about this sale. Recorded with your name."),
    )
