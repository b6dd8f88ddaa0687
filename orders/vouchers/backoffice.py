"""Consumption voucher batches in the back office (消费券): operators create and edit batches (money in yuan) and see
what was claimed, used and spent of each budget.

Operators only: the screens follow the model permissions on ``VoucherBatch``, which only the Operators role holds
(``core.roles``). Editing a batch never touches ``spent`` or ``claimed`` (written only by ``orders.vouchers.services``
with conditional updates); the budget cannot be set below what is spent.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from core.money import format_fen
from orders.models import VoucherBatch
from orders.vouchers.forms import VoucherBatchForm


class VoucherBatchCreateView(generic.CreateView):
    def save_instance(self):
        with transaction.atomic():
            instance = self.form.save(commit=False)
            instance.created_by = self.request.user
            instance.save()
            self.form.save_m2m()
        return instance


class VoucherBatchEditView(generic.EditView):
    def save_instance(self):
        """Save the operator's fields only: ``spent`` and ``claimed`` move with redemptions meanwhile."""
        with transaction.atomic():
            instance = self.form.save(commit=False)
            fields = [name for name in self.form.cleaned_data if name not in ("products", "spent", "claimed")]
            instance.save(update_fields=fields)  # the database refuses a budget below what is spent by now
            self.form.save_m2m()
        instance.refresh_from_db()
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error("budget", _("The budget cannot be less than what has been spent already."))
            return self.form_invalid(form)


class VoucherBatchInspectView(generic.InspectView):
    template_name = "orders/admin/voucher_batch_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.object
        vouchers = batch.vouchers.all()
        context.update(
            claimed_count=vouchers.count(),
            used_count=vouchers.filter(used_at__isnull=False).count(),
            used=list(
                vouchers.filter(used_at__isnull=False)
                .select_related("order", "counter_sale")
                .order_by("-used_at", "-pk")[:200]
            ),
            budget_left=batch.budget - batch.spent,
        )
        return context


def _money(field: str):
    return lambda batch: format_fen(getattr(batch, field))


class VoucherBatchViewSet(ModelViewSet):
    """Consumption voucher batches: operators create and edit them; a batch's page shows its claims and budget."""

    menu_name = "vouchers"  # fixed: a name derived from the label would change with the language

    model = VoucherBatch
    name = "voucherbatch"
    url_prefix = "vouchers"
    icon = "tag"
    add_to_admin_menu = True
    menu_label = gettext_lazy("Consumption vouchers")
    menu_order = 331
    inspect_view_enabled = True
    copy_view_enabled = False
    add_view_class = VoucherBatchCreateView
    edit_view_class = VoucherBatchEditView
    inspect_view_class = VoucherBatchInspectView
    list_display = [
        "name",
        "sponsor",
        Column("face_value", label=gettext_lazy("Face value"), accessor=_money("face_value")),
        Column("budget", label=gettext_lazy("Budget"), accessor=_money("budget")),
        Column("spent", label=gettext_lazy("Spent"), accessor=_money("spent")),
        Column("claimed", label=gettext_lazy("Claimed")),
        DateColumn("valid_until", label=gettext_lazy("Valid until")),
        BooleanColumn("is_active", label=gettext_lazy("Active")),
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "sponsor"]
    inspect_view_fields = [
        "name",
        "sponsor",
        "face_value",
        "min_spend",
        "valid_from",
        "valid_until",
        "eligibility",
        "per_person_limit",
        "claim_limit",
        "claimed",
        "budget",
        "spent",
        "is_active",
        "created_by",
        "created_at",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("name"), FieldPanel("sponsor")]),
            FieldRowPanel([FieldPanel("face_value"), FieldPanel("min_spend"), FieldPanel("budget")]),
            FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
            MultiFieldPanel(
                [FieldPanel("eligibility"), FieldPanel("products")], heading=gettext_lazy("Eligible products")
            ),
            FieldRowPanel([FieldPanel("per_person_limit"), FieldPanel("claim_limit")]),
            FieldPanel("is_active"),
        ],
        base_form_class=VoucherBatchForm,
    )
