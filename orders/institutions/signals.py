"""Keep each user's "Organisation members" role in step with their memberships, however a membership is added
or removed (the application, the operators' organisation form, a deleted organisation)."""

from django.db.models.signals import post_delete, post_save

from orders.models import Membership


def _membership_changed(sender, instance: Membership, **kwargs) -> None:
    from orders.institutions.services import sync_member_group

    sync_member_group(instance.user)


def connect() -> None:
    """Called once, from ``OrdersConfig.ready``."""
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="orders_membership_saved")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="orders_membership_deleted")
