"""Reads behind the outbox's dashboard panel. The outbox has no per-merchant rows: it is for those who may
view notifications (operators); anyone else gets nothing."""

from django.db.models import QuerySet

from worker.models import Notification

VIEW_PERMISSION = "worker.view_notification"


def failed_notifications(user) -> QuerySet[Notification]:
    """Notifications that failed for good (sending them again makes them pending), newest first."""
    if not user.has_perm(VIEW_PERMISSION):
        return Notification.objects.none()
    return Notification.objects.filter(status=Notification.Status.FAILED).order_by("-created_at", "-pk")
