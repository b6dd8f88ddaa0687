"""The invoices of a bulk order in the shop (issue 19), under ``/institutions/bulk/<pk>/invoices/``.

Thin: rules and writes are ``orders.institutions.invoices``. The organisation's members (any role) and operators
see each merchant's part with its amount, invoice and file; its buyers and finance members sign a part off
("goods received and invoice checked") or dispute it with a reason (others get 403). Another organisation's bulk
order, part or file answers 404; signed-out visitors are sent to sign in.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from orders.institutions.invoice_backoffice import invoice_file_response
from orders.institutions.invoices import (
    InvoiceError,
    bulk_for_user_or_404,
    can_sign,
    dispute,
    request_of_bulk_or_404,
    requests_of_bulk,
    sign_off,
)
from orders.models import BulkOrder, InvoiceRequest


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is wrong?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The goods received, or the invoice's title, tax number, amount or number."),
    )


def _invoices_url(bulk_order: BulkOrder) -> str:
    return reverse("storefront:bulk_invoices", args=[bulk_order.pk])


def _page(
    request: HttpRequest, bulk_order: BulkOrder, *, failed: InvoiceRequest | None = None, form=None
) -> HttpResponse:
    parts = list(requests_of_bulk(bulk_order))
    for part in parts:
        part.dispute_form = form if failed is not None and part.pk == failed.pk else DisputeForm()
    return render(
        request,
        "storefront/institutions/invoices.html",
        {
            "bulk_order": bulk_order,
            "parts": parts,
            "can_sign": can_sign(request.user, bulk_order),
            "total": sum(part.amount for part in parts),
        },
        status=400 if failed is not None else 200,
    )


def _signer_part_or_403(request: HttpRequest, pk: int, invoice_pk: int) -> tuple[BulkOrder, InvoiceRequest]:
    bulk_order = bulk_for_user_or_404(request.user, pk)
    part = request_of_bulk_or_404(bulk_order, invoice_pk)
    if not can_sign(request.user, bulk_order):
        raise PermissionDenied
    return bulk_order, part


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="storefront:login")
def bulk_invoices(request: HttpRequest, pk: int) -> HttpResponse:
    """Each merchant's part of the bulk order with its amount and invoice; the sign-off and dispute buttons."""
    return _page(request, bulk_for_user_or_404(request.user, pk))


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="storefront:login")
def bulk_invoice_file(request: HttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    """The invoice file of one part, for the organisation's members (and operators)."""
    bulk_order = bulk_for_user_or_404(request.user, pk)
    return invoice_file_response(request_of_bulk_or_404(bulk_order, invoice_pk))


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_invoice_sign_off(request: HttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    bulk_order, part = _signer_part_or_403(request, pk, invoice_pk)
    try:
        sign_off(part, actor=request.user)
    except InvoiceError as error:
        messages.error(request, str(error))
    else:
        bulk_order.refresh_from_db()
        if bulk_order.status == BulkOrder.Status.COMPLETED:
            messages.success(request, _("Every invoice is signed off: the bulk order is completed."))
        else:
            messages.success(
                request, _("The invoice of %(merchant)s is signed off.") % {"merchant": part.merchant.name}
            )
    return HttpResponseRedirect(_invoices_url(bulk_order))


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_invoice_dispute(request: HttpRequest, pk: int, invoice_pk: int) -> HttpResponse:
    bulk_order, part = _signer_part_or_403(request, pk, invoice_pk)
    form = DisputeForm(request.POST)
    if not form.is_valid():
        return _page(request, bulk_order, failed=part, form=form)
    try:
        dispute(part, actor=request.user, reason=form.cleaned_data["reason"])
    except InvoiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The invoice of %(merchant)s is disputed; an operator will look into it.")
            % {"merchant": part.merchant.name},
        )
    return HttpResponseRedirect(_invoices_url(bulk_order))
