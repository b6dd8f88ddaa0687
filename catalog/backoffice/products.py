"""Products in the back office: a snippet viewset scoped per merchant, its chooser and bulk delete."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, ProtectedError, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_list_or_404, redirect
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views import snippets as snippet_views

from catalog.backoffice.scoping import ScopedViewSetMixin
from catalog.forms import ProductForm, ProductImageForm, VariantForm, VariantFormSet
from catalog.models import Category, Merchant, Product, Variant
from catalog.selectors import ALL_MERCHANTS_PERMISSION, merchants_for_user, products_for_user
from core.backoffice import clean_pks, get_object_in_scope_or_404
from core.scopes import scope_for_user
from core.spreadsheets import SafeSpreadsheetExportMixin

PROTECTED_PRODUCT_MESSAGE = _(
    "“%(object)s” has stock records and cannot be deleted. Unpublish it instead: "
    "it leaves the shop and keeps its history."
)


def product_search_condition(query: str) -> Q:
    """Products whose name (Chinese or English), summary, origin, merchant or one of whose SKUs contains
    ``query``."""
    return (
        Q(name__icontains=query)
        | Q(name_en__icontains=query)
        | Q(summary__icontains=query)
        | Q(origin__icontains=query)
        | Q(merchant__name__icontains=query)
        | Exists(Variant.objects.filter(product=OuterRef("pk"), sku__icontains=query))
    )


def _own_merchants(request) -> QuerySet:
    return merchants_for_user(request.user) if request is not None else Merchant.objects.none()


class ProductFilterSet(WagtailFilterSet):
    merchant = django_filters.ModelChoiceFilter(queryset=_own_merchants, label=_("Merchant"))
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all(), label=_("Category"))
    is_published = django_filters.BooleanFilter(label=_("Published"))

    class Meta:
        model = Product
        fields = ["merchant", "category", "is_published"]


class ProductIndexView(SafeSpreadsheetExportMixin, snippet_views.IndexView):
    def get_base_queryset(self) -> QuerySet:
        return super().get_base_queryset().select_related("merchant", "category")

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        return queryset.filter(product_search_condition(self.search_query))


class ProductEditView(snippet_views.EditView):
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProtectedError:
            form.add_error(None, _("A variant you removed is still referred to (stock or orders); keep it inactive."))
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class VariantInlinePanel(InlinePanel):
    """The variants of a product, with readable price errors and no removal of variants that have stock."""

    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name].update(form=VariantForm, formset=VariantFormSet)
        return options


class ProductImageInlinePanel(InlinePanel):
    """The pictures of a product; each form knows its user, so only images the user may choose are accepted."""

    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name].update(form=ProductImageForm, inherit_kwargs=["for_user"])
        return options


# -- Chooser -----------------------------------------------------------------------------


class ProductChooserFilterForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"), required=False, widget=forms.TextInput(attrs={"placeholder": _("Search")})
    )

    def filter(self, objects: QuerySet) -> QuerySet:
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            self.is_searching, self.search_query = True, query
            objects = objects.filter(product_search_condition(query))
        return objects


class ScopedProductChooserMixin:
    filter_form_class = ProductChooserFilterForm

    def get_object_list(self) -> QuerySet:
        return products_for_user(self.request.user, super().get_object_list()).select_related("merchant")

    @property
    def columns(self):
        return [*super().columns, Column("merchant", label=_("Merchant"), accessor="merchant.name")]


class ProductChooseView(ScopedProductChooserMixin, snippet_chooser.ChooseView):
    pass


class ProductChooseResultsView(ScopedProductChooserMixin, snippet_chooser.ChooseResultsView):
    pass


class ProductChosenView(snippet_chooser.SnippetChosenView):
    def get_object(self, pk):
        return get_object_in_scope_or_404(Product, self.request.user, pk)


class ProductChosenMultipleView(snippet_chooser.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return products_for_user(self.request.user).filter(pk__in=clean_pks(Product, pks))


class NoCreationView(snippet_chooser.SnippetCreateView):
    """Products are created in the product editor (variants and images need it), not in a chooser."""

    def dispatch(self, request, *args, **kwargs):
        raise Http404


class ProductChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = ProductChooseView
    choose_results_view_class = ProductChooseResultsView
    chosen_view_class = ProductChosenView
    chosen_multiple_view_class = ProductChosenMultipleView
    create_view_class = NoCreationView


# -- Bulk delete -------------------------------------------------------------------------


class ScopedDeleteBulkAction(DeleteBulkAction):
    """Wagtail's snippet bulk delete, limited to the user's rows (also with "select all").

    Registered after Wagtail's own, so it replaces it for these models.
    """

    models = [Product]
    protected_message = _("Nothing was deleted: some of these products have stock records. Unpublish them instead.")

    def get_all_objects_in_listing_query(self, parent_id):
        return scope_for_user(self.model, self.request.user).values_list("pk", flat=True)

    def get_queryset(self, model, object_ids):
        return get_list_or_404(scope_for_user(model, self.request.user), pk__in=clean_pks(model, object_ids))

    def check_perm(self, snippet) -> bool:
        policy = self.model.snippet_viewset.permission_policy
        return policy.user_has_permission_for_instance(self.request.user, "delete", snippet)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProtectedError:
            messages.error(self.request, self.protected_message)
            return redirect(self.next_url)


# -- Viewset -----------------------------------------------------------------------------


class ProductViewSet(ScopedViewSetMixin, snippet_views.SnippetViewSet):
    menu_name = "products"  # fixed: a name derived from the label would change with the language
    model = Product
    owner_field = "merchant"
    icon = "tag"
    menu_item_is_registered = True
    inspect_view_enabled = True
    index_view_class = ProductIndexView
    edit_view_class = ProductEditView
    chooser_viewset_class = ProductChooserViewSet
    protected_message = PROTECTED_PRODUCT_MESSAGE

    list_display = [
        "name",
        Column("merchant", label=_("Merchant"), accessor="merchant.name", sort_key="merchant__name"),
        Column("category", label=_("Category"), accessor="category.name", sort_key="category__name"),
        BooleanColumn("is_published", label=_("Published"), sort_key="is_published"),
        DateColumn("updated_at", label=_("Updated"), sort_key="updated_at"),
    ]
    list_export = ["name", "slug", "merchant", "category", "is_published", "updated_at"]
    export_headings = {
        "name": _("Name"),
        "slug": _("Slug"),
        "merchant": _("Merchant"),
        "category": _("Category"),
        "is_published": _("Published"),
        "updated_at": _("Updated"),
    }
    export_filename = "products"
    filterset_class = ProductFilterSet
    search_fields = ["name", "name_en", "summary", "origin", "merchant__name"]
    search_backend_name = None
    inspect_view_fields = [
        "merchant",
        "category",
        "name",
        "name_en",
        "slug",
        "summary",
        "summary_en",
        "origin",
        "is_published",
        "is_featured",
        "season_start_month",
        "season_end_month",
        "shelf_life_days",
        "low_stock_threshold",
        "created_at",
        "updated_at",
    ]

    edit_handler = TabbedInterface(
        [
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("merchant"), FieldPanel("category")]),
                    FieldPanel("name"),
                    FieldPanel("name_en"),
                    FieldPanel("slug"),
                    FieldPanel("summary"),
                    FieldPanel("summary_en"),
                    FieldPanel("description"),
                    FieldPanel("origin"),
                    MultiFieldPanel(
                        [
                            FieldPanel("is_published"),
                            FieldPanel("is_featured", permission=ALL_MERCHANTS_PERMISSION),
                        ],
                        heading=_("Publishing"),
                    ),
                ],
                heading=_("Product"),
            ),
            ObjectList(
                [
                    VariantInlinePanel(
                        "variants",
                        label=_("Variant"),
                        min_num=1,
                        panels=[
                            FieldRowPanel([FieldPanel("sku"), FieldPanel("name")]),
                            FieldRowPanel([FieldPanel("price"), FieldPanel("compare_at_price")]),
                            FieldRowPanel([FieldPanel("weight_grams"), FieldPanel("is_active")]),
                        ],
                    )
                ],
                heading=_("Variants"),
            ),
            ObjectList(
                [
                    ProductImageInlinePanel(
                        "images", label=_("Image"), panels=[FieldPanel("image"), FieldPanel("alt_text")]
                    )
                ],
                heading=_("Images"),
            ),
            ObjectList(
                [
                    FieldRowPanel([FieldPanel("season_start_month"), FieldPanel("season_end_month")]),
                    FieldRowPanel([FieldPanel("shelf_life_days"), FieldPanel("low_stock_threshold")]),
                ],
                heading=_("Details"),
            ),
        ],
        base_form_class=ProductForm,
    )
