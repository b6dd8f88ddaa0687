"""The editorial back office: snippets for headline figures and footers, and the merchant chooser."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.blocks import merchant_chooser_viewset
from cms.models import Footer, HeadlineFigure
from core import roles


class HeadlineFigureViewSet(SnippetViewSet):
    menu_name = "headline-figures"  # fixed: a name derived from the label would change with the language
    model = HeadlineFigure
    icon = "pick"
    list_display = ["figure", "label", "source", "source_year", "sort_order"]
    ordering = ["sort_order", "pk"]


class FooterViewSet(SnippetViewSet):
    menu_name = "footers"  # fixed: a name derived from the label would change with the language
    model = Footer
    icon = "list-ul"


class SiteContentGroup(ViewSetGroup):
    menu_name = "site-content"  # fixed: a name derived from the label would change with the language
    menu_label = _("Site content")
    menu_icon = "doc-full"
    menu_order = 250
    items = (HeadlineFigureViewSet, FooterViewSet)


register_snippet(SiteContentGroup)


@hooks.register("register_admin_viewset")
def register_merchant_chooser():
    return merchant_chooser_viewset


@hooks.register("filter_form_submissions_for_user")
def only_operators_read_form_submissions(user, editable_forms):
    """Contact-form submissions are personal data: only operators (and superusers) list, export or delete
    them; editors and moderators, who may edit the form pages, are refused."""
    if user.is_superuser or user.groups.filter(name=roles.OPERATORS).exists():
        return editable_forms
    return editable_forms.none()
