"""The product list's filter form: values that do not validate are dropped, never trusted."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Merchant
from catalog.regions import XiushanTownship
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


class ProductFilterForm(forms.Form):
    """Search, filters and sort order of the product list (a GET form)."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False, widget=forms.SearchInput)
    category = forms.ChoiceField(label=_("Category"), required=False)
    merchant = forms.ChoiceField(label=_("Producer"), required=False)
    township = forms.ChoiceField(
        label=_("Township"),
        required=False,
        choices=[("", _("All townships")), *XiushanTownship.choices],
    )
    mark = forms.ChoiceField(
        label=_("Quality mark"),
        required=False,
        choices=[("", _("Any")), *((key, label) for key, (_field, label) in MARKS.items())],
    )
    in_stock = FlagField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
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
        self.fields["category"].choices = [("", _("All categories")), *((c.slug, c.name) for c in categories)]
        self.fields["merchant"].choices = [("", _("All producers")), *((m.slug, m.name) for m in merchants)]

    @property
    def filters(self) -> dict[str, Any]:
        """The valid, non-empty values; invalid ones are left out."""
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        return {name: value for name, value in self.cleaned_data.items() if value}

    def query_string(self) -> str:
        """The valid filters as a query string, for links that keep them (pagination)."""
        return urlencode({name: "1" if value is True else value for name, value in self.filters.items()})
