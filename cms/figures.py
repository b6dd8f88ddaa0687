"""The programme's headline figures ("1.6亿元 消费协作金额"): snippets editors keep, each with the source that
published it and the year. They describe the whole Dezhou-Xiushan cooperation, not this shop's sales, so
they are only ever shown grouped under their source (``ProgrammeFigures``, the template
``cms/includes/programme_figures.html``), apart from what the shop's own aid ledger records (``cms.impact``).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import Locale, TranslatableMixin

from cms.caching import cached
from cms.querysets import HeadlineFigureQuerySet, ProgrammeFigures


class HeadlineFigure(TranslatableMixin, models.Model):
    """One of the programme's headline figures, such as "1.6亿元 消费协作金额", and where it was published."""

    figure = models.CharField(_("figure"), max_length=32)
    label = models.CharField(_("label"), max_length=80)
    source = models.CharField(
        _("source"),
        max_length=200,
        help_text=_("Where the figure was published, e.g. the report's title. Always shown with the figure."),
    )
    source_year = models.PositiveSmallIntegerField(
        _("year"),
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text=_("The year of the source."),
    )
    source_url = models.URLField(_("source address"), blank=True, help_text=_("A link to the source, if online."))
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    objects = HeadlineFigureQuerySet.as_manager()

    panels = [
        FieldPanel("figure"),
        FieldPanel("label"),
        MultiFieldPanel(
            [FieldPanel("source"), FieldRowPanel([FieldPanel("source_year"), FieldPanel("source_url")])],
            heading=_("Source"),
        ),
        FieldPanel("sort_order"),
    ]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("headline figure")
        verbose_name_plural = _("headline figures")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return f"{self.figure} {self.label}"


def programme_figures(locale: Locale | int) -> list[ProgrammeFigures]:
    """The programme's figures in ``locale``, grouped by source; cached until a figure or page changes."""
    locale_id = locale if isinstance(locale, int) else locale.pk
    return cached(f"programme-figures:v1:{locale_id}", lambda: HeadlineFigure.objects.programme(locale_id))
