"""The public impact figures: a handful of aggregate queries over the whole ledger, cached.

Every aid figure counts certified entries only (``orders.aid.selectors.CERTIFIED``: the line's product was
certified when it was sold); the net of uncertified sales is kept apart (``uncertified``), never added in.

The result is cached (``IMPACT_CACHE_KEY``) so a page view never aggregates the whole ledger itself. Every ledger
write stamps ``IMPACT_TAG`` once it commits (``core.cache`` tags): figures computed before that moment are stale
from then on, even those stored after it by a reader that was still computing, and so are pages kept in the page
cache that show them (the impact page).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from core.cache import fragment, stamp
from orders.aid.reports import CHOICE_LABELS, period_label
from orders.aid.selectors import CERTIFIED, UNCERTIFIED, certified_entries
from orders.models import AidLedgerEntry

IMPACT_CACHE_KEY = "aid:impact:v4"  # a new version whenever what is stored changes shape (v4: with its clock)
IMPACT_CACHE_SECONDS = 300
IMPACT_TAG = "aid-impact"  # what a cached page showing the figures depends on (``core.cache`` tags)
TOP_PRODUCTS = 5


@dataclass(frozen=True)
class Amount:
    """An amount for a township, county, month or product; choice labels are looked up when shown."""

    key: str
    amount: int
    name: str = ""
    kind: str = ""

    @property
    def label(self) -> str:
        if self.kind in CHOICE_LABELS:
            return str(CHOICE_LABELS[self.kind].get(self.key, self.key))
        return self.name


@dataclass(frozen=True)
class ImpactFigures:
    """What the public impact page shows; plain values, so it can be cached. ``total`` and everything but the
    two ``uncertified`` fields count certified sales only."""

    total: int
    orders: int
    counter_sales: int
    merchants: int
    households: int
    by_township: list[Amount]
    by_county: list[Amount]
    monthly: list[Amount]
    top_products: list[Amount]
    uncertified: int = 0  # net of the sales of uncertified products (fen): not aid, shown apart
    uncertified_sales: int = 0  # how many lines were sold uncertified (credits)

    @property
    def empty(self) -> bool:
        """Nothing credited yet: no paid order and no counter sale has reached the ledger, certified or not."""
        return not (self.orders or self.counter_sales or self.uncertified_sales)


def _grouped(amounts: dict[str, int], kind: str) -> list[Amount]:
    rows = [Amount(key, amount, kind=kind) for key, amount in amounts.items() if amount]
    return sorted(rows, key=lambda row: (-row.amount, row.key))


def compute_impact_figures() -> ImpactFigures:
    """The impact figures from the whole ledger in two queries (called on a cache miss only).

    One query sums the certified entries by merchant, place, month and product (a few hundred rows at most,
    whatever the number of entries); the totals, places, trend and top products are added up from it.
    The other counts the distinct orders and counter sales credited certified, and sums the uncertified ones.
    """
    entries = AidLedgerEntry.objects.order_by()
    grouped = (
        certified_entries(entries)
        .annotate(month=TruncMonth("created_at"))
        .values(
            "merchant_id",
            "merchant__households_benefited",
            "township",
            "paired_county",
            "month",
            "product_id",
            "product__name",
        )
        .annotate(net=Sum("amount"))
    )
    townships: dict[str, int] = {}
    counties: dict[str, int] = {}
    merchants: dict[int, int] = {}
    households: dict[int, int] = {}
    months: dict[datetime, int] = {}
    products: dict[int, int] = {}
    names: dict[int, str] = {}
    for row in grouped:
        net = row["net"]
        townships[row["township"]] = townships.get(row["township"], 0) + net
        counties[row["paired_county"]] = counties.get(row["paired_county"], 0) + net
        merchants[row["merchant_id"]] = merchants.get(row["merchant_id"], 0) + net
        households[row["merchant_id"]] = row["merchant__households_benefited"]
        months[row["month"]] = months.get(row["month"], 0) + net
        products[row["product_id"]] = products.get(row["product_id"], 0) + net
        names[row["product_id"]] = row["product__name"]
    reached = [pk for pk, net in merchants.items() if net > 0]
    credit = Q(amount__gt=0)
    counts = entries.aggregate(
        orders=Count("order_id", distinct=True, filter=CERTIFIED & credit),
        counter_sales=Count("counter_sale_id", distinct=True, filter=CERTIFIED & credit),
        uncertified=Coalesce(Sum("amount", filter=UNCERTIFIED), 0),
        uncertified_sales=Count("pk", filter=UNCERTIFIED & credit),
    )
    top = sorted(((net, pk) for pk, net in products.items() if net > 0), key=lambda item: (-item[0], item[1]))
    return ImpactFigures(
        total=sum(merchants.values()),
        orders=counts["orders"],
        counter_sales=counts["counter_sales"],
        merchants=len(reached),
        households=sum(households[pk] for pk in reached),
        by_township=_grouped(townships, "township"),
        by_county=_grouped(counties, "paired_county"),
        monthly=[
            Amount(period_label("month", month), net, name=period_label("month", month))
            for month, net in sorted(months.items())
        ],
        top_products=[Amount(str(pk), net, name=names[pk]) for net, pk in top[:TOP_PRODUCTS]],
        uncertified=counts["uncertified"],
        uncertified_sales=counts["uncertified_sales"],
    )


def impact_figures() -> ImpactFigures:
    """The cached impact figures: recomputed at most every ``IMPACT_CACHE_SECONDS``, and once the ledger changed
    (``IMPACT_TAG`` stamped after they were computed)."""
    return fragment(IMPACT_CACHE_KEY, [IMPACT_TAG], compute_impact_figures, IMPACT_CACHE_SECONDS)


def mark_impact_stale() -> None:
    """The figures and every cached page showing them are stale from now on (after a ledger write commits)."""
    stamp([IMPACT_TAG])
