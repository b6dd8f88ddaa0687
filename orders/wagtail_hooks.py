"""The orders back office in the Wagtail admin: one "Orders" menu, scoped per merchant and per counter."""

from wagtail import hooks

from orders.backoffice import OrdersViewSetGroup


@hooks.register("register_admin_viewset")
def register_orders_back_office() -> OrdersViewSetGroup:
    return OrdersViewSetGroup()
