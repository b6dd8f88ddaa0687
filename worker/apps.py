from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkerConfig(AppConfig):
    name = "worker"
    verbose_name = _("Background work")

    def ready(self) -> None:
        """Keep tasks that fail for good (``worker.failures``), keep database connections between tasks
        (``worker.connections``); check the text-message provider's settings."""
        from django.core import checks

        from worker import connections, failures, sms

        connections.connect()
        failures.connect()
        checks.register(sms.check_backend, "sms")
        checks.register(sms.check_deploy, "sms", deploy=True)
