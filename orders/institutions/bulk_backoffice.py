"""Bulk orders in the back office: operators see every one and record the bank transfers that pay them; a member
of an organisation sees only its own bulk orders, read only; anyone else sees none.

- listing: number, organisation, status, total, what is still due, the review flag; filters by status and flag;
  search by number or organisation;
- inspect view: the bulk order with its orders, its bank transfers and its history (who, when, why);
- "Record bank transfer" (operators, while it awaits payment): the amount typed in yuan, the day received, the
  bank reference, the payer and a note, recorded by ``orders.institutions.transfers.record_transfer``, whose
  outcome (paid, or flagged with the difference) comes back as a message.

Who sees which bulk order is ``orders.institutions.bulk.drafts_for_user`` (operators: all; members: their
organisations'). No role holds a model permission on bulk orders, so the permission policy here decides from the
operator permission (``orders.review_organisation``) and memberships. A bulk order outside the user's scope, like
every URL of this screen for a merchant, answers 404; a member on the transfer form gets 403.
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import BasePermissionPolicy

from core.backoffice import ReadOnlyViewSetMixin, clean_pk
from core.money import YuanField, format_fen
from core.scopes import User, scope_for_user
from orders.backoffice import mask_phone
from orders.institutions import transfers
from orders.institutions.bulk import drafts_for_user
from orders.institutions.placement import amount_due
from orders.institutions.selectors import REVIEW_PERMISSION, can_review_organisations, member_organisation_ids
from orders.institutions.transfers import TransferError, mark_returned, received_total, record_transfer
from orders.models import BulkOrder, Order, OrderStatus, TransferReceipt

VIEW = "view"
RECORD_TRANSFER = "record_transfer"


def bulk_orders_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet[BulkOrder]:
    """The bulk orders the user sees here (``drafts_for_user``), as a subset of ``queryset`` if given."""
    visible = drafts_for_user(user)
    return visible if queryset is None else queryset.filter(pk__in=visible.values("pk"))


def bulk_order_for_user_or_404(user: User, raw_pk: object) -> BulkOrder:
    try:
        return drafts_for_user(user).get(pk=clean_pk(BulkOrder, raw_pk))
    except BulkOrder.DoesNotExist:
        raise Http404 from None


class BulkOrderPermissionPolicy(BasePermissionPolicy):
    """``view``: operators and members of an organisation (their own bulk orders); ``record_transfer``: operators
    only. Nobody adds, edits or deletes bulk orders here."""

    def user_has_permission(self, user, action: str) -> bool:
        if not user.is_authenticated or not user.is_active:
            return False
        if action == VIEW:
            return can_review_organisations(user) or bool(member_organisation_ids(user))
        if action == RECORD_TRANSFER:
            return can_review_organisations(user)
        return False

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action: str, instance: BulkOrder) -> bool:
        return self.user_has_permission(user, action) and drafts_for_user(user).filter(pk=instance.pk).exists()

    def user_has_any_permission_for_instance(self, user, actions, instance: BulkOrder) -> bool:
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return BulkOrder.objects.none()
        return drafts_for_user(user)

    def _operators(self) -> Q:
        app_label, codename = REVIEW_PERMISSION.split(".")
        return (
            Q(is_superuser=True)
            | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
            | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
        )

    def users_with_any_permission(self, actions) -> QuerySet:
        sees = self._operators() if set(actions) & {VIEW, RECORD_TRANSFER} else Q(pk__in=[])
        if VIEW in actions:
            sees |= Q(memberships__isnull=False)
        return get_user_model().objects.filter(sees, is_active=True).distinct()

    def users_with_any_permission_for_instance(self, actions, instance: BulkOrder) -> QuerySet:
        sees = self._operators() if set(actions) & {VIEW, RECORD_TRANSFER} else Q(pk__in=[])
        if VIEW in actions:
            sees |= Q(memberships__organisation_id=instance.organisation_id)
        return get_user_model().objects.filter(sees, is_active=True).distinct()


class NotFoundUnlessAllowedMixin:
    """Anyone who may see no bulk order at all (merchants, counter staff, editors) is answered 404."""

    def dispatch(self, request, *args, **kwargs):
        if not self.permission_policy.user_has_permission(request.user, VIEW):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class BulkOrderFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=BulkOrder.Status.choices, label=gettext_lazy("Status"))
    needs_review = django_filters.BooleanFilter(label=gettext_lazy("Flagged for review"))

    class Meta:
        model = BulkOrder
        fields = ["status", "needs_review"]


def with_due(queryset: QuerySet) -> QuerySet:
    """Annotated with ``due``: the totals of its orders awaiting payment (``placement.amount_due`` in SQL)."""
    pending = Q(orders__status=OrderStatus.PENDING_PAYMENT)
    return queryset.annotate(due=Coalesce(Sum("orders__total", filter=pending), 0))


class BulkOrderIndexView(NotFoundUnlessAllowedMixin, generic.IndexView):
    default_ordering = "-created_at"

    def get_base_queryset(self) -> QuerySet:
        return with_due(bulk_orders_for_user(self.request.user, super().get_base_queryset())).select_related(
            "organisation"
        )

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "number",
                label=gettext_lazy("Number"),
                accessor=str,
                get_url=lambda bulk: reverse(self.inspect_url_name, args=[bulk.pk]),
                sort_key="number",
            ),
            Column("organisation", label=gettext_lazy("Organisation"), accessor="organisation.name"),
            Column("status", label=gettext_lazy("Status"), accessor="get_status_display", sort_key="status"),
            Column(
                "total", label=gettext_lazy("Total"), accessor=lambda bulk: format_fen(bulk.total), sort_key="total"
            ),
            Column("due", label=gettext_lazy("Still due"), accessor=lambda b: format_fen(b.due), sort_key="due"),
            BooleanColumn("needs_review", label=gettext_lazy("Needs review"), sort_key="needs_review"),
            DateColumn("submitted_at", label=gettext_lazy("Submitted"), sort_key="submitted_at"),
        ]


def order_rows(user: User, bulk: BulkOrder) -> list[dict]:
    """The bulk order's orders for its page, linked to the order page for those who may open it."""
    orders = list(Order.objects.filter(bulk_order=bulk).order_by("pk"))
    openable: set[int] = set()
    if user.has_perm("orders.view_order"):
        openable = set(scope_for_user(Order, user, Order.objects.filter(bulk_order=bulk)).values_list("pk", flat=True))
    return [
        {
            "order": order,
            "contact": f"{order.contact_name} {mask_phone(order.contact_phone)}",
            "url": reverse("orders:inspect", args=[order.pk]) if order.pk in openable else "",
        }
        for order in orders
    ]


