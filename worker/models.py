"""The notification outbox and the record of background tasks that gave up."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message the business depends on, written in the transaction that causes it and delivered once."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Counter webhook")
        COUNTER = "counter", _("Counter queue")
        SMS = "sms", _("Text message (SMS)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=500, blank=True)
    template = models.CharField(_("template"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    # Who inside the business the message is for, as ``kind:id`` (e.g. ``location:12`` for a counter's
    # queue and webhook): the outbox knows no domain model; the app that enqueues names the audience
    # and registers how to sign its webhooks (``worker.channels.register_webhook_audience``).
    audience = models.CharField(_("audience"), max_length=64, blank=True, db_index=True)
    audience_name = models.CharField(_("addressed to"), max_length=200, blank=True)
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.template} → {self.recipient or self.audience_name}"

    def shown_payload(self) -> dict:
        """The payload as staff may see it: a text message's secret parameters (a sign-in code) hidden."""
        from worker.sms import shown_payload  # worker.sms builds on this module

        return shown_payload(self.template, self.payload) if self.channel == self.Channel.SMS else self.payload

    shown_payload.short_description = _("payload")


class NotificationAttempt(models.Model):
    """One try at delivering a notification, kept for operators."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        RETRY = "retry", _("Will retry")
        FAILED = "failed", _("Failed permanently")

    notification = models.ForeignKey(
        Notification, verbose_name=_("notification"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField(_("attempt"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["notification", "number"]
        constraints = [models.UniqueConstraint(fields=["notification", "number"], name="notification_attempt_unique")]

    def __str__(self) -> str:
        return f"{self.notification_id} #{self.number} {self.outcome}"


class FailedTask(models.Model):
    """A Celery task that failed for good (retries exhausted); operators can send it again."""

    task_id = models.CharField(_("task id"), max_length=255, unique=True)
    task_name = models.CharField(_("task"), max_length=255, db_index=True)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    exception = models.TextField(_("error"))
    traceback = models.TextField(_("traceback"), blank=True)
    retries = models.PositiveIntegerField(_("retries"), default=0)
    failed_at = models.DateTimeField(_("failed"), default=timezone.now, db_index=True)
    retried_at = models.DateTimeField(_("sent again"), null=True, blank=True)
    retried_task_id = models.CharField(_("new task id"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        ordering = ["-failed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.task_id})"
