"""Background work in the back office: the notification outbox and failed tasks (operators)."""

from wagtail import hooks

from worker.backoffice import WorkerViewSetGroup


@hooks.register("register_admin_viewset")
def register_background_work() -> WorkerViewSetGroup:
    return WorkerViewSetGroup()
