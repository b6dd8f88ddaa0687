"""An organisation's purchases report (以购代捐, issue 19), at ``/institutions/<pk>/report/``.

Thin: the figures are ``orders.institutions.reports``. Members of the organisation (any role) and operators see
it; anyone else signed in is answered 404, as if the organisation did not exist; signed-out visitors are sent to
sign in. ``?period=2026-11`` (a month, ``2026-Q4`` a quarter, ``2026`` a year) chooses the period, the current
month by default; ``&format=csv`` or ``xlsx`` downloads it.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.spreadsheets import FORMATS
from orders.institutions.reports import (
    MONTH,
    Period,
    organisation_report,
    parse_period,
    period_choices,
    period_of,
    report_file,
)
from orders.institutions.selectors import organisations_for_user


class ReportPeriodForm(forms.Form):
    """The period to report: one of the months, quarters and years offered (``period_choices``)."""

    period = forms.ChoiceField(label=_("Reporting period"))

    def __init__(self, *args, choices: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = choices

    def chosen(self, default: Period) -> Period:
        """The period chosen, or ``default`` when none (or an invalid one) was given."""
        if self.is_bound and self.is_valid():
            return parse_period(self.cleaned_data["period"]) or default
        return default


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="storefront:login")
def institution_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisation's purchases in a period: certified and uncertified, the annual target, per producer and
    per product; downloadable as CSV or XLSX."""
    organisation = get_object_or_404(organisations_for_user(request.user), pk=pk)
    default = period_of(MONTH, timezone.localdate())
    form = ReportPeriodForm(
        request.GET if "period" in request.GET else None,
        choices=period_choices(organisation),
        initial={"period": default.code},
    )
    period = form.chosen(default)
    report = organisation_report(organisation, period)
    fmt = request.GET.get("format", "")
    if fmt in FORMATS:
        exported = report_file(report, fmt)
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
    return render(
        request,
        "storefront/institutions/report.html",
        {"organisation": organisation, "form": form, "report": report, "period": period},
    )
