"""Background work in the back office (operators): the notification outbox and the failed tasks.

Both are read-only listings with a detail page; the only actions are sending a failed notification
again and re-sending a failed task, each a POST through `worker.outbox` or `worker.failures`.
"""

import django_filters
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from core.backoffice import ReadOnlyViewSetMixin
from worker.failures import retry_failed_task
from worker.models import FailedTask, Notification
from worker.outbox import resend_failed_notification


def _permissions(model: type, *codenames: str):
    return Permission.objects.filter(content_type=ContentType.objects.get_for_model(model), codename__in=codenames)


class ActionView(View):
    """A POST-only action on one row, for holders of `permission`; back to the row's page with a message.

    Subclasses name the ``model``, the ``permission`` and the ``inspect_url_name``, and define
    ``act(request, instance)``, which does the work and adds the message.
    """

    http_method_names = ["post"]
    model: type = None
    permission = ""
    inspect_url_name = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(self.permission):
            return HttpResponseForbidden(_("Only operators may do this."))
        instance = get_object_or_404(self.model, pk=pk)
        self.act(request, instance)
        return redirect(reverse(self.inspect_url_name, args=[instance.pk]))


class ResendNotificationView(ActionView):
    model = Notification
    permission = "worker.change_notification"

    def act(self, request: HttpRequest, instance: Notification) -> None:
        if resend_failed_notification(instance):
            messages.success(request, _("The notification will be sent again."))
        else:
            messages.error(request, _("Only a failed notification can be sent again."))


class RetryFailedTaskView(ActionView):
    model = FailedTask
    permission = "worker.change_failedtask"

    def act(self, request: HttpRequest, instance: FailedTask) -> None:
        try:
            task_id = retry_failed_task(instance)
        except KeyError:
            messages.error(request, _("This task no longer exists."))
        except Exception as error:  # the broker refused: say so, nothing changed
            messages.error(request, _("The task could not be sent: %(error)s") % {"error": error})
        else:
            messages.success(request, _("The task was sent again (%(id)s).") % {"id": task_id})


class ActionInspectView(generic.InspectView):
    """The detail page, with the action button for those allowed to use it."""

    action_url_name = ""
    action_permission = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=reverse(self.action_url_name, args=[self.object.pk]),
            may_act=self.request.user.has_perm(self.action_permission),
            **kwargs,
        )


class NotificationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=Notification.Status.choices, label=gettext_lazy("Status"))
    channel = django_filters.ChoiceFilter(choices=Notification.Channel.choices, label=gettext_lazy("Channel"))

    class Meta:
        model = Notification
        fields = ["status", "channel"]


class NotificationInspectView(ActionInspectView):
    action_permission = "worker.change_notification"

    def get_context_data(self, **kwargs):
        return super().get_context_data(attempts=self.object.attempt_log.all(), **kwargs)


class NotificationViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """Every notification with its status, attempts and last error; failed ones can be sent again."""

    menu_name = "notifications"  # fixed: a name derived from the label would change with the language

    model = Notification
    name = "notifications"
    icon = "mail"
    menu_label = gettext_lazy("Notifications")
    inspect_view_enabled = True
    inspect_view_class = NotificationInspectView
    inspect_template_name = "worker/admin/notification_detail.html"
    filterset_class = NotificationFilterSet
    search_fields = ["key", "recipient", "template"]
    list_per_page = 50
    inspect_view_fields = [
        "channel",
        "template",
        "recipient",
        "audience_name",
        "language",
        "key",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "delivered_at",
        "shown_payload",
    ]
    list_display = [
        TitleColumn("template", label=gettext_lazy("Template"), url_name="notifications:inspect"),
        Column("channel", label=gettext_lazy("Channel"), accessor="get_channel_display"),
        Column("recipient", label=gettext_lazy("Recipient"), accessor=lambda n: n.recipient or n.audience_name),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display", sort_key="status"),
        Column("attempts", label=gettext_lazy("Attempts"), sort_key="attempts"),
        Column("last_error", label=gettext_lazy("Last error")),
        DateColumn("created_at", label=gettext_lazy("Created"), sort_key="created_at"),
    ]

    def get_queryset(self, request):
        return Notification.objects.all()

    def get_permissions_to_register(self):
        return _permissions(Notification, "view_notification", "change_notification")

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(action_url_name=self.get_url_name("resend"), **kwargs)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "resend/<int:pk>/",
                ResendNotificationView.as_view(inspect_url_name=self.get_url_name("inspect")),
                name="resend",
            ),
        ]


class FailedTaskViewSet(ReadOnlyViewSetMixin, ModelViewSet):
    """Tasks that exhausted their retries, with the error; operators send them again."""

    menu_name = "failed-tasks"  # fixed: a name derived from the label would change with the language

    model = FailedTask
    name = "failed_tasks"
    icon = "warning"
    menu_label = gettext_lazy("Failed tasks")
    inspect_view_enabled = True
    inspect_view_class = ActionInspectView
    inspect_template_name = "worker/admin/failedtask_detail.html"
    search_fields = ["task_name", "task_id", "exception"]
    list_per_page = 50
    inspect_view_fields = [
        "task_name",
        "task_id",
        "args",
        "kwargs",
        "exception",
        "retries",
        "failed_at",
        "retried_at",
        "retried_task_id",
        "traceback",
    ]
    list_display = [
        TitleColumn("task_name", label=gettext_lazy("Task"), url_name="failed_tasks:inspect"),
        Column("exception", label=gettext_lazy("Error")),
        DateColumn("failed_at", label=gettext_lazy("Failed"), sort_key="failed_at"),
        DateColumn("retried_at", label=gettext_lazy("Sent again"), sort_key="retried_at"),
    ]

    def get_permissions_to_register(self):
        return _permissions(FailedTask, "view_failedtask", "change_failedtask")

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            action_url_name=self.get_url_name("retry"), action_permission="worker.change_failedtask", **kwargs
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "retry/<int:pk>/",
                RetryFailedTaskView.as_view(inspect_url_name=self.get_url_name("inspect")),
                name="retry",
            ),
        ]


class WorkerViewSetGroup(ViewSetGroup):
    menu_label = gettext_lazy("Background work")
    menu_name = "background-work"
    menu_icon = "cogs"
    menu_order = 900
    items = (NotificationViewSet, FailedTaskViewSet)
