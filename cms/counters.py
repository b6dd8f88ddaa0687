"""The Dezhou counters as the editorial pages show them: grouped by division, with what each stocks."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, QuerySet

from catalog.models import Location, Stock, english_wanted
from catalog.regions import DezhouCounty


@dataclass
class CounterCard:
    counter: Location
    stocks: list[str] = field(default_factory=list)


@dataclass
class County:
    """A Dezhou county-level division (``DezhouCounty``) and its counters."""

    code: str
    label: str
    counters: list[CounterCard] = field(default_factory=list)


def _stocked_categories(counter_ids: Iterable[int]) -> dict[int, list[str]]:
    """Per counter, the categories of public products it holds free stock of (one query), named in the
    reader's language."""
    rows = (
        Stock.objects.filter(
            location_id__in=list(counter_ids),
            on_hand__gt=F("allocated"),
            variant__is_active=True,
            variant__product__is_published=True,
            variant__product__merchant__is_active=True,
        )
        .order_by("location_id", "variant__product__category__sort_order", "variant__product__category__name")
        .values_list("location_id", "variant__product__category__name", "variant__product__category__name_en")
        .distinct()
    )
    english = english_wanted()
    stocked: dict[int, list[str]] = {}
    for location_id, category, category_en in rows:
        stocked.setdefault(location_id, []).append((english and category_en) or category)
    return stocked


def counters_by_county(counters: QuerySet[Location] | None = None) -> list[County]:
    """Active counters grouped by Dezhou division (in the divisions' order), each with what it stocks."""
    if counters is None:
        counters = Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True)
    counters = list(counters.order_by("name"))
    stocked = _stocked_categories(c.pk for c in counters)
    order = {code: index for index, code in enumerate(DezhouCounty.values)}
    counties: dict[str, County] = {}
    for counter in sorted(counters, key=lambda c: (order.get(c.county, len(order)), c.name)):
        county = counties.setdefault(counter.county, County(counter.county, counter.get_county_display()))
        county.counters.append(CounterCard(counter, stocked.get(counter.pk, [])))
    return list(counties.values())
