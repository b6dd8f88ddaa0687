"""The submissions listing of Wagtail form pages, with its CSV/XLSX export neutralised.

Rule: every exported answer and heading passes through ``core.spreadsheets.safe_cell``. A form page
uses it by returning ``SafeSubmissionsListView`` from ``get_submissions_list_view_class`` (imported
there, not at module level, as Wagtail does with its own view).
"""

from wagtail.contrib.forms.views import SubmissionsListView

from core.spreadsheets import SafeSpreadsheetExportMixin


class SafeSubmissionsListView(SafeSpreadsheetExportMixin, SubmissionsListView):
    """Wagtail's form submissions listing; its exports quote text that would run as a formula."""
