from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkerConfig(AppConfig):
    name = "worker"
    verbose_name = _("Background work")

    def ready(self) -> None:
        """Keep tasks that fail for good (``worker.failures``)."""
        from worker import failures

        failures.connect()
