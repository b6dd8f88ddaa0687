"""Stock and the stock ledger in the back office.

Stock rows are never edited directly: the listing links to an adjust form and a transfer
form (both write through ``catalog.services``, so every change lands in the ledger with
its actor and reason), and to CSV export and import of stock counts. The ledger is
read-only: a listing and an inspect view, no add, edit or delete URLs at all.
"""

import django_filters
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.forms import Media
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, NumberColumn, UserColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import HeaderButton, ListingButton

from catalog.backoffice import stock_groups
from catalog.backoffice.scoping import ScopedViewSetMixin
from catalog.forms import AdjustStockForm, StockExportForm, StockImportForm, TransferStockForm
from catalog.models import Location, Merchant, Stock, StockMovement
from catalog.selectors import locations_for_user, member_merchant_ids, merchants_for_user
from catalog.services import StockError
from catalog.stock_csv import EXPORT_COLUMNS, MAX_IMPORT_BYTES, export_rows, import_stock
from core.backoffice import ReadOnlyViewSetMixin, get_object_in_scope_or_404
from core.spreadsheets import SafeSpreadsheetExportMixin, spreadsheet_response

ANY_PERMISSION = ["add", "change", "delete", "view"]


def _own_merchants(request) -> QuerySet:
    return merchants_for_user(request.user) if request is not None else Merchant.objects.none()


def _own_locations(request) -> QuerySet:
    return locations_for_user(request.user) if request is not None else Location.objects.none()


# -- Stock listing -----------------------------------------------------------------------


class StockFilterSet(WagtailFilterSet):
    location = django_filters.ModelChoiceFilter(queryset=_own_locations, label=gettext_lazy("Location"))
    merchant = django_filters.ModelChoiceFilter(
        field_name="variant__product__merchant", queryset=_own_merchants, label=gettext_lazy("Merchant")
    )

    class Meta:
        model = Stock
        fields = ["location", "merchant"]


class StockIndexView(generic.IndexView):
    """Stock grouped by product (``stock_groups``): a folded section per product with its totals, opening
    on its variants and their locations; sorted by product name or by the totals (available included), and
    paged by product. ``object_list`` stays the stock rows shown, so scoping checks read the same rows."""

    results_template_name = "catalog/admin/stock_index_results.html"
    adjust_url_name = None
    transfer_url_name = None
    export_url_name = None
    import_url_name = None
    ledger_url_name = None
    default_ordering = stock_groups.DEFAULT_ORDERING
    groups: list = []

    def get_base_queryset(self) -> QuerySet:
        return super().get_base_queryset().select_related("variant__product__merchant", "location")

    def get_valid_orderings(self) -> list[str]:
        return stock_groups.valid_orderings()

    def order_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset  # products and rows are sorted when they are grouped

    def paginate_queryset(self, queryset: QuerySet, page_size: int):
        paginator, page, totals, is_paginated = super().paginate_queryset(
            stock_groups.product_totals(queryset, self.ordering), page_size
        )
        self.groups = stock_groups.group_rows(queryset, totals, self.ordering)
        rows = [row for group in self.groups for variant in group.variants for row in variant.rows]
        for row in rows:
            row.buttons = self.get_list_more_buttons(row)
        return paginator, page, rows, is_paginated

    @cached_property
    def sort_headers(self) -> list[dict]:
        """The sortable column headings: label, the link that sorts by it, and the current direction."""
        labels = {
            "product": _("Product and variant"),
            "on_hand": _("On hand"),
            "allocated": _("Allocated"),
            "available": _("Available"),
        }
        current, descending = (self.ordering or "").lstrip("-"), (self.ordering or "").startswith("-")
        headers = {}
        for key, label in labels.items():
            query = self.request.GET.copy()
            query.pop("p", None)
            query["ordering"] = f"-{key}" if key == current and not descending else key
            direction = ("descending" if descending else "ascending") if key == current else ""
            headers[key] = {"label": label, "url": f"?{query.urlencode()}", "direction": direction}
        return headers

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        merchants = {group.product.merchant_id for group in self.groups}
        context.update(
            groups=self.groups,
            sort_headers=self.sort_headers,
            open_groups=self.is_searching or len(self.groups) == 1,
            show_merchant=len(merchants) > 1 or len(member_merchant_ids(self.request.user)) != 1,
        )
        context["media"] += Media(css={"all": ["catalog/admin/stock.css"]})
        return context

    @cached_property
    def can_change(self) -> bool:
        return self.user_has_permission("change")

    def get_edit_url(self, instance: Stock) -> str | None:
        if self.can_change:
            return reverse(self.adjust_url_name, args=[quote(instance.pk)])
        return None

    def get_list_more_buttons(self, instance: Stock):
        buttons = []
        if self.can_change:
            buttons += [
                ListingButton(
                    _("Adjust"), url=reverse(self.adjust_url_name, args=[instance.pk]), icon_name="edit", priority=10
                ),
                ListingButton(
                    _("Transfer"),
                    url=reverse(self.transfer_url_name, args=[instance.pk]),
                    icon_name="arrow-right",
                    priority=20,
                ),
            ]
        ledger_url = (
            reverse(self.ledger_url_name)
            + "?"
            + urlencode({"q": instance.variant.sku, "location": instance.location_id})
        )
        buttons.append(ListingButton(_("Ledger"), url=ledger_url, icon_name="history", priority=30))
        return buttons

    @cached_property
    def header_buttons(self):
        buttons = [HeaderButton(_("Export CSV"), url=reverse(self.export_url_name), icon_name="download")]
        if self.can_change:
            buttons.append(HeaderButton(_("Import stock count"), url=reverse(self.import_url_name), icon_name="upload"))
        return buttons