class BulkOrderInspectView(NotFoundUnlessAllowedMixin, generic.InspectView):
    """The bulk order, its orders, its bank transfers and its history."""

    template_name = "orders/institutions/bulk_inspect.html"
    page_title = gettext_lazy("Bulk order")
    record_url_name = None
    return_url_name = None

    def get_object(self, queryset=None) -> BulkOrder:
        return bulk_order_for_user_or_404(self.request.user, self.pk)

    def get_fields_context(self) -> list:
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bulk = self.object
        user = self.request.user
        may_record = bulk.status == BulkOrder.Status.AWAITING_PAYMENT and self.permission_policy.user_has_permission(
            user, RECORD_TRANSFER
        )
        due, received = amount_due(bulk), received_total(bulk)
        context.update(
            bulk=bulk,
            due=due,
            received=received,
            awaiting=bulk.status == BulkOrder.Status.AWAITING_PAYMENT,
            left_to_receive=due - received,
            orders=order_rows(user, bulk),
            transfers=list(bulk.transfers.select_related("recorded_by").order_by("recorded_at", "pk")),
            changes=list(bulk.changes.select_related("actor").order_by("created_at", "pk")),
            record_url=reverse(self.record_url_name, args=[bulk.pk]) if may_record else "",
            may_return=bulk.status in RETURNABLE and self.permission_policy.user_has_permission(user, RECORD_TRANSFER),
            return_url_name=self.return_url_name,
        )
        return context


# A transfer of a bulk order in one of these statuses paid nothing: it can be sent back and marked returned.
RETURNABLE = (BulkOrder.Status.AWAITING_PAYMENT, BulkOrder.Status.CANCELLED, BulkOrder.Status.EXPIRED)


class ReturnTransferView(View):
    """POST: an operator marks a transfer as sent back to the payer, with why (``transfers.mark_returned``)."""

    permission_policy: "BulkOrderPermissionPolicy | None" = None
    inspect_url_name = None
    http_method_names = ["post"]

    def post(self, request, pk: int) -> HttpResponse:
        receipt = get_object_or_404(TransferReceipt, pk=pk)
        bulk = bulk_order_for_user_or_404(request.user, receipt.bulk_order_id)
        if not self.permission_policy.user_has_permission(request.user, RECORD_TRANSFER):
            return HttpResponseForbidden(_("Only operators may record bank transfers."))
        try:
            mark_returned(receipt, actor=request.user, note=request.POST.get("return_note", ""))
        except TransferError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Transfer %(reference)s is marked as returned to the payer; it counts no more.")
                % {"reference": receipt.bank_reference},
            )
        return redirect(reverse(self.inspect_url_name, args=[bulk.pk]))


