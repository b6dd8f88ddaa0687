"""Gift packs in the back office (Catalogue → Gift packs): operators compose and publish them.

Operators only: the screens follow the model permissions, which only the Operators role holds
(``core.roles``); merchants, counter staff and editors get neither the menu item nor the pages.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.viewsets.model import ModelViewSet

from catalog.forms import PackForm
from catalog.models import Pack
from core.money import format_fen


class PackViewSet(ModelViewSet):
    """A pack's name, price and items (variants of any merchants), published or not."""

    menu_name = "gift-packs"  # fixed: a name derived from the label would change with the language

    model = Pack
    url_prefix = "gift-packs"
    icon = "folder-open-inverse"
    copy_view_enabled = False
    list_display = [
        "name",
        "slug",
        Column("price", label=_("Pack price"), accessor=lambda pack: format_fen(pack.price)),
        BooleanColumn("is_published", label=_("Published")),
        "updated_at",
    ]
    list_filter = ["is_published"]
    search_fields = ["name", "slug"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("slug"),
            FieldPanel("description"),
            FieldPanel("image"),
            FieldPanel("price"),
            FieldPanel("is_published"),
            InlinePanel("items", min_num=0, panels=[FieldPanel("variant"), FieldPanel("quantity")]),
        ],
        base_form_class=PackForm,
    )
