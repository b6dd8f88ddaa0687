"""Wagtail's built-in page reports with exports that neutralise formula cells (``core.spreadsheets``).

Page titles and workflow names are typed by users, so each report's CSV/XLSX goes through the same
rule as every other export. ``urlpatterns`` shadows Wagtail's report URLs (include it before the
admin's); the site-history report is scoped per merchant in ``catalog.backoffice.reports``.
"""

from django.urls import path
from wagtail.admin.views.reports.aging_pages import AgingPagesView
from wagtail.admin.views.reports.locked_pages import LockedPagesView
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.admin.views.reports.workflows import WorkflowTasksView, WorkflowView

from core.spreadsheets import SafeSpreadsheetExportMixin

REPORTS = {
    "locked": LockedPagesView,
    "workflow": WorkflowView,
    "workflow_tasks": WorkflowTasksView,
    "aging-pages": AgingPagesView,
    "page-types-usage": PageTypesUsageReportView,
}


def safe(view: type) -> type:
    """The report view with its exports' cells neutralised."""
    return type(view.__name__, (SafeSpreadsheetExportMixin, view), {})


urlpatterns = [
    pattern
    for prefix, view in REPORTS.items()
    for pattern in (
        path(f"{prefix}/", safe(view).as_view()),
        path(f"{prefix}/results/", safe(view).as_view(results_only=True)),
    )
]
