"""Invoices of bulk orders in the back office (menu "Invoices"): merchants issue theirs, operators resolve disputes.

Thin views over ``orders.institutions.invoices``. Shown to merchant members and operators only (anyone else is
refused before anything is looked up). A merchant member sees only its merchants' invoice requests: another
merchant's request, its issue form and its file answer 404. Operators see every request, issue on a merchant's
behalf and resolve disputes. The invoice file is kept in the private storage and served here, within that scope.
"""

import mimetypes

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from catalog.selectors import member_merchant_ids
from orders.institutions.invoices import (
    InvoiceError,
    can_issue,
    is_operator,
    issue_invoice,
    request_for_merchant_user_or_404,
    requests_for_merchant_user,
    resolve,
)
from orders.models import InvoiceRequest

PER_PAGE = 50


def has_invoice_access(user) -> bool:
    """Merchant members and operators."""
    return bool(user.is_authenticated and user.is_active and (member_merchant_ids(user) or is_operator(user)))


class IssueForm(forms.Form):
    invoice_number = forms.CharField(
        label=gettext_lazy("Invoice number"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("8 to 20 digits (20 for a fully digital invoice, 全电发票)."),
    )
    file = forms.FileField(
        label=gettext_lazy("Invoice file"),
        required=False,
        help_text=gettext_lazy("PDF or OFD, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.ofd,application/pdf,application/ofd"}),
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            ("reissue", gettext_lazy("The merchant issues a new invoice")),
            ("accept", gettext_lazy("The invoice is accepted (signed off)")),
        ],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(
        label=gettext_lazy("Resolution"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class InvoiceMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return has_invoice_access(request.user)


class InvoiceAccessMixin:
    """Refuse users who are neither merchant members nor operators, before anything is looked up."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not has_invoice_access(request.user):
            raise PermissionDenied
        self.load(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, **kwargs) -> None:
        """Look up the objects named in the URL (within the user's scope, or 404)."""


class InvoiceIndexView(InvoiceAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    """The user's merchants' invoice requests (every one for operators), newest first; filter by status."""

    template_name = "orders/institutions/invoice_index.html"
    page_title = gettext_lazy("Invoices")
    header_icon = "doc-full"

    def get_breadcrumbs_items(self) -> list[dict]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs) -> dict:
        requests = requests_for_merchant_user(self.request.user)
        status = self.request.GET.get("status", "")
        if status in InvoiceRequest.Status.values:
            requests = requests.filter(status=status)
        else:
            status = ""
        page = Paginator(requests, PER_PAGE).get_page(self.request.GET.get("p"))
        return super().get_context_data(
            page=page,
            requests=page.object_list,
            status=status,
            statuses=InvoiceRequest.Status.choices,
            operator=is_operator(self.request.user),
            **kwargs,
        )


class InvoiceDetailView(InvoiceAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    """One request: the organisation's invoice details, the file, the issue form and (operators) the resolution."""

    template_name = "orders/institutions/invoice_detail.html"
    header_icon = "doc-full"
    invoice_request: InvoiceRequest

    def load(self, **kwargs) -> None:
        self.invoice_request = request_for_merchant_user_or_404(self.request.user, kwargs["pk"])

    def get_page_title(self) -> str:
        return _("Invoice for %(bulk)s") % {"bulk": self.invoice_request.bulk_order}

    def get_page_subtitle(self) -> str:
        return str(self.invoice_request.merchant)

    def get_breadcrumbs_items(self) -> list[dict]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("invoices:index"), "label": _("Invoices")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs) -> dict:
        invoice_request = self.invoice_request
        user = self.request.user
        status = InvoiceRequest.Status
        issuable = invoice_request.status == status.REQUESTED and can_issue(user, invoice_request)
        resolvable = invoice_request.status == status.DISPUTED and is_operator(user)
        kwargs.setdefault("issue_form", IssueForm() if issuable else None)
        kwargs.setdefault("resolve_form", ResolveForm() if resolvable else None)
        return super().get_context_data(
            invoice_request=invoice_request,
            bulk_order=invoice_request.bulk_order,
            file_url=reverse("invoices:file", args=[invoice_request.pk]) if invoice_request.invoice_file else "",
            **kwargs,
        )

    def done(self, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect("invoices:detail", self.invoice_request.pk)


class IssueView(InvoiceDetailView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not can_issue(request.user, self.invoice_request):
            raise Http404
        form = IssueForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                issue_invoice(
                    self.invoice_request,
                    actor=request.user,
                    invoice_number=form.cleaned_data["invoice_number"],
                    file=form.cleaned_data["file"] or None,
                )
            except InvoiceError as error:
                form.add_error(None, str(error))
            else:
                return self.done(_("The invoice is issued; the organisation is told."))
        return self.render_to_response(self.get_context_data(issue_form=form))


class ResolveView(InvoiceDetailView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_operator(request.user):
            raise Http404  # merchants do not learn that the resolve URL exists
        form = ResolveForm(request.POST)
        if form.is_valid():
            try:
                resolve(
                    self.invoice_request,
                    actor=request.user,
                    resolution=form.cleaned_data["resolution"],
                    outcome=form.cleaned_data["outcome"],
                )
            except InvoiceError as error:
                form.add_error(None, str(error))
            else:
                return self.done(
                    _("The dispute is resolved: the invoice is now %(status)s.")
                    % {"status": self.invoice_request.get_status_display().lower()}
                )
        return self.render_to_response(self.get_context_data(resolve_form=form))


def invoice_file_response(invoice_request: InvoiceRequest) -> FileResponse:
    """The invoice file as a download (the caller has checked who may have it)."""
    if not invoice_request.invoice_file:
        raise Http404
    name = invoice_request.invoice_file.name.rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(name)[0] or (
        "application/ofd" if name.endswith(".ofd") else "application/octet-stream"
    )
    return FileResponse(
        invoice_request.invoice_file.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )


class InvoiceFileView(InvoiceAccessMixin, View):
    """The invoice file, for the merchant's members and operators (the organisation's members: in the shop)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return invoice_file_response(request_for_merchant_user_or_404(request.user, pk))


class InvoiceViewSet(ViewSet):
    """The "Invoices" menu: merchants' invoice requests of bulk orders."""

    menu_name = "invoices"  # fixed: a name derived from the label would change with the language

    name = "invoices"
    icon = "doc-full"
    menu_label = gettext_lazy("Invoices")
    menu_order = 320
    add_to_admin_menu = True
    menu_item_class = InvoiceMenuItem

    def get_urlpatterns(self) -> list:
        return [
            path("", InvoiceIndexView.as_view(), name="index"),
            path("<int:pk>/", InvoiceDetailView.as_view(), name="detail"),
            path("<int:pk>/issue/", IssueView.as_view(), name="issue"),
            path("<int:pk>/resolve/", ResolveView.as_view(), name="resolve"),
            path("<int:pk>/file/", InvoiceFileView.as_view(), name="file"),
        ]
