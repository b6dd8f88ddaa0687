"""The consumption-aid back office: reports with charts and exports, statements and settlements.

Operators see every merchant; a merchant member sees only the entries, statements and settlements of
its own merchants (``orders.aid.scopes.entries_for_user`` / ``settlements_for_user``), and a
merchant or settlement outside that scope answers 404. Marking a statement settled needs
``orders.add_settlement`` (operators). The monitoring export covers every merchant, so it is for operators
only: the aid permission and ``catalog.access_all_merchants`` (``OperatorsOnlyMixin``).
"""

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from catalog.models import Merchant
from catalog.selectors import sees_all_merchants
from core.backoffice import get_object_in_scope_or_404
from core.charts import bar_chart, column_chart
from core.money import fen_to_decimal
from core.spreadsheets import FORMATS as EXPORT_FORMATS
from core.spreadsheets import spreadsheet_response
from orders.aid.export import export_file
from orders.aid.forms import (
    DEFAULT_CERTIFICATION,
    DEFAULT_GROUPING,
    ExportForm,
    ReportForm,
    StatementForm,
    last_month,
)
from orders.aid.reports import (
    DIMENSIONS,
    PERIODS,
    Report,
    campaign_discounts,
    certification_split,
    in_period,
    report,
)
from orders.aid.scopes import entries_for_user, settlements_for_user
from orders.aid.selectors import ALL_SALES, CERTIFIED_ONLY, UNCERTIFIED_ONLY, with_certification
from orders.aid.services import SettlementError, settle
from orders.aid.settings import aid_settings
from orders.aid.statements import Statement, settled_statement, statement
from orders.models import AidExport

VIEW_PERMISSION = "orders.view_aidledgerentry"
SETTLE_PERMISSION = "orders.add_settlement"


class AidMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(VIEW_PERMISSION)


class AidAccessMixin:
    """Refuse (403) users who may not see aid figures, before anything is looked up."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(VIEW_PERMISSION):
            return HttpResponseForbidden(_("Only operators and merchants may see consumption-aid figures."))
        return super().dispatch(request, *args, **kwargs)


def may_export(user) -> bool:
    """Operators: they see the aid figures of every merchant."""
    return user.has_perm(VIEW_PERMISSION) and sees_all_merchants(user)


class OperatorsOnlyMixin:
    """Refuse (403) anyone who may not see aid figures or does not see every merchant's."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not may_export(request.user):
            return HttpResponseForbidden(_("Only operators may export the monitoring figures."))
        return super().dispatch(request, *args, **kwargs)


class AidPageMixin(AidAccessMixin, WagtailAdminTemplateMixin):
    header_icon = "doc-full"

    def get_breadcrumbs_items(self) -> list[dict]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]


def _query_with(request: HttpRequest, **params: str) -> str:
    query: QueryDict = request.GET.copy()
    for key, value in params.items():
        query[key] = value
    return f"?{query.urlencode()}"


# The totals shown apart from a report's rows (the sales it leaves out, or the split of "all sales"):
# (key of ``certification_split``, label).
SPLIT_LABELS = {
    CERTIFIED_ONLY: gettext_lazy("Certified sales (counted as aid)"),
    UNCERTIFIED_ONLY: gettext_lazy("Uncertified product sales (not counted as aid)"),
}
SHOWN_APART = {
    CERTIFIED_ONLY: [UNCERTIFIED_ONLY],
    UNCERTIFIED_ONLY: [CERTIFIED_ONLY],
    ALL_SALES: [CERTIFIED_ONLY, UNCERTIFIED_ONLY],
}


