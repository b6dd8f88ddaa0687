"""The orders back office in the Wagtail admin: one "Orders" menu, scoped per merchant and per counter,
and the "Counter" console for counter staff (`orders.counter`)."""

from wagtail import hooks

from core.dashboard import add_panels
from orders.aid.views import AidViewSet
from orders.backoffice import OrdersViewSetGroup
from orders.counter.views import CounterViewSet
from orders.coupons.backoffice import CouponViewSet
from orders.dashboard.panels import (
    CounterSalesPanel,
    FlaggedOrdersPanel,
    MonthSalesPanel,
    PartsToShipPanel,
    PickupsToPreparePanel,
    SettlementsDuePanel,
    WaitingPickupsPanel,
)
from orders.institutions.backoffice import OrganisationViewSet
from orders.institutions.bulk_backoffice import BulkOrderViewSet
from orders.institutions.invoice_backoffice import InvoiceViewSet
from orders.presales.views import PreSaleViewSet
from orders.vouchers.backoffice import VoucherBatchViewSet


@hooks.register("register_admin_viewset")
def register_orders_back_office() -> OrdersViewSetGroup:
    return OrdersViewSetGroup()


@hooks.register("register_admin_viewset")
def register_counter_console() -> CounterViewSet:
    return CounterViewSet()


@hooks.register("register_admin_viewset")
def register_aid_back_office() -> AidViewSet:
    return AidViewSet()


@hooks.register("register_admin_viewset")
def register_organisations_back_office() -> OrganisationViewSet:
    return OrganisationViewSet()


@hooks.register("register_admin_viewset")
def register_bulk_orders_back_office() -> BulkOrderViewSet:
    return BulkOrderViewSet()


@hooks.register("register_admin_viewset")
def register_invoices_back_office() -> InvoiceViewSet:
    return InvoiceViewSet()


@hooks.register("register_admin_viewset")
def register_coupons_back_office() -> CouponViewSet:
    return CouponViewSet()


@hooks.register("register_admin_viewset")
def register_vouchers_back_office() -> VoucherBatchViewSet:
    return VoucherBatchViewSet()


@hooks.register("register_admin_viewset")
def register_presales_back_office() -> PreSaleViewSet:
    return PreSaleViewSet()


DASHBOARD_PANELS = [
    PartsToShipPanel,  # merchants
    MonthSalesPanel,
    PickupsToPreparePanel,  # counter staff
    WaitingPickupsPanel,
    CounterSalesPanel,
    FlaggedOrdersPanel,  # operators
    SettlementsDuePanel,
]


@hooks.register("construct_homepage_panels")
def add_orders_dashboard_panels(request, panels) -> None:
    add_panels(request, panels, DASHBOARD_PANELS)