# -- Forms that change stock -------------------------------------------------------------


class StockFormView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """A back-office form page about stock; changing stock needs the ``change`` permission."""

    permission_required = "change"
    template_name = "catalog/admin/stock_form.html"
    index_url_name = None
    header_icon = "sliders"
    submit_button_label = gettext_lazy("Save")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": capfirst(Stock._meta.verbose_name_plural)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_success_url(self) -> str:
        return reverse(self.index_url_name)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=self.request.get_full_path(),
            submit_button_label=self.submit_button_label,
            submit_button_active_label=self.submit_button_label,
        )
        return context


class StockRowFormView(StockFormView):
    """A form about one stock row, which must be in the user's scope (404 otherwise)."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.stock = get_object_in_scope_or_404(Stock, request.user, kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return f"{self.stock.variant} ({self.stock.variant.sku}) · {self.stock.location}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(stock=self.stock, **kwargs)

    def refused(self, form, error: StockError):
        form.add_error(None, str(error))
        return self.form_invalid(form)


class StockAdjustView(StockRowFormView):
    form_class = AdjustStockForm
    page_title = gettext_lazy("Adjust stock")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "stock": self.stock}

    def form_valid(self, form):
        try:
            movement = form.save(self.stock, self.request.user)
        except StockError as error:
            return self.refused(form, error)
        if movement is None:
            messages.info(self.request, _("The count matches the stock on hand; nothing was changed."))
        else:
            done = _("%(sku)s at %(location)s: %(on_hand)d on hand.") % {
                "sku": self.stock.variant.sku,
                "location": self.stock.location,
                "on_hand": movement.on_hand_after,
            }
            if movement.batch_id:
                done += " " + _("Received as batch %(code)s.") % {"code": movement.batch.code}
            messages.success(self.request, done)
        return redirect(self.get_success_url())


class StockTransferView(StockRowFormView):
    form_class = TransferStockForm
    page_title = gettext_lazy("Transfer stock")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "source": self.stock}

    def form_valid(self, form):
        try:
            _out, into = form.save(self.request.user)
        except StockError as error:
            return self.refused(form, error)
        messages.success(
            self.request,
            _("Moved %(quantity)d of %(sku)s from %(source)s to %(destination)s (reference %(reference)s).")
            % {
                "quantity": into.quantity,
                "sku": self.stock.variant.sku,
                "source": self.stock.location,
                "destination": form.cleaned_data["destination"],
                "reference": into.reference,
            },
        )
        return redirect(self.get_success_url())


class StockImportView(StockFormView):
    form_class = StockImportForm
    page_title = gettext_lazy("Import stock count")
    template_name = "catalog/admin/stock_import.html"
    submit_button_label = gettext_lazy("Import")
    import_errors = ()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        result = import_stock(
            upload.read(MAX_IMPORT_BYTES + 1),
            user=self.request.user,
            reason=form.cleaned_data["reason"],
            merchant=form.cleaned_data["merchant"],
        )
        if not result.ok:
            self.import_errors = result.errors
            messages.error(self.request, _("Nothing was imported: correct the rows below and upload the file again."))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Stock count imported: %(changed)d rows corrected, %(unchanged)d unchanged (ledger reference %(ref)s).")
            % {"changed": result.changed, "unchanged": result.unchanged, "ref": result.reference or "-"},
        )
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(import_errors=self.import_errors, **kwargs)


class StockExportView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Choose what to export (GET); with ``download`` in the query, answer the CSV file."""

    any_permission_required = ANY_PERMISSION
    form_class = StockExportForm
    template_name = "catalog/admin/stock_export.html"
    page_title = gettext_lazy("Export stock")
    header_icon = "download"
    index_url_name = None

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": capfirst(Stock._meta.verbose_name_plural)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_form_kwargs(self):
        return {"data": self.request.GET if "download" in self.request.GET else None, "user": self.request.user}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_bound and form.is_valid():
            rows = export_rows(
                request.user, merchant=form.cleaned_data["merchant"], location=form.cleaned_data["location"]
            )
            return spreadsheet_response(f"stock-{timezone.localdate():%Y%m%d}", EXPORT_COLUMNS, rows)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)


