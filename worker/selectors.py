"""Reading the outbox: the in-app queue of an audience (a counter's, shown in its console)."""

from collections.abc import Iterable

from django.db.models import QuerySet

from worker.models import Notification


def queued_messages(audiences: Iterable[str], limit: int = 50) -> QuerySet[Notification]:
    """The newest messages of the in-app queue of these audiences (pass only those the user may read)."""
    return Notification.objects.filter(channel=Notification.Channel.COUNTER, audience__in=list(audiences)).order_by(
        "-created_at", "-pk"
    )[:limit]
