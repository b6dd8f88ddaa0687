"""The public impact page: what the programme's sales delivered, from the cached aid-ledger figures.

The figures come from ``orders.aid.impact_figures``: a few aggregate queries over the ledger,
cached and dropped after every ledger write (or after a few minutes), never recomputed per request.
"""

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from cms.restrictions import ViewRestrictionsInOneQueryMixin
from core.charts import bar_chart, column_chart
from orders.aid import impact_figures


class ImpactPage(ViewRestrictionsInOneQueryMixin, Page):
    intro = models.CharField(gettext_lazy("introduction"), max_length=300, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    template = "cms/impact_page.html"

    class Meta:
        verbose_name = gettext_lazy("impact page")

    def get_context(self, request, *args, **kwargs) -> dict:
        context = super().get_context(request, *args, **kwargs)
        figures = impact_figures()
        context.update(
            impact=figures,
            township_chart=bar_chart(
                [(row.label, row.amount) for row in figures.by_township], title=_("Consumption aid by township")
            ),
            county_chart=bar_chart(
                [(row.label, row.amount) for row in figures.by_county],
                title=_("Consumption aid by paired Dezhou division"),
            ),
            trend_chart=column_chart(
                [(row.label, row.amount) for row in figures.monthly], title=_("Consumption aid by month")
            ),
        )
        return context
