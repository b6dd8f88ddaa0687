"""Reads for the editorial pages: stories, campaigns, counters, producers and the site search.

Everything a page lists is fetched in a fixed number of queries: the products embedded in a page's
blocks in one bulk query (``block_products``, see ``cms.blocks.products_prefetched``), counters and
what they stock in two.
"""

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Left, Length
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, PageViewRestriction

from catalog.models import Location, Merchant, Product, Stock
from catalog.regions import DezhouCounty
from catalog.search import search
from cms.caching import cached
from cms.models import CampaignPage, CounterIndexPage, Footer, HeadlineFigure, HomePage, StoryPage
from storefront import selectors as shop

# Renditions story cards are shown in (WebP, for ``srcset``).
CARD_IMAGE_FILTERS = ("fill-480x320|format-webp", "fill-960x640|format-webp")
FEATURED_STORIES = 3
MORE_STORIES = 3
SEARCH_LIMIT = 20


def block_products(pks: Sequence[int | None], renditions: bool = True) -> list[Product | None]:
    """Products for product blocks, in the order asked, shaped and prepared for display.

    Products the shop does not sell (``storefront.selectors.public_products``: unpublished, inactive
    producer...) come with ``is_public`` false so the editor still sees them chosen; deleted ones are
    ``None``. With ``renditions`` false the pictures' renditions are left for ``attach_renditions``.
    """
    wanted = [pk for pk in pks if pk]
    if not wanted:
        return [None for _pk in pks]
    public = Exists(shop.public_products().filter(pk=OuterRef("pk")))
    chosen = Product.objects.filter(pk__in=wanted).annotate(is_public=public)
    found = {product.pk: product for product in shop.prepare_for_display(shop.shape_products(chosen, renditions))}
    return [copy.copy(found[pk]) if pk in found else None for pk in pks]


def _story_images() -> Prefetch:
    renditions = get_image_model().get_rendition_model().objects.filter(filter_spec__in=CARD_IMAGE_FILTERS)
    return Prefetch("hero_image__renditions", queryset=renditions)


def attach_renditions(holders: Iterable[tuple[object | None, str]]) -> None:
    """Give the images that ``holders`` point at (an object and the name of its image foreign key) every
    rendition they have, read together with the images in one query, so that rendering them reads no
    rendition from the cache or the database. Images without any rendition yet are left as they are."""
    holders = [(obj, name) for obj, name in holders if obj is not None and getattr(obj, f"{name}_id")]
    wanted = {getattr(obj, f"{name}_id") for obj, name in holders}
    if not wanted:
        return
    images: dict[int, object] = {}
    rendition_model = get_image_model().get_rendition_model()
    for rendition in rendition_model.objects.filter(image_id__in=wanted).select_related("image"):
        image = images.setdefault(rendition.image_id, rendition.image)
        if image is rendition.image:
            image.prefetched_renditions = []
        rendition.image = image
        image.prefetched_renditions.append(rendition)
    for obj, name in holders:
        image = images.get(getattr(obj, f"{name}_id"))
        if image is None:
            continue
        if obj._meta.get_field(name).is_cached(obj):
            getattr(obj, name).prefetched_renditions = image.prefetched_renditions
        else:
            setattr(obj, name, image)


def product_pictures(products: Iterable[Product | None]) -> list[tuple[object, str]]:
    """``attach_renditions`` holders for the pictures of shaped products."""
    return [(picture, "image") for product in products if product is not None for picture in product.gallery]


def active_language_code() -> str:
    """The content language of the active Django language (``zh-hans`` or ``en``)."""
    return get_supported_content_language_variant(get_language() or settings.LANGUAGE_CODE)


def public(pages: QuerySet) -> QuerySet:
    """Pages with no view restriction on them or an ancestor (Wagtail's ``public()`` in one query)."""
    restricted = PageViewRestriction.objects.filter(page__path=Left(OuterRef("path"), Length("page__path")))
    return pages.exclude(Exists(restricted))


