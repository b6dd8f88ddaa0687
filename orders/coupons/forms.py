"""The back-office coupon form: amounts typed in yuan, the discount's kind checked, the codes made with the coupon."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.money import yuan_formfield
from orders.coupons.services import MAX_BATCH
from orders.models import Coupon


class CouponForm(WagtailAdminModelForm):
    """A coupon; when it is created, its shared code (chosen by the operator) or its batch of single-use codes."""

    amount = yuan_formfield(
        Coupon._meta.get_field("amount"),
        label=_("Discount amount (yuan)"),
        help_text=_("For a fixed discount, in yuan, for example 20.00; leave 0 for a percentage."),
        required=False,
    )
    min_spend = yuan_formfield(
        Coupon._meta.get_field("min_spend"),
        label=_("Minimum spend on eligible goods (yuan)"),
        help_text=_("0: any amount."),
        required=False,
    )
    shared_code = forms.CharField(
        label=_("Shared code"),
        required=False,
        max_length=32,
        help_text=_("For a shared coupon: the code shoppers type, 4 to 32 letters and digits."),
    )
    code_count = forms.IntegerField(
        label=_("Number of single-use codes"),
        required=False,
        min_value=1,
        max_value=MAX_BATCH,
        help_text=_("For single-use codes: how many to generate now (more can be generated later)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The kind and the codes are chosen once; more single-use codes are generated from the coupon's page.
            for name in ("shared_code", "code_count"):
                self.fields.pop(name, None)
            if "kind" in self.fields:
                self.fields["kind"].disabled = True

    def clean(self):
        cleaned = super().clean()
        kind, discount_kind = cleaned.get("kind") or self.instance.kind, cleaned.get("discount_kind")
        amount, percent = cleaned.get("amount") or 0, cleaned.get("percent") or 0
        cleaned["amount"], cleaned["percent"] = amount, percent
        if discount_kind == Coupon.DiscountKind.FIXED and (amount < 1 or percent):
            self.add_error("amount", _("Enter the amount of a fixed discount, and no percentage."))
        if discount_kind == Coupon.DiscountKind.PERCENT and (not 1 <= percent <= 100 or amount):
            self.add_error("percent", _("Enter a percentage from 1 to 100, and no fixed amount."))
        cleaned["min_spend"] = cleaned.get("min_spend") or 0
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until <= valid_from:
            self.add_error("valid_until", _("The end must come after the start."))
        if cleaned.get("eligibility") == Coupon.Eligibility.CHOSEN and not cleaned.get("products"):
            self.add_error("products", _("Choose the products this coupon applies to."))
        if not self.instance.pk:
            if kind == Coupon.Kind.SHARED and not cleaned.get("shared_code"):
                self.add_error("shared_code", _("Enter the code shoppers will type."))
            if kind == Coupon.Kind.SINGLE_USE and not cleaned.get("code_count"):
                self.add_error("code_count", _("Enter how many codes to generate."))
        return cleaned
