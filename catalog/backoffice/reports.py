"""Wagtail's site-wide reports, closed to users who see only some merchants.

The Site history report decides visibility from model permissions alone, so a merchant
member would see every merchant's product edits there. Such users keep the per-object
history views, which are scoped; the site-wide report answers 404 for them. Its CSV/XLSX
export neutralises formulas (``core.spreadsheets``): object names are typed by users.
"""

from django.http import Http404
from wagtail.admin.views.reports.audit_logging import LogEntriesView

from catalog.selectors import sees_all_merchants
from core.spreadsheets import SafeSpreadsheetExportMixin


class ScopedLogEntriesView(SafeSpreadsheetExportMixin, LogEntriesView):
    def dispatch(self, request, *args, **kwargs):
        if not sees_all_merchants(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


site_history = ScopedLogEntriesView.as_view()
site_history_results = ScopedLogEntriesView.as_view(results_only=True)