class StockViewSet(ReadOnlyViewSetMixin, ScopedViewSetMixin, ModelViewSet):
    """Stock per variant and location, in the user's scope; changed only through the forms above."""

    menu_name = "stock"  # fixed: a name derived from the label would change with the language

    model = Stock
    icon = "table"
    menu_label = gettext_lazy("Stock")
    index_view_class = StockIndexView
    filterset_class = StockFilterSet
    search_fields = ["variant__sku", "variant__name", "variant__product__name"]
    list_display = [
        "variant__sku",
        Column("product", label=gettext_lazy("Product"), accessor="variant.product.name"),
        Column("variant", label=gettext_lazy("Variant"), accessor="variant.name"),
        Column("merchant", label=gettext_lazy("Merchant"), accessor="variant.product.merchant.name"),
        Column("location", label=gettext_lazy("Location"), accessor="location.name", sort_key="location__code"),
        NumberColumn("on_hand", label=gettext_lazy("On hand"), sort_key="on_hand"),
        NumberColumn("allocated", label=gettext_lazy("Allocated"), sort_key="allocated"),
        NumberColumn("available", label=gettext_lazy("Available")),
    ]
    list_per_page = 20  # products (each with all its rows)
    ledger_url_name = "stock_ledger:index"

    def get_permissions_to_register(self):
        """All stock permissions, "view" included: it is what counter staff hold."""
        return Permission.objects.filter(content_type=ContentType.objects.get_for_model(self.model))

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            adjust_url_name=self.get_url_name("adjust"),
            transfer_url_name=self.get_url_name("transfer"),
            export_url_name=self.get_url_name("export"),
            import_url_name=self.get_url_name("import"),
            ledger_url_name=self.ledger_url_name,
            **kwargs,
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("adjust/<int:pk>/", self.construct_view(StockAdjustView), name="adjust"),
            path("transfer/<int:pk>/", self.construct_view(StockTransferView), name="transfer"),
            path("export/", self.construct_view(StockExportView), name="export"),
            path("import/", self.construct_view(StockImportView), name="import"),
        ]


