"""Who exported the consumption-aid monitoring figures, when, and exactly what file they got.

One ``AidExport`` is written with every download of the monitoring export (``orders.aid.export``): the
period, the format, whether uncertified sales were included, the operator, the time, the file's SHA-256
and its row count. The time is kept here only: the file itself carries none, so a closed period's export
is the same file every time, and the digest shows it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AidExport(models.Model):
    """One download of the monitoring export."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    period_start = models.DateField(pgettext_lazy("aid export", "period from"))
    period_end = models.DateField(pgettext_lazy("aid export", "period to"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    include_uncertified = models.BooleanField(_("uncertified sales included"), default=False)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    exported_at = models.DateTimeField(_("exported"), default=timezone.now, db_index=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    row_count = models.PositiveIntegerField(_("rows"), help_text=_("Rows below the heading: lines and totals."))

    class Meta:
        verbose_name = _("aid monitoring export")
        verbose_name_plural = _("aid monitoring exports")
        ordering = ["-exported_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="aid_export_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end} {self.format} {self.sha256[:12]}"
