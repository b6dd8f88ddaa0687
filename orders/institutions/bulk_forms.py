"""Forms of the bulk order pages (shown by ``storefront``): a draft's delivery, a line, a recipients upload."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.models import Location
from orders.institutions.bulk import sellable_packs, sellable_variants
from orders.institutions.recipients import MAX_QUANTITY
from orders.models import BulkOrder, Organisation, OrganisationAddress


class DraftForm(forms.Form):
    """The organisation (when creating), the delivery and a note."""

    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    delivery = forms.ChoiceField(label=_("Delivery"), choices=BulkOrder.Delivery.choices)
    address = forms.ModelChoiceField(label=_("Delivery address"), queryset=None, required=False)
    counter = forms.ModelChoiceField(
        label=_("Pickup counter"),
        queryset=Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True),
        required=False,
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, required=False)

    def __init__(self, *args, organisations=None, bulk_order: BulkOrder | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if bulk_order is not None:
            del self.fields["organisation"]
            self.fields["address"].queryset = OrganisationAddress.objects.filter(organisation=bulk_order.organisation)
        else:
            self.fields["organisation"].queryset = organisations
            self.fields["address"].queryset = OrganisationAddress.objects.filter(organisation__in=organisations)

    def clean(self):
        data = super().clean()
        if data.get("delivery") == BulkOrder.Delivery.ADDRESS and not data.get("address"):
            self.add_error("address", _("Choose one of the organisation's addresses."))
        if data.get("delivery") == BulkOrder.Delivery.PICKUP and not data.get("counter"):
            self.add_error("counter", _("Choose a sales counter for the pickup."))
        return data


class LineForm(forms.Form):
    """A variant (by SKU) or a gift pack (by slug), and a quantity."""

    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    pack = forms.ModelChoiceField(label=_("Gift pack"), queryset=sellable_packs(), to_field_name="slug", required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY * 100, initial=1)

    def clean(self):
        data = super().clean()
        sku, pack = (data.get("sku") or "").strip(), data.get("pack")
        if bool(sku) == bool(pack):
            raise ValidationError(_("Give a gift pack or a SKU, not both."))
        data["variant"] = None
        if sku:
            data["variant"] = sellable_variants().filter(sku=sku).first()
            if data["variant"] is None:
                self.add_error("sku", _("Unknown SKU “%(sku)s”.") % {"sku": sku})
        return data


class RecipientsUploadForm(forms.Form):
    file = forms.FileField(label=_("Recipients (CSV or XLSX)"))
