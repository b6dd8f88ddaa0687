from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        """Orders and fulfilments join the catalogue's per-user scopes (scoped views, policy, lookups)."""
        from catalog.selectors import register_scope
        from orders.aid.models import AidLedgerEntry, Settlement
        from orders.aid.selectors import entries_for_user, settlements_for_user
        from orders.models import Fulfilment, Order
        from orders.selectors import fulfilments_for_backoffice_user, orders_for_backoffice_user

        register_scope(Order, orders_for_backoffice_user)
        register_scope(AidLedgerEntry, entries_for_user)
        register_scope(Settlement, settlements_for_user)
        register_scope(Fulfilment, fulfilments_for_backoffice_user)