def live_stories(locale: Locale | int | None = None) -> QuerySet[StoryPage]:
    """Published stories in ``locale`` (the active language's by default), newest first."""
    stories = public(StoryPage.objects.live())
    if locale is None:
        stories = stories.filter(locale__language_code=active_language_code())
    else:
        stories = stories.filter(locale=locale)
    return stories.order_by("-date", "-pk")


def story_cards(stories: QuerySet[StoryPage], renditions: bool = True) -> list[StoryPage]:
    """Stories shaped for cards: producer and hero image joined, and (unless ``renditions`` is false, for
    a caller that uses ``attach_renditions``) the hero image's card renditions prefetched."""
    stories = stories.select_related("producer", "hero_image").defer("search_text")
    return list(stories.prefetch_related(_story_images()) if renditions else stories)


def featured_stories(locale: Locale | int, limit: int = FEATURED_STORIES, renditions: bool = True) -> list[StoryPage]:
    """Stories marked for the home page first, then the newest."""
    return story_cards(live_stories(locale).order_by("-featured", "-date", "-pk")[:limit], renditions)


def more_stories(story: StoryPage, limit: int = MORE_STORIES, renditions: bool = True) -> list[StoryPage]:
    """Other stories, those about the same producer first, then the newest."""
    same_producer = Case(When(producer_id=story.producer_id, then=1), default=0) if story.producer_id else Value(0)
    others = live_stories(story.locale_id).exclude(pk=story.pk).alias(same_producer=same_producer)
    return story_cards(others.order_by("-same_producer", "-date", "-pk")[:limit], renditions)


def readable_stories() -> QuerySet[StoryPage]:
    """Published stories in the active language, and those in the default language not translated into it."""
    stories = live_stories()
    code = active_language_code()
    if code != settings.LANGUAGE_CODE:
        translated = StoryPage.objects.filter(locale__language_code=code)
        untranslated = live_stories(Locale.objects.filter(language_code=settings.LANGUAGE_CODE).values("pk")[:1])
        stories = stories | untranslated.exclude(translation_key__in=translated.values("translation_key"))
    return stories


def stories_about(merchant: Merchant) -> list[StoryPage]:
    """Published stories about a producer that the reader can read (see ``readable_stories``)."""
    return story_cards(readable_stories().filter(producer=merchant))


def current_campaign(locale: Locale | int) -> CampaignPage | None:
    """The running campaign that ends soonest, if any."""
    today = timezone.localdate()
    return (
        public(CampaignPage.objects.live())
        .filter(locale=locale, start_date__lte=today, end_date__gte=today)
        .select_related("hero_image")
        .order_by("end_date", "pk")
        .first()
    )


@dataclass
class CounterCard:
    counter: Location
    stocks: list[str] = field(default_factory=list)


@dataclass
class District:
    code: str
    label: str
    counters: list[CounterCard] = field(default_factory=list)


def _stocked_categories(counter_ids: Iterable[int]) -> dict[int, list[str]]:
    """Per counter, the categories of public products it holds free stock of (one query)."""
    rows = (
        Stock.objects.filter(
            location_id__in=list(counter_ids),
            on_hand__gt=F("allocated"),
            variant__is_active=True,
            variant__product__is_published=True,
            variant__product__merchant__is_active=True,
        )
        .order_by("location_id", "variant__product__category__sort_order", "variant__product__category__name")
        .values_list("location_id", "variant__product__category__name")
        .distinct()
    )
    stocked: dict[int, list[str]] = {}
    for location_id, category in rows:
        stocked.setdefault(location_id, []).append(category)
    return stocked


def counters_by_district(counters: QuerySet[Location] | None = None) -> list[District]:
    """Active counters grouped by Dezhou division (in the divisions' order), each with what it stocks."""
    if counters is None:
        counters = Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True)
    counters = list(counters.order_by("name"))
    stocked = _stocked_categories(c.pk for c in counters)
    order = {code: index for index, code in enumerate(DezhouCounty.values)}
    districts: dict[str, District] = {}
    for counter in sorted(counters, key=lambda c: (order.get(c.district, len(order)), c.name)):
        district = districts.setdefault(counter.district, District(counter.district, counter.get_district_display()))
        district.counters.append(CounterCard(counter, stocked.get(counter.pk, [])))
    return list(districts.values())


