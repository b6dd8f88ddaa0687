"""The product chooser of the page editor's product blocks (``cms.blocks.ProductChooserBlock``).

Each row shows the product's thumbnail, name, lowest price in yuan (``from …`` when its variants differ),
merchant and whether it is published; 25 rows a page. The search is the shop's own (``catalog.search``): by
name, merchant, category or origin, in Chinese or in pinyin (full or initials: "qicheng", "qc"), as a prefix
while the editor types ("qich"); results best first. Rows are scoped like the catalogue's own chooser
(``catalog.backoffice.products``: a merchant member sees its own products) and shaped as the shop shapes them
(``storefront.selectors.shape_products``), so a page of results costs the same few queries whatever its
length, thumbnails' renditions included.
"""

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, StatusTagColumn
from wagtail.admin.views.generic.chooser import BaseChooseView
from wagtail.images.shortcuts import get_renditions_or_not_found
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.widgets import AdminSnippetChooser

from catalog.backoffice.products import (
    NoCreationView,
    ProductChooserFilterForm,
    ProductChosenMultipleView,
    ProductChosenView,
)
from catalog.search import plan_search, search
from catalog.selectors import products_for_user
from core.money import format_fen
from storefront import selectors as shop

PER_PAGE = 25


class ProductSearchForm(ProductChooserFilterForm):
    """The shop's Chinese and pinyin search, the last word as a prefix; best matches first."""

    def filter(self, objects: QuerySet) -> QuerySet:
        query = (self.cleaned_data.get("q") or "").strip()
        if not query:
            return objects
        self.is_searching, self.search_query = True, query
        found = search(objects, plan_search(query, prefix=True))
        if "search_rank" in found.query.annotations:
            found = found.order_by("-search_rank", "-created_at", "-pk")
        return found


def price_text(product) -> str:
    """The lowest active price in yuan, "from …" when the variants' prices differ."""
    if product.min_price is None:
        return str(_("Not on sale"))
    price = format_fen(product.min_price)
    return str(_("from %(price)s") % {"price": price}) if product.has_price_range else price


class ThumbnailColumn(Column):
    """The product's first picture in the shop's thumbnail rendition (prefetched with the rows)."""

    cell_template_name = "cms/product_chooser/thumbnail_cell.html"

    def get_value(self, instance):
        cover = instance.cover
        if cover is None:
            return None
        return get_renditions_or_not_found(cover.image, (shop.THUMBNAIL_FILTER,))[shop.THUMBNAIL_FILTER]


class ProductChooseMixin:
    filter_form_class = ProductSearchForm
    per_page = PER_PAGE
    ordering = ("-created_at", "-pk")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.model = self.model_class  # the snippet chooser's views want the class, not "catalog.Product"

    def get_object_list(self) -> QuerySet:
        products = products_for_user(self.request.user, BaseChooseView.get_object_list(self))
        return shop.shape_products(products)

    def get_results_page(self, request):
        page = super().get_results_page(request)
        page.object_list = shop.prepare_for_display(page.object_list)
        return page

    @property
    def columns(self):
        return [
            ThumbnailColumn("thumbnail", label=_("Image"), width="64px"),
            self.title_column,
            Column("price", label=_("Price"), accessor=price_text),
            Column("merchant", label=_("Merchant"), accessor="merchant.name"),
            StatusTagColumn(
                "is_published",
                label=_("Status"),
                accessor=lambda product: _("Published") if product.is_published else _("Unpublished"),
                primary=lambda product: product.is_published,
            ),
        ]


class ProductChooseView(ProductChooseMixin, snippet_chooser.ChooseView):
    pass


class ProductChooseResultsView(ProductChooseMixin, snippet_chooser.ChooseResultsView):
    pass


class ProductChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    """Registered under ``product_chooser`` beside the catalogue's own; the form field of a foreign key to a
    product keeps the catalogue's (``register_widget`` false)."""

    model = "catalog.Product"
    icon = "tag"
    register_widget = False
    choose_view_class = ProductChooseView
    choose_results_view_class = ProductChooseResultsView
    chosen_view_class = ProductChosenView
    chosen_multiple_view_class = ProductChosenMultipleView
    create_view_class = NoCreationView


product_chooser_viewset = ProductChooserViewSet("product_chooser", url_prefix="cms/product-chooser")


class ProductChooser(AdminSnippetChooser):
    """The snippet chooser widget (its button and JavaScript), opening this chooser."""

    def get_chooser_modal_url(self):
        return reverse(product_chooser_viewset.get_url_name("choose"))
