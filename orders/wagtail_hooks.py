"""The orders back office in the Wagtail admin: one "Orders" menu, scoped per merchant and per counter,
and the "Counter" console for counter staff (`orders.counter`)."""

from wagtail import hooks

from orders.aid.views import AidViewSet
from orders.backoffice import OrdersViewSetGroup
from orders.counter.views import CounterViewSet


@hooks.register("register_admin_viewset")
def register_orders_back_office() -> OrdersViewSetGroup:
    return OrdersViewSetGroup()


@hooks.register("register_admin_viewset")
def register_counter_console() -> CounterViewSet:
    return CounterViewSet()


@hooks.register("register_admin_viewset")
def register_aid_back_office() -> AidViewSet:
    return AidViewSet()