def campaign_counters(campaign: CampaignPage) -> list[District]:
    """The campaign's participating counters that are still active, grouped by district."""
    return counters_by_district(campaign.counters.filter(kind=Location.Kind.COUNTER, is_active=True))


@dataclass(frozen=True)
class CountersTeaser:
    count: int
    districts: int
    url: str | None


@dataclass(frozen=True)
class Figure:
    figure: str
    label: str


@dataclass(frozen=True)
class HomeFacts:
    figures: list[Figure]
    counters: CountersTeaser


def counters_teaser(locale: Locale | int) -> CountersTeaser:
    """How many counters in how many districts, and the address of the counters page."""
    counts = Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True).aggregate(
        count=Count("pk"), districts=Count("district", distinct=True)
    )
    page = CounterIndexPage.objects.live().filter(locale=locale).first() if counts["count"] else None
    return CountersTeaser(counts["count"], counts["districts"], page.get_url() if page else None)


def home_facts(locale: Locale | int) -> HomeFacts:
    """Headline figures and the counters teaser for the home page, cached until they change
    (``cms.signals`` clears the cache when figures, counters or pages do)."""
    locale_id = locale if isinstance(locale, int) else locale.pk

    def build() -> HomeFacts:
        figures = [Figure(row.figure, row.label) for row in headline_figures(locale_id)]
        return HomeFacts(figures, counters_teaser(locale_id))

    return cached(f"home-facts:{locale_id}", build)


def _localized(queryset: QuerySet, locale: Locale | int) -> list:
    """Rows in ``locale``, else in the default language (one query)."""
    rows = list(
        queryset.filter(Q(locale=locale) | Q(locale__language_code=settings.LANGUAGE_CODE)).select_related("locale")
    )
    wanted = locale if isinstance(locale, int) else locale.pk
    own = [row for row in rows if row.locale_id == wanted]
    return own or [row for row in rows if row.locale.language_code == settings.LANGUAGE_CODE]


def headline_figures(locale: Locale | int) -> list[HeadlineFigure]:
    """The programme's headline figures for the home page, in the page's language."""
    return _localized(HeadlineFigure.objects.order_by("sort_order", "pk"), locale)


def footer(locale: Locale | int) -> Footer | None:
    rows = _localized(Footer.objects.order_by("pk"), locale)
    return rows[0] if rows else None


def menu_pages(locale: Locale) -> list[Page]:
    """The live pages under the locale's home page marked "show in menus"."""
    home = HomePage.objects.filter(locale=locale, depth=2).first() or HomePage.objects.filter(depth=2).first()
    if home is None:
        return []
    return list(public(home.get_children().live().in_menu()))


def producer(slug: str) -> Merchant:
    """An active producer with at least one public product, or 404."""
    has_products = Exists(shop.public_products().filter(merchant=OuterRef("pk")))
    return get_object_or_404(Merchant.objects.filter(is_active=True).filter(has_products), slug=slug)


def producer_products(merchant: Merchant) -> list[Product]:
    return shop.prepare_for_display(
        shop.shape_products(shop.public_products().filter(merchant=merchant)).order_by("-created_at", "-pk")
    )


def public_producers() -> QuerySet[Merchant]:
    """Active producers with public products (the ones that get a page)."""
    return Merchant.objects.filter(is_active=True).filter(
        Exists(shop.public_products().filter(merchant=OuterRef("pk")))
    )


def search_stories(query: str, limit: int = SEARCH_LIMIT) -> list[StoryPage]:
    """Published stories whose segmented text matches every word of ``query``, best first.

    Stories in the active language, and those of the default language not translated into it.
    """
    found = search(readable_stories(), query)
    if "search_rank" in found.query.annotations:
        found = found.order_by("-search_rank", "-date", "-pk")
    return story_cards(found[:limit])


def search_products(query: str, limit: int = SEARCH_LIMIT) -> list[Product]:
    return shop.prepare_for_display(shop.product_list({"q": query})[:limit])
