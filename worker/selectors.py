"""Reading the outbox: the in-app counter queue shown in the counter console."""

from collections.abc import Iterable

from django.db.models import QuerySet

from worker.models import Notification


def counter_messages(location_ids: Iterable[int], limit: int = 50) -> QuerySet[Notification]:
    """The newest messages of the in-app queue of these counters (pass only the counters the user staffs)."""
    return (
        Notification.objects.filter(channel=Notification.Channel.COUNTER, location_id__in=list(location_ids))
        .select_related("location")
        .order_by("-created_at", "-pk")[:limit]
    )
