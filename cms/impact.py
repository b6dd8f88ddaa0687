"""The public impact page: what sales on this platform delivered, from the cached aid-ledger figures, and
apart from them, labelled with their source, the programme's own figures (``cms.figures``).

The ledger figures come from ``orders.aid.impact_figures``: a few aggregate queries over the ledger,
cached and dropped after every ledger write (or after a few minutes), never recomputed per request. They count
certified sales only (``orders.aid.selectors``); uncertified sales are one line apart, never in the aid total.
A breakdown with nothing in it is left out; an empty ledger shows one line instead of zeros.

The page itself is kept in the page cache like any other and dropped with the figures (``IMPACT_TAG``).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page

from cms.figures import programme_figures
from cms.page_forms import PinyinSlugPageMixin
from cms.restrictions import ViewRestrictionsInOneQueryMixin
from core.charts import Bar, bars
from orders.aid import IMPACT_TAG, impact_figures
from orders.aid.impact import Amount
from storefront.page_cache import depends_on

MONTHS_SHOWN = 12


@dataclass(frozen=True)
class Breakdown:
    """One breakdown of the ledger (by month, township, division or product): never empty."""

    key: str
    heading: str
    bars: list[Bar]


def _bars(rows: list[Amount]) -> list[Bar]:
    return bars([(row.label, row.amount) for row in rows])


class ImpactPage(PinyinSlugPageMixin, ViewRestrictionsInOneQueryMixin, Page):
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
        depends_on(request, [IMPACT_TAG])  # kept in the page cache until the ledger's next write
        figures = impact_figures()
        if len(figures.monthly) > MONTHS_SHOWN:
            months_heading = _("The last %(months)s months") % {"months": MONTHS_SHOWN}
        else:
            months_heading = _("Month by month")
        breakdowns = [
            Breakdown("months", months_heading, _bars(figures.monthly[-MONTHS_SHOWN:])),
            Breakdown("townships", _("By Xiushan township"), _bars(figures.by_township)),
            Breakdown("counties", _("By paired Dezhou division"), _bars(figures.by_county)),
            Breakdown("products", _("Top products"), _bars(figures.top_products)),
        ]
        context.update(
            impact=figures,
            breakdowns=[breakdown for breakdown in breakdowns if breakdown.bars],
            programme_figures=programme_figures(self.locale_id),
        )
        return context