class ReportView(AidPageMixin, TemplateView):
    """Totals by period, merchant, township, paired county, counter, category or channel; chart and exports.

    By default the rows are the aid figures, certified sales only (``orders.aid.selectors``); the sales left
    out (or, for all sales, the certified/uncertified split) are totalled apart, under the total, never mixed
    into the rows."""

    template_name = "orders/aid/admin/report.html"
    page_title = gettext_lazy("Consumption-aid report")

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = ReportForm(request.GET or None, user=request.user)
        result, apart, certification = None, [], DEFAULT_CERTIFICATION
        if form.is_bound and form.is_valid():
            certification = form.cleaned_data["certification"]
            entries = self.entries(form.cleaned_data)
            result = report(with_certification(entries, certification), form.cleaned_data["group_by"])
        elif not form.is_bound:
            entries = entries_for_user(request.user)
            result = report(with_certification(entries, certification), DEFAULT_GROUPING)
        campaigns = []
        if result is not None:
            split = certification_split(entries)
            apart = [(key, SPLIT_LABELS[key], split[key]) for key in SHOWN_APART[certification]]
            campaigns = campaign_discounts(with_certification(entries, certification))
        fmt = request.GET.get("export")
        if result is not None and fmt in EXPORT_FORMATS:
            return self.export(result, apart, certification, fmt, campaigns)
        return self.render_to_response(
            self.get_context_data(
                form=form, report=result, apart=apart, certification=certification, campaigns=campaigns
            )
        )

    def entries(self, data: dict) -> Any:
        """The user's entries of the period, merchant and channel chosen, certified or not."""
        entries = in_period(entries_for_user(self.request.user), data.get("date_from"), data.get("date_to"))
        if data.get("merchant"):
            entries = entries.filter(merchant=data["merchant"])
        if data.get("channel"):
            entries = entries.filter(channel=data["channel"])
        return entries

    def export(self, result: Report, apart: list, certification: str, fmt: str, campaigns: list) -> HttpResponse:
        """The rows, the total and what is totalled apart; then, under a blank row and their own headings, the
        campaign discounts by sponsor (as on the page)."""
        header = [
            str(DIMENSIONS[result.dimension][0]),
            _("Sales (yuan)"),
            _("Refunds (yuan)"),
            _("Net (yuan)"),
            _("Entries"),
        ]
        rows = [
            (row.label, fen_to_decimal(row.credits), fen_to_decimal(row.debits), fen_to_decimal(row.net), row.entries)
            for row in result.rows
        ]
        rows.append(
            (
                _("Total"),
                fen_to_decimal(result.credits),
                fen_to_decimal(result.debits),
                fen_to_decimal(result.net),
                result.entries,
            )
        )
        for _key, label, totals in apart:
            rows.append(
                (
                    str(label),
                    fen_to_decimal(totals["credits"]),
                    fen_to_decimal(totals["debits"]),
                    fen_to_decimal(totals["net"]),
                    totals["entries"],
                )
            )
        if campaigns:
            rows.append(("", "", "", "", ""))
            rows.append(
                (
                    _("Campaign discounts by sponsor"),
                    _("Kind"),
                    _("Orders"),
                    _("Discount given"),
                    _("Goods moved to producers"),
                )
            )
            rows += [
                (row.sponsor, row.kind_label, row.documents, fen_to_decimal(row.discount), fen_to_decimal(row.goods))
                for row in campaigns
            ]
        stamp = timezone.localdate().isoformat()
        suffix = "" if certification == CERTIFIED_ONLY else f"-{certification}"
        return spreadsheet_response(f"aid-report-{result.dimension}{suffix}-{stamp}", header, rows, fmt)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        result: Report | None = kwargs.get("report")
        if result is not None:
            dimension = str(DIMENSIONS[result.dimension][0]).lower()
            if kwargs.get("certification", DEFAULT_CERTIFICATION) == CERTIFIED_ONLY:
                title = _("Net consumption aid by %(dimension)s") % {"dimension": dimension}
            else:
                title = _("Net sales by %(dimension)s") % {"dimension": dimension}
            points = [(row.label, row.net) for row in result.rows]
            draw = column_chart if result.dimension in PERIODS else bar_chart
            context.update(
                chart=draw(points, title=title) if points else None,
                dimension_label=DIMENSIONS[result.dimension][0],
                csv_url=_query_with(self.request, export="csv"),
                xlsx_url=_query_with(self.request, export="xlsx"),
            )
        context["export_url"] = reverse("aid:export") if may_export(self.request.user) else None
        return context


def statement_rows(result: Statement) -> list[tuple]:
    return [
        (
            timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
            entry.reference,
            str(entry.get_kind_display()),
            str(entry.get_channel_display()),
            entry.counter.name if entry.counter else "",
            entry.product_name,
            entry.quantity,
            fen_to_decimal(entry.amount),
            entry.profit_share.out_order_no if entry.profit_share else "",
            str(entry.profit_share.get_state_display()) if entry.profit_share else "",
            entry.certificate_number if entry.is_certified else "",
        )
        for entry in result.entries
    ]


def statement_csv(result: Statement, filename: str) -> HttpResponse:
    header = [
        _("Time"),
        _("Reference"),
        _("Kind"),
        _("Channel"),
        _("Counter"),
        _("Product"),
        _("Quantity"),
        _("Amount (yuan)"),
        _("WeChat Pay profit sharing"),
        _("Profit-sharing state"),
        _("Certificate number"),
    ]
    summary = [
        (_("Merchant"), result.merchant.name),
        (_("Period"), f"{result.period_start.isoformat()} – {result.period_end.isoformat()}"),
        (_("Gross sales (yuan)"), fen_to_decimal(result.gross)),
        (_("Refunds (yuan)"), fen_to_decimal(result.refunds)),
        (_("Platform fee (yuan)"), fen_to_decimal(result.fee)),
        (_("Net payable (yuan)"), fen_to_decimal(result.net)),
        (_("Of which certified aid sales, net (yuan)"), fen_to_decimal(result.certified_net)),
        (_("Uncertified product sales, net (yuan)"), fen_to_decimal(result.uncertified_net)),
        (_("Paid by WeChat Pay profit sharing (yuan)"), fen_to_decimal(result.shared)),
        (_("Being paid by WeChat Pay profit sharing (yuan)"), fen_to_decimal(result.sharing)),
        (),
        tuple(header),
    ]
    return spreadsheet_response(filename, summary[0], [*summary[1:], *statement_rows(result)], "csv")


