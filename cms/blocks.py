"""StreamField blocks shared by the editorial pages.

Product blocks load their products through ``cms.products.block_products``, shaped for display
(variants with live stock, pictures and renditions prefetched). A page serving itself first fetches
every product of every product block of its body in one go (``products_prefetched``), so the page
costs the same number of queries whatever the number of products. A product that has been
unpublished or deleted renders nothing for readers and a warning in the editor's preview.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import RichText
from wagtail.snippets.blocks import SnippetChooserBlock

from cms.products import block_products
from core.backoffice import clean_pks, get_object_in_scope_or_404
from core.richtext import clean_html
from core.scopes import scope_for_user

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"]


class SafeRichTextBlock(blocks.RichTextBlock):
    """Rich text cleaned to the editor's whitelist whenever it is loaded, whoever stored it."""

    def to_python(self, value):
        return RichText(clean_html(value or ""))

    def bulk_to_python(self, values):
        return [self.to_python(value) for value in values]


# Products fetched ahead for the page being served: id → shaped product (None when deleted).
_prefetched: ContextVar[dict | None] = ContextVar("cms_block_products", default=None)
# Objects the page being served already holds (its hero image, its merchant): (model, pk) → object.
_known: ContextVar[dict | None] = ContextVar("cms_known_objects", default=None)


class KnownObjectsMixin:
    """A chooser block that takes the objects the page being served already holds before querying the rest."""

    def bulk_to_python(self, values):
        values = list(values)
        known = _known.get() or {}
        model = self.model_class
        missing = [pk for pk in values if pk and (model, pk) not in known]
        fetched = model.objects.in_bulk(missing) if missing else {}
        return [known.get((model, pk)) or fetched.get(pk) if pk else None for pk in values]


class PageImageChooserBlock(KnownObjectsMixin, ImageChooserBlock):
    # Stored in migrations as Wagtail's own block: the block's definition does not change.
    canonical_module_path = "wagtail.images.blocks.ImageChooserBlock"


class ProductChooserBlock(SnippetChooserBlock):
    """A product, loaded shaped for display (price, availability, pictures) in one bulk query; chosen in the
    editor's product chooser (``cms.product_chooser``: thumbnails, prices, merchants, pinyin search)."""

    def __init__(self, **kwargs):
        super().__init__("catalog.Product", **kwargs)

    @cached_property
    def widget(self):
        from cms.product_chooser import ProductChooser  # it imports the catalogue's back office

        return ProductChooser(self.target_model, icon=self.meta.icon)

    def bulk_to_python(self, values):
        values = list(values)
        ahead = _prefetched.get()
        if ahead is not None and all(pk in ahead for pk in values if pk):
            return [copy.copy(ahead[pk]) if pk and ahead[pk] is not None else None for pk in values]
        return block_products(values)

    def to_python(self, value):
        return self.bulk_to_python([value])[0]


class ScopedChooseMixin:
    """The chooser lists only the rows the user may see (``core.scopes``): every merchant for editors and
    operators, a merchant member its own, counter staff none."""

    def get_object_list(self):
        return scope_for_user(self.model_class, self.request.user, super().get_object_list())


class ScopedChooseView(ScopedChooseMixin, chooser_views.ChooseView):
    pass


class ScopedChooseResultsView(ScopedChooseMixin, chooser_views.ChooseResultsView):
    pass


class ScopedChosenView(chooser_views.ChosenView):
    def get_object(self, pk):
        return get_object_in_scope_or_404(self.model_class, self.request.user, pk)


class ScopedChosenMultipleView(chooser_views.ChosenMultipleView):
    def get_objects(self, pks):
        return scope_for_user(self.model_class, self.request.user).filter(pk__in=clean_pks(self.model_class, pks))


merchant_chooser_viewset = ChooserViewSet(
    "merchant_chooser",
    model="catalog.Merchant",
    choose_view_class=ScopedChooseView,
    choose_results_view_class=ScopedChooseResultsView,
    chosen_view_class=ScopedChosenView,
    chosen_multiple_view_class=ScopedChosenMultipleView,
    icon="group",
    choose_one_text=_("Choose a merchant"),
    choose_another_text=_("Choose another merchant"),
    edit_item_text=_("Edit this merchant"),
    url_prefix="cms/merchant-chooser",
)
_MerchantChooserBlock = merchant_chooser_viewset.get_block_class(name="MerchantChooserBlock", module_path="cms.blocks")


