"""Background work in the back office: the notification outbox and failed tasks (operators)."""

from wagtail import hooks

from core.dashboard import add_panels
from worker.backoffice import WorkerViewSetGroup
from worker.dashboard.panels import FailedNotificationsPanel


@hooks.register("register_admin_viewset")
def register_background_work() -> WorkerViewSetGroup:
    return WorkerViewSetGroup()


@hooks.register("construct_homepage_panels")
def add_outbox_dashboard_panel(request, panels) -> None:
    add_panels(request, panels, [FailedNotificationsPanel])
