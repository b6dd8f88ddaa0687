"""Merchants, categories and locations in the back office."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets.model import ModelViewSet

from catalog.backoffice.scoping import ScopedViewSetMixin
from catalog.forms import LocationForm
from catalog.models import Category, Location, Merchant
from catalog.selectors import ALL_MERCHANTS_PERMISSION
from core.backoffice import ProtectedDeleteViewSetMixin


class MerchantViewSet(ScopedViewSetMixin, ModelViewSet):
    """Operators manage every merchant; a member sees only its own."""

    menu_name = "merchants"  # fixed: a name derived from the label would change with the language

    model = Merchant
    url_prefix = "merchants"
    icon = "group"
    inspect_view_enabled = True
    copy_view_enabled = False
    protected_message = _("“%(object)s” still has products and cannot be deleted. Mark it inactive instead.")
    list_display = ["name", "kind", "township", "paired_county", BooleanColumn("is_active", label=_("Active"))]
    list_filter = ["kind", "township", "paired_county", "is_active"]
    search_fields = ["name", "name_en", "village", "contact_name", "summary"]
    inspect_view_fields = [
        "name",
        "name_en",
        "kind",
        "summary",
        "summary_en",
        "township",
        "village",
        "paired_county",
        "households_benefited",
        "contact_name",
        "contact_phone",
        "contact_email",
        "wechatpay_merchant_id",
        "is_active",
    ]
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("slug")]),
        FieldPanel("name_en"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("is_active")]),
        FieldPanel("summary"),
        FieldPanel("summary_en"),
        FieldPanel("description"),
        FieldPanel("logo"),
        FieldRowPanel([FieldPanel("township"), FieldPanel("village")]),
        FieldRowPanel([FieldPanel("paired_county"), FieldPanel("households_benefited")]),
        MultiFieldPanel(
            [FieldPanel("contact_name"), FieldPanel("contact_phone"), FieldPanel("contact_email")],
            heading=_("Contact"),
        ),
        FieldPanel("wechatpay_merchant_id", permission=ALL_MERCHANTS_PERMISSION),
        FieldPanel("members"),
    ]


class CategoryViewSet(ProtectedDeleteViewSetMixin, ModelViewSet):
    """Categories are shared by every merchant; operators manage them."""

    menu_name = "categories"  # fixed: a name derived from the label would change with the language

    model = Category
    url_prefix = "categories"
    icon = "list-ul"
    copy_view_enabled = False
    protected_message = _("“%(object)s” still has products and cannot be deleted.")
    list_display = ["name", "name_en", "slug", "sort_order"]
    search_fields = ["name", "name_en", "slug"]
    form_fields = ["name", "name_en", "slug", "description", "sort_order"]


class LocationViewSet(ScopedViewSetMixin, ModelViewSet):
    """Warehouses and counters. Operators manage them; counter staff see their own counters."""

    menu_name = "locations"  # fixed: a name derived from the label would change with the language

    model = Location
    url_prefix = "locations"
    icon = "site"
    inspect_view_enabled = True
    copy_view_enabled = False
    protected_message = _("“%(object)s” holds stock records and cannot be deleted. Mark it inactive instead.")
    list_display = ["name", "code", "kind", "county", "host", BooleanColumn("is_active", label=_("Active"))]
    list_filter = ["kind", "county", "is_active"]
    search_fields = ["name", "code", "host", "address"]
    inspect_view_fields = [
        "name",
        "code",
        "kind",
        "host",
        "county",
        "address",
        "opening_hours",
        "phone",
        "notification_email",
        "opens_at",
        "webhook_url",
        "is_active",
    ]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("name"), FieldPanel("code")]),
            FieldRowPanel([FieldPanel("kind"), FieldPanel("is_active")]),
            FieldRowPanel([FieldPanel("host"), FieldPanel("county")]),
            FieldPanel("address"),
            FieldRowPanel([FieldPanel("opening_hours"), FieldPanel("phone")]),
            FieldRowPanel([FieldPanel("notification_email"), FieldPanel("opens_at")]),
            MultiFieldPanel(
                [FieldPanel("webhook_url"), FieldPanel("webhook_secret")], heading=_("The counter's own system")
            ),
            FieldPanel("staff"),
        ],
        base_form_class=LocationForm,
    )
