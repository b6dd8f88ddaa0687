"""Bulk order drafts of an organisation (以购代捐, issue 19 part 2), under ``/institutions/bulk/``.

Thin: rules and writes are ``orders.institutions.bulk`` and ``orders.institutions.recipients``; submitting is
``orders.institutions.placement``, approving, rejecting and cancelling ``orders.institutions.approval``. Members of
the organisation (any role) and operators see its bulk orders; only its buyers create and change drafts (others get
403); a refused submission or decision is shown as a message. Another organisation's bulk order answers 404.
Signed-out visitors are sent to sign in.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from orders.institutions import approval
from orders.institutions.bulk import (
    BulkOrderError,
    add_line,
    buyer_organisations,
    can_edit,
    create_draft,
    draft_for_user_or_404,
    drafts_for_user,
    update_delivery,
)
from orders.institutions.bulk_forms import DraftForm, LineForm, RecipientsUploadForm
from orders.institutions.placement import amount_due, failed_submission, orders_of, placing_progress, submit
from orders.institutions.recipients import template_csv, upload_recipients
from orders.models import BulkOrder, OrderStatus

RECIPIENTS_SHOWN = 50
ORDERS_PER_PAGE = 50


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _detail_url(bulk_order: BulkOrder) -> str:
    return reverse("storefront:bulk_detail", args=[bulk_order.pk])


def _detail(request: HttpRequest, bulk_order: BulkOrder, **context) -> HttpResponse:
    editable = can_edit(request.user, bulk_order)
    context.setdefault(
        "draft_form",
        DraftForm(
            bulk_order=bulk_order,
            initial={
                "delivery": bulk_order.delivery,
                "address": bulk_order.address_id,
                "counter": bulk_order.counter_id,
                "note": bulk_order.note,
            },
        ),
    )
    context.setdefault("line_form", LineForm())
    context.setdefault("upload_form", RecipientsUploadForm())
    if bulk_order.number:
        context.update(_submitted_context(request, bulk_order))
    return render(
        request,
        "storefront/institutions/bulk_detail.html",
        {
            "bulk_order": bulk_order,
            "editable": editable,
            "lines": bulk_order.lines.select_related("variant__product", "pack"),
            "recipient_count": bulk_order.recipients.count(),
            "recipients": bulk_order.recipients.select_related("pack", "variant")[:RECIPIENTS_SHOWN],
            **context,
        },
    )


def _submitted_context(request: HttpRequest, bulk_order: BulkOrder) -> dict:
    """What a submitted bulk order shows: its orders (a page), history, decisions, and how to pay what is due."""
    page = Paginator(orders_of(bulk_order), ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "changes": bulk_order.changes.select_related("actor"),
        "can_decide": bulk_order.status == BulkOrder.Status.PENDING_APPROVAL
        and approval.may_decide(request.user, bulk_order),
        "can_cancel": bulk_order.status in approval.OPEN and approval.may_cancel(request.user, bulk_order),
        "reason_form": ReasonForm(),
        "failed_submission": failed_submission(bulk_order),
    }
    if bulk_order.status == BulkOrder.Status.SUBMITTING:
        context["placing"] = placing_progress(bulk_order)
    if bulk_order.status == BulkOrder.Status.AWAITING_PAYMENT:
        unpaid = list(orders_of(bulk_order).filter(status=OrderStatus.PENDING_PAYMENT)[:2])
        context.update(
            amount_due=amount_due(bulk_order),
            bank={
                "payee": settings.BANK_TRANSFER_PAYEE,
                "bank": settings.BANK_TRANSFER_BANK,
                "account": settings.BANK_TRANSFER_ACCOUNT,
            },
            pay_order=unpaid[0] if len(unpaid) == 1 else None,
        )
    return context


def _editable_or_403(request: HttpRequest, pk: int) -> BulkOrder:
    bulk_order = draft_for_user_or_404(request.user, pk)
    if not can_edit(request.user, bulk_order):
        raise PermissionDenied
    return bulk_order


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="storefront:login")
def bulk_list(request: HttpRequest) -> HttpResponse:
    """The bulk orders of the user's organisations."""
    return render(
        request,
        "storefront/institutions/bulk_list.html",
        {"bulk_orders": drafts_for_user(request.user), "can_create": buyer_organisations(request.user).exists()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="storefront:login")
def bulk_new(request: HttpRequest) -> HttpResponse:
    """A buyer creates a draft for one of their verified organisations."""
    organisations = buyer_organisations(request.user)
    if not organisations.exists():
        raise PermissionDenied
    form = DraftForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bulk_order = create_draft(
                organisation=data["organisation"],
                actor=request.user,
                delivery=data["delivery"],
                address=data["address"],
                counter=data["counter"],
                note=data["note"],
            )
        except BulkOrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The bulk order draft is created."))
            return HttpResponseRedirect(_detail_url(bulk_order))
    return render(request, "storefront/institutions/bulk_new.html", {"form": form})


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="storefront:login")
def bulk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft: its delivery, lines and recipients; a buyer's forms to change and submit it. Once submitted:
    its status, total, orders, history, what to pay and how, and the decisions the user may take."""
    return _detail(request, draft_for_user_or_404(request.user, pk))


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    bulk_order = _editable_or_403(request, pk)
    form = DraftForm(request.POST, bulk_order=bulk_order)
    if form.is_valid():
        data = form.cleaned_data
        try:
            update_delivery(
                bulk_order,
                actor=request.user,
                delivery=data["delivery"],
                address=data["address"],
                counter=data["counter"],
                note=data["note"],
            )
        except BulkOrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The delivery is saved."))
            return HttpResponseRedirect(_detail_url(bulk_order))
    return _detail(request, bulk_order, draft_form=form)


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_add_line(request: HttpRequest, pk: int) -> HttpResponse:
    bulk_order = _editable_or_403(request, pk)
    form = LineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            add_line(
                bulk_order, actor=request.user, quantity=data["quantity"], variant=data["variant"], pack=data["pack"]
            )
        except BulkOrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The line is added."))
            return HttpResponseRedirect(_detail_url(bulk_order))
    return _detail(request, bulk_order, line_form=form)


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload recipients: all applied, or nothing and every problem shown with its line."""
    bulk_order = _editable_or_403(request, pk)
    form = RecipientsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, bulk_order, upload_form=form)
    upload = form.cleaned_data["file"]
    try:
        result = upload_recipients(bulk_order, upload.read(), filename=upload.name, actor=request.user)
    except BulkOrderError as error:
        form.add_error(None, str(error))
        return _detail(request, bulk_order, upload_form=form)
    if not result.ok:
        return _detail(request, bulk_order, upload_form=form, upload_errors=[str(error) for error in result.errors])
    messages.success(request, _("%(count)d recipients are saved.") % {"count": result.applied})
    return HttpResponseRedirect(_detail_url(bulk_order))