class StatementView(AidPageMixin, TemplateView):
    """A merchant's open statement for a period: printable, CSV, and (operators) marked settled."""

    template_name = "orders/aid/admin/statement.html"
    page_title = gettext_lazy("Settlement statement")

    def form(self) -> StatementForm:
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        if "merchant" in data:
            get_object_in_scope_or_404(Merchant, self.request.user, data["merchant"])
            return StatementForm(data, user=self.request.user)
        start, end = last_month()
        return StatementForm(initial={"date_from": start, "date_to": end}, user=self.request.user)

    def statement(self, form: StatementForm) -> Statement:
        data = form.cleaned_data
        return statement(
            data["merchant"],
            data["date_from"],
            data["date_to"],
            fee_basis_points=aid_settings()["platform_fee_basis_points"],
        )

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = self.form()
        result = self.statement(form) if form.is_bound and form.is_valid() else None
        if result is not None and request.GET.get("export") == "csv":
            return statement_csv(result, f"statement-{result.merchant.slug}-{result.period_end.isoformat()}")
        if result is not None and request.GET.get("print"):
            return TemplateResponse(request, "orders/aid/admin/statement_print.html", {"statement": result})
        return self.render_to_response(self.get_context_data(form=form, statement=result))

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(SETTLE_PERMISSION):
            return HttpResponseForbidden(_("Only operators may settle statements."))
        form = self.form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, statement=None))
        data = form.cleaned_data
        try:
            settlement = settle(data["merchant"], data["date_from"], data["date_to"], actor=request.user)
        except SettlementError as error:
            messages.error(request, str(error))
            query = urlencode(
                {"merchant": data["merchant"].pk, "date_from": data["date_from"], "date_to": data["date_to"]}
            )
            return redirect(f"{reverse('aid:statement')}?{query}")
        messages.success(
            request,
            _("The statement of %(merchant)s to %(end)s is settled.")
            % {"merchant": settlement.merchant.name, "end": settlement.period_end.isoformat()},
        )
        return redirect("aid:settlement", settlement.pk)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        if kwargs.get("statement") is not None:
            context.update(
                csv_url=_query_with(self.request, export="csv"),
                print_url=_query_with(self.request, print="1"),
                can_settle=self.request.user.has_perm(SETTLE_PERMISSION)
                and kwargs["statement"].period_end < timezone.localdate(),
            )
        context["settlements"] = self.settlements[:20]
        return context

    @cached_property
    def settlements(self) -> Any:
        return settlements_for_user(self.request.user).select_related("merchant", "settled_by")


class SettlementView(AidPageMixin, TemplateView):
    """A settled statement as recorded: its entries and totals; printable and CSV."""

    template_name = "orders/aid/admin/settlement.html"
    page_title = gettext_lazy("Settled statement")

    def get(self, request: HttpRequest, *args, pk: int, **kwargs) -> HttpResponse:
        settlement = settlements_for_user(request.user).select_related("merchant", "settled_by").filter(pk=pk).first()
        if settlement is None:
            raise Http404
        result = settled_statement(settlement)
        if request.GET.get("export") == "csv":
            return statement_csv(result, f"settlement-{settlement.pk}")
        if request.GET.get("print"):
            return TemplateResponse(
                request, "orders/aid/admin/statement_print.html", {"statement": result, "settlement": settlement}
            )
        return self.render_to_response(
            self.get_context_data(settlement=settlement, statement=result, csv_url="?export=csv", print_url="?print=1")
        )


class ExportView(OperatorsOnlyMixin, AidPageMixin, TemplateView):
    """The monitoring export: a period's certified sales as CSV or XLSX, each download recorded."""

    template_name = "orders/aid/admin/export.html"
    page_title = gettext_lazy("Monitoring export")

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        fmt = request.GET.get("format")
        if not request.GET:
            start, end = last_month()
            return self.render_to_response(
                self.get_context_data(form=ExportForm(initial={"date_from": start, "date_to": end}))
            )
        form = ExportForm(request.GET)
        if not form.is_valid() or fmt not in EXPORT_FORMATS:
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        exported = export_file(
            data["date_from"],
            data["date_to"],
            fmt,
            actor=request.user,
            include_uncertified=data["include_uncertified"],
        )
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["exports"] = AidExport.objects.select_related("exported_by")[:20]
        return context


class AidViewSet(ViewSet):
    """The "Consumption aid" menu: reports and statements, for operators and merchant members."""

    menu_name = "consumption-aid"  # fixed: a name derived from the label would change with the language

    name = "aid"
    icon = "doc-full"
    menu_label = gettext_lazy("Consumption aid")
    menu_order = 160
    add_to_admin_menu = True
    menu_item_class = AidMenuItem

    def get_urlpatterns(self) -> list:
        return [
            path("", ReportView.as_view(), name="report"),
            path("statement/", StatementView.as_view(), name="statement"),
            path("settlements/<int:pk>/", SettlementView.as_view(), name="settlement"),
            path("export/", ExportView.as_view(), name="export"),
        ]
