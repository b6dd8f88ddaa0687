"""Query shaping of the editorial models, as their managers' methods (``StoryPage.objects.featured(...)``).

Pages build their context from these and ``cms.selectors`` reads through them, so the page models
never import the selectors. Nothing here imports a cms model: a queryset reaches its own model as
``self.model``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Left, Length
from django.utils import timezone
from django.utils.translation import get_language
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, PageQuerySet, PageViewRestriction

from catalog.models import Location
from cms.renditions import story_images

if TYPE_CHECKING:
    from wagtail.models import Page

FEATURED_STORIES = 3
MORE_STORIES = 3


def active_language_code() -> str:
    """The content language of the active Django language (``zh-hans`` or ``en``)."""
    return get_supported_content_language_variant(get_language() or settings.LANGUAGE_CODE)


def public(pages: QuerySet) -> QuerySet:
    """Pages with no view restriction on them or an ancestor (Wagtail's ``public()`` in one query)."""
    restricted = PageViewRestriction.objects.filter(page__path=Left(OuterRef("path"), Length("page__path")))
    return pages.exclude(Exists(restricted))


def _locale_id(locale: Locale | int) -> int:
    return locale if isinstance(locale, int) else locale.pk


class StoryPageQuerySet(PageQuerySet):
    def published(self, locale: Locale | int | QuerySet | None = None) -> StoryPageQuerySet:
        """Published, public stories in ``locale`` (the active language's by default), newest first."""
        stories = public(self.live())
        if locale is None:
            stories = stories.filter(locale__language_code=active_language_code())
        else:
            stories = stories.filter(locale=locale)
        return stories.order_by("-date", "-pk")

    def readable(self) -> StoryPageQuerySet:
        """Published stories in the active language, and those in the default language not translated into it."""
        stories = self.published()
        code = active_language_code()
        if code != settings.LANGUAGE_CODE:
            translated = self.model.objects.filter(locale__language_code=code)
            default = Locale.objects.filter(language_code=settings.LANGUAGE_CODE).values("pk")[:1]
            untranslated = self.published(default).exclude(translation_key__in=translated.values("translation_key"))
            stories = stories | untranslated
        return stories

    def cards(self, renditions: bool = True) -> list[Page]:
        """The stories shaped for cards: merchant and hero image joined, and (unless ``renditions`` is false,
        for a caller that uses ``cms.renditions.attach_renditions``) the hero image's card renditions."""
        stories = self.select_related("merchant", "hero_image").defer("search_text")
        return list(stories.prefetch_related(story_images()) if renditions else stories)

    def featured(self, locale: Locale | int, limit: int = FEATURED_STORIES, renditions: bool = True) -> list[Page]:
        """Stories marked for the home page first, then the newest."""
        return self.published(locale).order_by("-featured", "-date", "-pk")[:limit].cards(renditions)

    def more_like(self, story: Page, limit: int = MORE_STORIES, renditions: bool = True) -> list[Page]:
        """Other stories than ``story``, those about the same merchant first, then the newest."""
        same = Case(When(merchant_id=story.merchant_id, then=1), default=0) if story.merchant_id else Value(0)
        others = self.published(story.locale_id).exclude(pk=story.pk).alias(same_merchant=same)
        return others.order_by("-same_merchant", "-date", "-pk")[:limit].cards(renditions)


class CampaignPageQuerySet(PageQuerySet):
    def current(self, locale: Locale | int) -> Page | None:
        """The running campaign that ends soonest, if any."""
        today = timezone.localdate()
        return (
            public(self.live())
            .filter(locale=locale, start_date__lte=today, end_date__gte=today)
            .select_related("hero_image")
            .order_by("end_date", "pk")
            .first()
        )


@dataclass(frozen=True)
class Figure:
    figure: str
    label: str


@dataclass(frozen=True)
class ProgrammeFigures:
    """Headline figures of the whole programme from one published source (not this shop's ledger): the
    only shape in which they reach a template, so none is shown without its source and year."""

    source: str
    year: int
    url: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class HomeFacts:
    figures: list[ProgrammeFigures]
    counters: CountersTeaser
    impact_url: str | None


@dataclass(frozen=True)
class CountersTeaser:
    count: int
    counties: int
    url: str | None


class CounterIndexPageQuerySet(PageQuerySet):
    def teaser(self, locale: Locale | int) -> CountersTeaser:
        """How many counters in how many divisions, and the address of the counters page."""
        counts = Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True).aggregate(
            count=Count("pk"), counties=Count("county", distinct=True)
        )
        page = self.live().filter(locale=locale).first() if counts["count"] else None
        return CountersTeaser(counts["count"], counts["counties"], page.get_url() if page else None)


class LocalizedQuerySet(QuerySet):
    """Translatable snippets (footers, headline figures) in a language."""

    def localized(self, locale: Locale | int) -> list:
        """Rows in ``locale``, else in the default language (one query)."""
        rows = list(
            self.filter(Q(locale=locale) | Q(locale__language_code=settings.LANGUAGE_CODE)).select_related("locale")
        )
        own = [row for row in rows if row.locale_id == _locale_id(locale)]
        return own or [row for row in rows if row.locale.language_code == settings.LANGUAGE_CODE]


class HeadlineFigureQuerySet(LocalizedQuerySet):
    def programme(self, locale: Locale | int) -> list[ProgrammeFigures]:
        """The headline figures in ``locale`` (else the default language's) in their order, grouped by
        source in the order each source first appears (one query)."""
        groups: dict[tuple[str, int, str], list[Figure]] = {}
        for row in self.order_by("sort_order", "pk").localized(locale):
            groups.setdefault((row.source, row.source_year, row.source_url), []).append(Figure(row.figure, row.label))
        return [ProgrammeFigures(source, year, url, tuple(rows)) for (source, year, url), rows in groups.items()]