class TransferForm(forms.Form):
    """A bank transfer as read from the bank statement: the amount typed in yuan (cleaned to fen)."""

    amount = YuanField(
        min_fen=1,
        label=gettext_lazy("Amount (yuan)"),
        help_text=gettext_lazy("As credited on the bank statement, for example 3,250.00."),
    )
    received_on = forms.DateField(
        label=gettext_lazy("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The day the money arrived in the platform's account."),
    )
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank reference"),
        max_length=128,
        help_text=gettext_lazy("The transaction number on the statement; each transfer is recorded once."),
    )
    payer = forms.CharField(
        label=gettext_lazy("Payer"),
        max_length=TransferReceipt._meta.get_field("payer").max_length,
        required=False,
        help_text=gettext_lazy("The account holder who sent the money, as on the statement."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=TransferReceipt._meta.get_field("note").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RecordTransferView(WagtailAdminTemplateMixin, FormView):
    """An operator records a bank transfer for a bulk order; members get 403, anyone else 404."""

    form_class = TransferForm
    template_name = "orders/institutions/bulk_record_transfer.html"
    page_title = gettext_lazy("Record bank transfer")
    header_icon = "form"
    permission_policy: BulkOrderPermissionPolicy | None = None
    index_url_name = None
    inspect_url_name = None

    def setup(self, request, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.bulk = bulk_order_for_user_or_404(request.user, kwargs["pk"])

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        if not self.permission_policy.user_has_permission(request.user, RECORD_TRANSFER):
            return HttpResponseForbidden(_("Only operators may record bank transfers."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs) -> HttpResponse:
        if self.bulk.status != BulkOrder.Status.AWAITING_PAYMENT:
            messages.error(
                request,
                _("Bulk order %(number)s is %(status)s: it takes no transfer.")
                % {"number": self.bulk, "status": self.bulk.get_status_display()},
            )
            return redirect(self.detail_url)
        return super().get(request, *args, **kwargs)

    @cached_property
    def detail_url(self) -> str:
        return reverse(self.inspect_url_name, args=[self.bulk.pk])

    def get_initial(self) -> dict:
        return {"received_on": timezone.localdate(), "payer": self.bulk.organisation.invoice_title}

    def get_page_subtitle(self) -> str:
        return str(self.bulk)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": capfirst(BulkOrder._meta.verbose_name_plural)},
            {"url": self.detail_url, "label": str(self.bulk)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            bulk=self.bulk,
            due=amount_due(self.bulk),
            received=received_total(self.bulk),
            action_url=self.request.get_full_path(),
            submit_button_label=_("Record transfer"),
            submit_button_active_label=_("Recording…"),
            **kwargs,
        )

    def form_valid(self, form) -> HttpResponse:
        data = form.cleaned_data
        try:
            receipt = record_transfer(
                self.bulk,
                actor=self.request.user,
                amount=data["amount"],
                received_on=data["received_on"],
                bank_reference=data["bank_reference"],
                payer=data["payer"],
                note=data["note"],
            )
        except TransferError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        bulk = receipt.bulk_order
        params = {"reference": receipt.bank_reference, "amount": format_fen(receipt.amount), "number": bulk}
        outcome = receipt.outcome
        if outcome == transfers.PAID:
            messages.success(
                self.request,
                _("Transfer %(reference)s of %(amount)s recorded: bulk order %(number)s is paid.") % params,
            )
        elif outcome == transfers.SHORT:
            messages.warning(
                self.request,
                _(
                    "Transfer %(reference)s of %(amount)s recorded, but %(difference)s is still due: nothing is "
                    "paid yet and bulk order %(number)s is flagged for review."
                )
                % {**params, "difference": format_fen(receipt.difference)},
            )
        elif outcome == transfers.OVER:
            messages.warning(
                self.request,
                _(
                    "Transfer %(reference)s of %(amount)s recorded, but the transfers exceed what is due by "
                    "%(difference)s: nothing is paid and bulk order %(number)s is flagged for review."
                )
                % {**params, "difference": format_fen(-receipt.difference)},
            )
        else:
            messages.warning(
                self.request,
                _(
                    "Transfer %(reference)s of %(amount)s recorded, but an order of bulk order %(number)s ran out "
                    "of time while being paid: nothing is paid and it is flagged for review."
                )
                % params,
            )
        return redirect(self.detail_url)


class BulkOrderViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """Bulk orders: operators see all and record transfers; a member sees their organisations', read only."""

    menu_name = "bulk-orders"  # fixed: a name derived from the label would change with the language

    model = BulkOrder
    name = "bulk_orders"
    url_prefix = "bulk-orders"
    icon = "list-ul"
    add_to_admin_menu = True
    menu_label = gettext_lazy("Bulk orders")
    menu_order = 311
    inspect_view_enabled = True
    index_view_class = BulkOrderIndexView
    inspect_view_class = BulkOrderInspectView
    filterset_class = BulkOrderFilterSet
    search_fields = ["number", "organisation__name"]
    list_per_page = 30

    @cached_property
    def permission_policy(self) -> BulkOrderPermissionPolicy:
        return BulkOrderPermissionPolicy(self.model)

    def get_permissions_to_register(self):
        """None: the operator permission and memberships decide (``BulkOrderPermissionPolicy``)."""
        return Permission.objects.none()

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            record_url_name=self.get_url_name("record_transfer"),
            return_url_name=self.get_url_name("return_transfer"),
            **kwargs,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "record-transfer/<int:pk>/",
                self.construct_view(
                    RecordTransferView,
                    index_url_name=self.get_url_name("index"),
                    inspect_url_name=self.get_url_name("inspect"),
                ),
                name="record_transfer",
            ),
            path(
                "return-transfer/<int:pk>/",
                ReturnTransferView.as_view(
                    permission_policy=self.permission_policy, inspect_url_name=self.get_url_name("inspect")
                ),
                name="return_transfer",
            ),
        ]
