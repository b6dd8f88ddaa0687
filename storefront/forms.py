"""Storefront forms: the product filter (invalid values are dropped), checkout and registration."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Category, Merchant
from catalog.regions import XiushanTownship
from orders.models import DeliveryMethod
from storefront.selectors import MARKS


class FlagInput(forms.CheckboxInput):
    """A checkbox that submits "1" and hands any other submitted value to the field unchanged."""

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__({"value": "1", **(attrs or {})}, check_test=lambda value: value is True or value == "1")

    def value_from_datadict(self, data, files, name):
        return data.get(name, "")


class FlagField(forms.Field):
    """True for a ticked checkbox ("1"), False when absent; anything else is an error."""

    widget = FlagInput
    ticked = {"1", "on", "true"}

    def to_python(self, value: Any) -> bool:
        if value in (None, "", False):
            return False
        if value is True or str(value).lower() in self.ticked:
            return True
        raise ValidationError(_("Unknown value."), code="invalid")


class QuickSelect(forms.Select):
    """A ``<select>`` written in Python: the list page renders several on every request, and Django's
    template per option costs more than the rest of the form."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((option, " selected" if str(option) == chosen else "", label) for option, label in self.choices),
        )
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)


SEARCH_MAX_LENGTH = 100


class ProductFilterForm(forms.Form):
    """Search, filters and sort order of the product list (a GET form). The words searched for are typed in
    the header's search field (the one search box); the filter form carries them along, hidden."""

    q = forms.CharField(label=_("Search"), max_length=SEARCH_MAX_LENGTH, required=False, widget=forms.HiddenInput)
    category = forms.ChoiceField(label=_("Category"), required=False, widget=QuickSelect)
    merchant = forms.ChoiceField(label=_("Merchant"), required=False, widget=QuickSelect)
    township = forms.ChoiceField(
        label=_("Township"),
        required=False,
        widget=QuickSelect,
        choices=[("", _("All townships")), *XiushanTownship.choices],
    )
    mark = forms.ChoiceField(
        label=_("Quality mark"),
        required=False,
        widget=QuickSelect,
        choices=[("", _("Any")), *((key, label) for key, (_field, label) in MARKS.items())],
    )
    in_stock = FlagField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        widget=QuickSelect,
        choices=[
            ("", _("Recommended")),
            ("newest", _("Newest")),
            ("price_asc", _("Price: low to high")),
            ("price_desc", _("Price: high to low")),
        ],
    )

    def __init__(self, *args: Any, categories: Iterable[Category] = (), merchants: Iterable[Merchant] = (), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *((c.slug, c.display_name) for c in categories)]
        self.fields["merchant"].choices = [("", _("All merchants")), *((m.slug, m.display_name) for m in merchants)]

    @property
    def filters(self) -> dict[str, Any]:
        """The valid, non-empty values; invalid ones are left out."""
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        return {name: value for name, value in self.cleaned_data.items() if value}

    def query_string(self) -> str:
        """The valid filters as a query string, for links that keep them (pagination)."""
        return urlencode({name: "1" if value is True else value for name, value in self.filters.items()})


class CheckoutForm(forms.Form):
    """Checkout fields, for display and re-display: the rules are checked by ``orders.checkout.place_order``.

    Every field is optional here so that the order service gives the one, specific message for
    each problem; the ``required`` marks in the page are for the browser's benefit only.
    """

    name = forms.CharField(
        label=pgettext_lazy("the person who receives or collects an order", "Recipient"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "name", "required": True}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=32,
        help_text=_("A mainland China mobile number, 11 digits, e.g. 13812345678."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "required": True}),
    )
    email = forms.CharField(
        label=_("E-mail (optional)"),
        required=False,
        max_length=254,
        help_text=_("Order updates come by text message to your mobile; give an e-mail address for a copy."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    method = forms.ChoiceField(
        label=_("How do you want to receive your order?"),
        required=False,
        choices=DeliveryMethod.choices,
        widget=forms.RadioSelect,
    )
    pickup_location = forms.CharField(label=_("Counter"), required=False, max_length=20)
    province = forms.CharField(
        label=_("Province"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    city = forms.CharField(
        label=_("City"), required=False, max_length=32, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    district = forms.CharField(
        label=_("District"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "address-level3"}),
    )
    street = forms.CharField(
        label=_("Street address"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        required=False,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    invoice_title = forms.CharField(
        label=_("Invoice title"),
        required=False,
        max_length=128,
        help_text=_("Your name, or your company's name for a company invoice."),
    )
    invoice_tax_id = forms.CharField(
        label=_("Taxpayer ID"),
        required=False,
        max_length=20,
        help_text=_("Companies only: the unified social credit code (18 characters)."),
    )
    note = forms.CharField(
        label=_("Note for the merchants"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Show a ``CheckoutError``'s messages next to their fields (others at the top of the form)."""
        for name, messages in errors.items():
            self.add_error(name if name in self.fields else None, list(messages))


class RegistrationForm(UserCreationForm):
    """A customer account: user name, e-mail (for password resets) and password."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("We send order updates and password reset links here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this e-mail address already exists."), code="duplicate")
        return email