# -- Ledger ------------------------------------------------------------------------------


class LedgerFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(choices=StockMovement.Kind.choices, label=gettext_lazy("Kind"))
    location = django_filters.ModelChoiceFilter(
        field_name="stock__location", queryset=_own_locations, label=gettext_lazy("Location")
    )
    merchant = django_filters.ModelChoiceFilter(
        field_name="stock__variant__product__merchant", queryset=_own_merchants, label=gettext_lazy("Merchant")
    )
    created_at = django_filters.DateFromToRangeFilter(label=gettext_lazy("Date"), widget=DateRangePickerWidget)

    class Meta:
        model = StockMovement
        fields = ["kind", "location", "merchant", "created_at"]


class BatchColumn(Column):
    """A receive movement's batch code, linking to the batch's public trace page (``/trace/<code>/``)."""

    cell_template_name = "catalog/admin/batch_cell.html"


class LedgerIndexView(SafeSpreadsheetExportMixin, generic.IndexView):
    def get_base_queryset(self) -> QuerySet:
        return (
            super().get_base_queryset().select_related("stock__variant__product", "stock__location", "actor", "batch")
        )


class LedgerViewSet(ReadOnlyViewSetMixin, ScopedViewSetMixin, ModelViewSet):
    """The append-only stock ledger: read-only, filterable, in the user's scope."""

    menu_name = "stock-ledger"  # fixed: a name derived from the label would change with the language

    model = StockMovement
    name = "stock_ledger"
    url_prefix = "stock-ledger"
    icon = "history"
    inspect_view_enabled = True
    index_view_class = LedgerIndexView
    filterset_class = LedgerFilterSet
    search_fields = ["stock__variant__sku", "stock__variant__product__name", "reason", "reference"]
    list_per_page = 50
    list_display = [
        "stock__variant__sku",
        DateColumn("created_at", label=gettext_lazy("Time"), sort_key="created_at"),
        "kind",
        Column("location", label=gettext_lazy("Location"), accessor="stock.location.name"),
        NumberColumn("quantity", label=gettext_lazy("Change on hand"), sort_key="quantity"),
        NumberColumn("allocated_change", label=gettext_lazy("Change allocated")),
        NumberColumn("on_hand_after", label=gettext_lazy("On hand after")),
        UserColumn("actor", label=gettext_lazy("By")),
        "reason",
        "reference",
        BatchColumn("batch", label=gettext_lazy("Batch"), accessor="batch_code"),
    ]
    list_export = [
        "created_at",
        "kind",
        "stock.variant.sku",
        "stock.location.code",
        "quantity",
        "allocated_change",
        "on_hand_after",
        "allocated_after",
        "actor",
        "reason",
        "reference",
        "batch_code",
    ]
    export_headings = {
        "created_at": gettext_lazy("Time"),
        "kind": gettext_lazy("Kind"),
        "stock.variant.sku": gettext_lazy("SKU"),
        "stock.location.code": gettext_lazy("Location"),
        "quantity": gettext_lazy("Change on hand"),
        "allocated_change": gettext_lazy("Change allocated"),
        "on_hand_after": gettext_lazy("On hand after"),
        "allocated_after": gettext_lazy("Allocated after"),
        "actor": gettext_lazy("By"),
        "reason": gettext_lazy("Reason"),
        "reference": gettext_lazy("Reference"),
        "batch_code": gettext_lazy("Batch"),
    }
    export_filename = "stock-ledger"
    inspect_view_fields = [
        "created_at",
        "kind",
        "stock",
        "quantity",
        "allocated_change",
        "on_hand_after",
        "allocated_after",
        "actor",
        "reason",
        "reference",
        "batch",
    ]
