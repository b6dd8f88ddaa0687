"""The catalogue back office in the Wagtail admin: one "Catalogue" menu, scoped per merchant."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.models import register_snippet

from catalog.backoffice.certificates import CertificateViewSet
from catalog.backoffice.organisation import CategoryViewSet, LocationViewSet, MerchantViewSet
from catalog.backoffice.packs import PackViewSet
from catalog.backoffice.products import ProductViewSet, ScopedDeleteBulkAction
from catalog.backoffice.search import SearchSynonymViewSet
from catalog.backoffice.stock import LedgerViewSet, StockViewSet
from catalog.dashboard.panels import CertificatesPanel, LowStockPanel
from core.dashboard import add_panels
from core.scopes import SCOPES, scope_for_user


class CatalogueViewSetGroup(ViewSetGroup):
    menu_name = "catalogue"  # fixed: a name derived from the label would change with the language
    menu_label = _("Catalogue")
    menu_icon = "tag"
    menu_order = 200
    items = (
        ProductViewSet,
        MerchantViewSet,
        CertificateViewSet,
        CategoryViewSet,
        LocationViewSet,
        StockViewSet,
        LedgerViewSet,
        SearchSynonymViewSet,
        PackViewSet,
    )


register_snippet(CatalogueViewSetGroup)

# Registered after Wagtail's own snippet bulk delete (order 0), so it replaces it for products.
hooks.register("register_bulk_action", ScopedDeleteBulkAction, order=100)


@hooks.register("before_bulk_action")
def refuse_bulk_actions_outside_scope(request, action_type, objects, action_class_instance):
    """Second line of defence: no bulk action touches a catalogue row outside the user's scope."""
    model = getattr(action_class_instance, "model", None)
    if model not in SCOPES or not objects:
        return None
    pks = {obj.pk for obj in objects}
    if scope_for_user(model, request.user).filter(pk__in=pks).count() != len(pks):
        raise Http404
    return None


@hooks.register("construct_homepage_panels")
def add_catalogue_dashboard_panels(request, panels) -> None:
    """Merchants' low stock; aid certificates running out (merchants, and the operators who attest them)."""
    add_panels(request, panels, [LowStockPanel, CertificatesPanel])