@require_http_methods(["GET", "HEAD"])
@login_required(login_url="storefront:login")
def bulk_template(request: HttpRequest) -> HttpResponse:
    """The recipients template (CSV, UTF-8 with a byte-order mark so Excel shows the Chinese)."""
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="recipients.csv"'
    return response


def _act(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    """Run a submission or a decision on a bulk order the user sees (404 otherwise); a refusal is a message."""
    bulk_order = draft_for_user_or_404(request.user, pk)
    try:
        action(bulk_order)
    except BulkOrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(_detail_url(bulk_order))


def _reason(request: HttpRequest) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """A buyer submits the draft: its orders are placed and their units held."""
    return _act(request, pk, lambda bulk: submit(bulk, actor=request.user), _("The bulk order is submitted."))


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda bulk: approval.approve(bulk, actor=request.user), _("The bulk order is approved."))


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_reject(request: HttpRequest, pk: int) -> HttpResponse:
    reason = _reason(request)
    return _act(
        request,
        pk,
        lambda bulk: approval.reject(bulk, actor=request.user, reason=reason),
        _("The bulk order is rejected and back to draft."),
    )


@require_http_methods(["POST"])
@login_required(login_url="storefront:login")
def bulk_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reason = _reason(request)
    return _act(
        request,
        pk,
        lambda bulk: approval.cancel(bulk, actor=request.user, reason=reason),
        _("The bulk order is cancelled."),
    )
