"""The editorial back office: snippets for headline figures and footers, the merchant and product choosers,
the page editor's pinyin slugs and the marks on drafts only autosave has saved (``cms.autosave``)."""

from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.autosave import forget_autosave, record_autosave
from cms.blocks import merchant_chooser_viewset
from cms.dashboard import DraftsPanel, ModerationPanel, replace_wagtail_workflow_panel
from cms.models import Footer, HeadlineFigure
from cms.product_chooser import product_chooser_viewset
from cms.slugs import slug_view
from core import roles
from core.dashboard import add_panels


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


@hooks.register("register_admin_viewset")
def register_product_chooser():
    return product_chooser_viewset


@hooks.register("register_admin_urls")
def register_slug_url():
    return [path("cms/pinyin-slug/", slug_view, name="cms_pinyin_slug")]


@hooks.register("insert_editor_js")
def pinyin_slug_js():
    """Fills a page's slug with its Chinese title in pinyin as the editor types (no inline script)."""
    return format_html(
        '<script src="{}" data-slug-url="{}" defer></script>',
        static("cms/js/pinyin-slug.js"),
        reverse("cms_pinyin_slug"),
    )


@hooks.register("insert_editor_js")
def save_after_autosave_js():
    """An editor's save waits for an autosave under way, so a new page is not created twice."""
    return format_html('<script src="{}" defer></script>', static("cms/js/save-after-autosave.js"))


def _is_autosave(request) -> bool:
    """Wagtail's autosave asks for JSON; an editor's own save, submit or publish for a page."""
    return not request.accepts("text/html")


@hooks.register("after_create_page")
def mark_autosaved_draft(request, page):
    if _is_autosave(request):
        record_autosave(page)
    return None


@hooks.register("after_edit_page")
@hooks.register("after_publish_page")
def unmark_saved_draft(request, page):
    if not _is_autosave(request):
        forget_autosave(page)
    return None


@hooks.register("filter_form_submissions_for_user")
def only_operators_read_form_submissions(user, editable_forms):
    """Contact-form submissions are personal data: only operators (and superusers) list, export or delete
    them; editors and moderators, who may edit the form pages, are refused."""
    if user.is_superuser or user.groups.filter(name=roles.OPERATORS).exists():
        return editable_forms
    return editable_forms.none()


@hooks.register("construct_homepage_panels")
def add_editorial_dashboard_panels(request, panels) -> None:
    """The editors' to-dos: pages awaiting moderation and drafts (in place of Wagtail's own workflow panel)."""
    add_panels(request, panels, [ModerationPanel, DraftsPanel])
    replace_wagtail_workflow_panel(panels)
