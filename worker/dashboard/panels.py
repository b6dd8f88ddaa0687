"""The outbox's dashboard panel: failed notifications, each linking to its page (where it is sent again)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.dashboard import DashboardPanel, Item, Summary, waited
from worker.dashboard.selectors import VIEW_PERMISSION, failed_notifications
from worker.models import Notification


class FailedNotificationsPanel(DashboardPanel):
    name = "failed-notifications"
    heading = gettext_lazy("Failed notifications")
    icon = "mail"
    order = 120
    empty_text = gettext_lazy("Every notification was delivered or is still being tried.")
    more_label = gettext_lazy("All failed notifications")

    @classmethod
    def is_shown(cls, user) -> bool:
        return user.has_perm(VIEW_PERMISSION)

    def summary(self) -> Summary:
        failed = failed_notifications(self.user)
        count = failed.count()
        now = timezone.now()
        items = [self.item(notification, now) for notification in (failed[: self.limit] if count else [])]
        headline = ngettext("%(count)d notification failed", "%(count)d notifications failed", count) % {"count": count}
        return Summary(count, headline, items)

    def item(self, notification: Notification, now) -> Item:
        to = notification.audience_name or notification.recipient
        return Item(
            label=f"{notification.get_channel_display()} → {to}" if to else notification.get_channel_display(),
            url=reverse("notifications:inspect", args=[notification.pk]),
            note=Truncator(notification.last_error).chars(120),
            detail=_("%(time)s ago") % {"time": waited(notification.created_at, now)},
            urgent=True,
        )

    def more_url(self) -> str:
        return reverse("notifications:index") + "?" + urlencode({"status": Notification.Status.FAILED})