class MerchantChooserBlock(KnownObjectsMixin, _MerchantChooserBlock):
    pass


class CaptionedImageBlock(blocks.StructBlock):
    image = PageImageChooserBlock(label=_("image"))
    alt = blocks.CharBlock(
        label=_("alternative text"), required=False, max_length=200, help_text=_("Describes the picture.")
    )
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Image with caption")
        template = "cms/blocks/image.html"


class GalleryBlock(blocks.StructBlock):
    images = blocks.ListBlock(CaptionedImageBlock(), label=_("images"), min_num=2)

    class Meta:
        icon = "image"
        label = _("Gallery")
        template = "cms/blocks/gallery.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("quote"))
    speaker = blocks.CharBlock(label=_("speaker"), max_length=120)
    role = blocks.CharBlock(label=_("speaker's role"), required=False, max_length=120)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "cms/blocks/quote.html"


class FactBlock(blocks.StructBlock):
    figure = blocks.CharBlock(label=_("figure"), max_length=32, help_text=_('For example "320 名".'))
    label = blocks.CharBlock(label=_("label"), max_length=80, help_text=_('For example "签约织娘".'))

    class Meta:
        icon = "pick"
        label = _("Fact")


class FactsBlock(blocks.StructBlock):
    facts = blocks.ListBlock(FactBlock(), label=_("facts"), min_num=1)

    class Meta:
        icon = "pick"
        label = _("Facts")
        template = "cms/blocks/facts.html"


class VideoBlock(blocks.StructBlock):
    video = EmbedBlock(label=_("video address"), help_text=_("A link to the video on a supported site."))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "media"
        label = _("Embedded video")
        template = "cms/blocks/video.html"


class ProductCardBlock(blocks.StructBlock):
    product = ProductChooserBlock(label=_("product"))
    note = blocks.CharBlock(label=_("editor's note"), required=False, max_length=200)

    class Meta:
        icon = "tag"
        label = _("Product card")
        template = "cms/blocks/product_card.html"


class ProductGridBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("heading"), required=False, max_length=120)
    products = blocks.ListBlock(ProductChooserBlock(label=_("product")), label=_("products"), min_num=1)

    class Meta:
        icon = "list-ul"
        label = _("Product grid")
        template = "cms/blocks/product_grid.html"


class MerchantCardBlock(blocks.StructBlock):
    merchant = MerchantChooserBlock(label=_("merchant"))

    class Meta:
        icon = "group"
        label = _("Merchant card")
        template = "cms/blocks/merchant_card.html"


class BodyBlock(blocks.StreamBlock):
    paragraph = SafeRichTextBlock(label=_("Paragraph"), features=RICH_TEXT_FEATURES, icon="pilcrow")
    image = CaptionedImageBlock()
    gallery = GalleryBlock()
    quote = QuoteBlock()
    facts = FactsBlock()
    video = VideoBlock()
    product_card = ProductCardBlock()
    product_grid = ProductGridBlock()
    merchant_card = MerchantCardBlock()

    class Meta:
        block_counts = {}


def product_ids(stream_data) -> list[int]:
    """The product ids a stream's raw data points at, in order (no query)."""
    ids: list[int] = []
    for item in stream_data:
        value = item.get("value") or {}
        if item.get("type") == "product_card" and value.get("product"):
            ids.append(value["product"])
        elif item.get("type") == "product_grid":
            for entry in value.get("products") or []:
                pk = entry.get("value") if isinstance(entry, dict) else entry
                if pk:
                    ids.append(pk)
    return ids


def prefetched_products() -> list:
    """The products fetched ahead by the enclosing ``products_prefetched`` (none outside it)."""
    return [product for product in (_prefetched.get() or {}).values() if product is not None]


@contextmanager
def products_prefetched(*streams, renditions: bool = True, known: tuple = ()) -> Iterator[None]:
    """Within the block, product blocks of ``streams`` find their products fetched in one bulk query
    (their pictures' renditions too unless ``renditions`` is false: see ``cms.renditions.attach_renditions``),
    and image and merchant blocks take the ``known`` objects (model instances) without a query."""
    ids = list(dict.fromkeys(pk for stream in streams for pk in product_ids(stream.raw_data)))
    token = _prefetched.set(dict(zip(ids, block_products(ids, renditions), strict=True)))
    known_token = _known.set({(type(obj), obj.pk): obj for obj in known if obj is not None})
    try:
        yield
    finally:
        _known.reset(known_token)
        _prefetched.reset(token)
