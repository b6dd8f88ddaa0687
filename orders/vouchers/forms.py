"""The back-office voucher batch form: money typed in yuan, dates and chosen products checked."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.money import yuan_formfield
from orders.models import Coupon, VoucherBatch


class VoucherBatchForm(WagtailAdminModelForm):
    """A voucher batch: face value, minimum spend and budget in yuan. The budget cannot go below what is spent."""

    face_value = yuan_formfield(
        VoucherBatch._meta.get_field("face_value"),
        label=_("Face value (yuan)"),
        help_text=_("What one voucher takes off eligible goods, for example 30.00."),
        min_fen=1,
    )
    min_spend = yuan_formfield(
        VoucherBatch._meta.get_field("min_spend"),
        label=_("Minimum spend on eligible goods (yuan)"),
        help_text=_("0: any amount."),
        required=False,
    )
    budget = yuan_formfield(
        VoucherBatch._meta.get_field("budget"),
        label=_("Budget (yuan)"),
        help_text=_("What the sponsor funds in all; redemptions stop when it is used up."),
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["min_spend"] = cleaned.get("min_spend") or 0
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until <= valid_from:
            self.add_error("valid_until", _("The end must come after the start."))
        if cleaned.get("eligibility") == Coupon.Eligibility.CHOSEN and not cleaned.get("products"):
            self.add_error("products", _("Choose the products these vouchers apply to."))
        budget = cleaned.get("budget")
        if budget is not None and self.instance.pk and budget < self.instance.spent:
            self.add_error("budget", _("The budget cannot be less than what has been spent already."))
        return cleaned
