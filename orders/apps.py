from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        """Orders, fulfilments and the aid ledger join the per-user scope registry (scoped views, policy, lookups);
        the consumer's text messages are registered with the outbox; organisations (``orders.institutions``) join
        the scope registry, their messages the outbox, and memberships keep the members' role in step."""
        from core.scopes import register_scope
        from orders.aid.scopes import entries_for_user, settlements_for_user
        from orders.institutions import notifications as institution_notifications
        from orders.institutions import signals as institution_signals
        from orders.institutions.selectors import organisations_for_user
        from orders.models import AidLedgerEntry, Fulfilment, Order, Organisation, Settlement
        from orders.notifications import register_sms_templates
        from orders.scopes import fulfilments_for_backoffice_user, orders_for_backoffice_user

        register_scope(Order, orders_for_backoffice_user)
        register_scope(AidLedgerEntry, entries_for_user)
        register_scope(Settlement, settlements_for_user)
        register_scope(Fulfilment, fulfilments_for_backoffice_user)
        register_sms_templates()
        register_scope(Organisation, organisations_for_user)
        institution_notifications.register_sms_templates()
        institution_signals.connect()
