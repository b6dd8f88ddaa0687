"""Forms of the aid back office: which figures a report shows, which statement to open."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from catalog.models import Merchant
from catalog.selectors import User, merchants_for_user
from orders.aid.reports import DIMENSIONS
from orders.aid.selectors import CERTIFICATION_CHOICES, CERTIFIED_ONLY
from orders.models import AidChannel


def last_month() -> tuple[date, date]:
    """The first and last day of the previous calendar month (local time)."""
    first_of_this = timezone.localdate().replace(day=1)
    end = first_of_this - timedelta(days=1)
    return end.replace(day=1), end


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=AdminDateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=AdminDateInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period must start before it ends."))
        return cleaned


# A report opened without a grouping (the menu's first visit, an old link) is grouped by month.
DEFAULT_GROUPING = "month"
# ... and without a choice of sales, it shows the aid figures: certified sales only.
DEFAULT_CERTIFICATION = CERTIFIED_ONLY


class ReportForm(PeriodForm):
    """The figures a report shows. Its grouping menu shows the grouping in use: without one, the month; its
    sales menu too: without a choice, certified sales only (the aid figures)."""

    group_by = forms.ChoiceField(
        label=_("Totals by"),
        choices=[(key, label) for key, (label, _fields) in DIMENSIONS.items()],
        required=False,
        initial=DEFAULT_GROUPING,
    )
    merchant = forms.ModelChoiceField(
        label=_("Merchant"), queryset=Merchant.objects.none(), required=False, empty_label=_("All merchants")
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *AidChannel.choices], required=False
    )

    certification = forms.ChoiceField(
        label=_("Sales counted"), choices=CERTIFICATION_CHOICES, required=False, initial=DEFAULT_CERTIFICATION
    )

    field_order = ["group_by", "date_from", "date_to", "merchant", "channel", "certification"]

    def __init__(self, data=None, *args, user: User, **kwargs) -> None:
        if data is not None and not (data.get("group_by") and data.get("certification")):
            data = data.copy()
            data["group_by"] = data.get("group_by") or DEFAULT_GROUPING  # else the menu would show the day
            data["certification"] = data.get("certification") or DEFAULT_CERTIFICATION
        super().__init__(data, *args, **kwargs)
        self.fields["merchant"].queryset = merchants_for_user(user).order_by("name")


class StatementForm(PeriodForm):
    """A merchant (among the user's) and a period; both days are required."""

    merchant = forms.ModelChoiceField(label=_("Merchant"), queryset=Merchant.objects.none())

    field_order = ["merchant", "date_from", "date_to"]

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants_for_user(user).order_by("name")
        self.fields["date_from"].required = True
        self.fields["date_to"].required = True


class ExportForm(PeriodForm):
    """The monitoring export's period (both days required) and whether uncertified sales are added; the
    format is the button pressed (``format=csv|xlsx``)."""

    include_uncertified = forms.BooleanField(
        label=_("Include uncertified sales"),
        required=False,
        help_text=_("In a section of their own, after the certified sales."),
    )

    field_order = ["date_from", "date_to", "include_uncertified"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_from"].required = True
        self.fields["date_to"].required = True
