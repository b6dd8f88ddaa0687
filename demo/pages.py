"""Writes the demo's editorial content in Chinese and its English translations. Idempotent: a page is
created (and published) only when no page with its slug exists under its parent; snippets are looked
up by locale and sort order; pictures are reused by title.
"""

import datetime
import io
from collections import Counter
from collections.abc import Callable

from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.models import Locale, Page

from catalog.models import Location, Merchant, Product
from cms.models import (
    CampaignPage,
    ContactFormField,
    ContactPage,
    CounterIndexPage,
    Footer,
    HeadlineFigure,
    HomePage,
    ImpactPage,
    StandardPage,
    StoryIndexPage,
    StoryPage,
)
from demo import images
from demo import page_data as data

Picture = Callable[[str, str, Callable[[], bytes], Counter], Image]


def wide_picture(motif: str, seed: str) -> bytes:
    """A 1600x800 banner: two of the category's illustrations side by side."""
    banner = PILImage.new("RGB", (1600, 800))
    for index in range(2):
        tile = PILImage.open(io.BytesIO(images.product_picture(motif, f"{seed}/{index}")))
        banner.paste(tile, (index * 800, 0))
    buffer = io.BytesIO()
    banner.save(buffer, "JPEG", quality=86, optimize=True)
    return buffer.getvalue()


def _paragraphs(texts: tuple[data.Text, ...], language: str) -> list[dict]:
    return [{"type": "paragraph", "value": f"<p>{getattr(text, language)}</p>"} for text in texts]


def _facts(facts: tuple[tuple[str, data.Text], ...], language: str) -> list[dict]:
    if not facts:
        return []
    items = [{"figure": figure, "label": getattr(label, language)} for figure, label in facts]
    return [{"type": "facts", "value": {"facts": items}}]


def _story_body(spec: data.DemoStory, language: str, products: dict[str, Product], picture: Image) -> list[dict]:
    """Paragraphs, a picture, the quote and facts, then the first product as a card and the rest as a grid."""
    chosen = [products[slug].pk for slug in spec.products if slug in products]
    body = _paragraphs(spec.paragraphs[:1], language)
    body.append({"type": "image", "value": {"image": picture.pk, "alt": "", "caption": getattr(spec.title, language)}})
    body += _paragraphs(spec.paragraphs[1:], language)
    if spec.quote:
        text, speaker = spec.quote
        body.append({"type": "quote", "value": {"text": getattr(text, language), "speaker": speaker, "role": ""}})
    body += _facts(spec.facts, language)
    if chosen:
        body.append({"type": "product_card", "value": {"product": chosen[0], "note": ""}})
    if len(chosen) > 1:
        body.append({"type": "product_grid", "value": {"heading": "", "products": chosen[1:]}})
    if spec.merchant:
        merchant = Merchant.objects.filter(slug=spec.merchant).first()
        if merchant is not None:
            body.append({"type": "merchant_card", "value": {"merchant": merchant.pk}})
    return body


def _child(parent: Page, slug: str) -> Page | None:
    return parent.get_children().filter(slug=slug).first()


def _add(parent: Page, page: Page, created: Counter) -> Page:
    """Add ``page`` under ``parent`` and publish it."""
    parent.add_child(instance=page)
    page.save_revision().publish()
    created[type(page)._meta.label] += 1
    return page


def _translate(page: Page, locale: Locale, values: dict, created: Counter) -> Page:
    """The page's translation in ``locale``: copied with Wagtail's own action, given ``values``, published."""
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    translation = page.copy_for_translation(locale).specific
    for name, value in values.items():
        setattr(translation, name, value)
    translation.draft_title = translation.title
    translation.save_revision().publish()
    created[f"{type(page)._meta.label} ({locale.language_code})"] += 1
    return translation


def _simple_page(parent: Page, model: type[Page], spec: data.DemoPage, extra: dict, created: Counter) -> Page:
    page = _child(parent, spec.slug)
    if page is None:
        page = _add(
            parent,
            model(title=spec.title.zh, slug=spec.slug, intro=spec.intro.zh, show_in_menus=True, **extra),
            created,
        )
    return page.specific


def _load_stories(index: Page, products: dict[str, Product], picture: Picture, created: Counter) -> list[StoryPage]:
    today = timezone.localdate()
    stories = []
    for spec in data.STORIES:
        hero = picture(
            f"演示·故事·{spec.title.zh}",
            f"demo-story-{spec.slug}.jpg",
            lambda s=spec: wide_picture(s.motif, s.slug),
            created,
        )
        story = _child(index, spec.slug)
        if story is None:
            merchant = Merchant.objects.filter(slug=spec.merchant).first() if spec.merchant else None
            story = _add(
                index,
                StoryPage(
                    title=spec.title.zh,
                    slug=spec.slug,
                    merchant=merchant,
                    township=spec.township or (merchant.township if merchant else ""),
                    hero_image=hero,
                    date=today - datetime.timedelta(days=spec.days_ago),
                    intro=spec.intro.zh,
                    body=_story_body(spec, "zh", products, hero),
                    featured=spec.featured,
                ),
                created,
            )
        stories.append(story.specific)
    return stories


def _load_campaign(home: HomePage, products: dict[str, Product], picture: Picture, created: Counter) -> CampaignPage:
    spec = data.CAMPAIGN
    campaign = _child(home, spec.slug)
    hero = picture(
        f"演示·活动·{spec.title.zh}",
        f"demo-campaign-{spec.slug}.jpg",
        lambda: wide_picture(spec.motif, spec.slug),
        created,
    )
    if campaign is None:
        today = timezone.localdate()
        start, end = (today + datetime.timedelta(days=days) for days in data.CAMPAIGN_DAYS)
        campaign = _add(
            home,
            CampaignPage(
                title=spec.title.zh,
                slug=spec.slug,
                start_date=start,
                end_date=end,
                hero_image=hero,
                intro=spec.intro.zh,
                body=_campaign_body(spec, "zh", products),
                counters=list(Location.objects.filter(code__in=data.CAMPAIGN_COUNTERS)),
            ),
            created,
        )
    return campaign.specific


def _campaign_body(spec: data.DemoStory, language: str, products: dict[str, Product]) -> list[dict]:
    chosen = [products[slug].pk for slug in spec.products if slug in products]
    return [
        *_paragraphs(spec.paragraphs, language),
        {"type": "product_grid", "value": {"heading": "", "products": chosen}},
    ]


def _load_contact(home: HomePage, created: Counter) -> ContactPage:
    page = _child(home, data.CONTACT_PAGE.slug)
    if page is None:
        page = ContactPage(
            title=data.CONTACT_PAGE.title.zh,
            slug=data.CONTACT_PAGE.slug,
            intro=data.CONTACT_PAGE.intro.zh,
            thank_you_text=data.CONTACT_THANKS.zh,
            show_in_menus=True,
        )
        for index, (label, kind, required, choices) in enumerate(data.CONTACT_FIELDS):
            page.form_fields.add(
                ContactFormField(label=label.zh, field_type=kind, required=required, choices=choices, sort_order=index)
            )
        page = _add(home, page, created)
    return page.specific


def _load_snippets(locales: dict[str, Locale], created: Counter) -> None:
    """Headline figures and the footer in both languages, as translations of the Chinese ones."""
    zh, en = locales["zh"], locales["en"]
    for index, (figure, label) in enumerate(data.HEADLINE_FIGURES):
        original = HeadlineFigure.objects.filter(locale=zh, sort_order=index).first()
        if original is None:
            original = HeadlineFigure.objects.create(
                locale=zh,
                figure=figure,
                label=label.zh,
                source=data.HEADLINE_SOURCE.zh,
                source_year=data.HEADLINE_SOURCE_YEAR,
                sort_order=index,
            )
            created[HeadlineFigure._meta.label] += 1
        if original.get_translation_or_none(en) is None:
            copy = original.copy_for_translation(en)
            copy.label = label.en
            copy.source = data.HEADLINE_SOURCE.en
            copy.save()
            created[HeadlineFigure._meta.label] += 1
    for locale, language in ((zh, "zh"), (en, "en")):
        if Footer.objects.filter(locale=locale).exists():
            continue
        original = Footer.objects.filter(locale=zh).first()
        home = HomePage.objects.filter(locale=locale, depth=2).first()
        links = []
        for slug in data.FOOTER_LINKS:
            page = home.get_children().filter(slug=slug).first() if home else None
            if page is not None:
                links.append({"type": "link", "value": {"label": page.title, "page": page.pk, "url": ""}})
        values = {"text": getattr(data.FOOTER, language), "links": links}
        if original is not None and language == "en":
            footer = original.copy_for_translation(locale)
            for name, value in values.items():
                setattr(footer, name, value)
            footer.save()
        else:
            Footer.objects.create(locale=locale, **values)
        created[Footer._meta.label] += 1


def _english(
    home: HomePage,
    pages: dict[str, Page],
    stories: list[StoryPage],
    products: dict[str, Product],
    en: Locale,
    created: Counter,
) -> None:
    """English translations of the home page and every demo page."""
    hero_title, hero_text = data.HOME_HERO_EN
    _translate(home, en, {"title": data.HOME_EN.en, "hero_title": hero_title, "hero_text": hero_text}, created)
    index = pages["stories"]
    _translate(index, en, {"title": data.STORY_INDEX.title.en, "intro": data.STORY_INDEX.intro.en}, created)
    for spec, story in zip(data.STORIES, stories, strict=True):
        _translate(
            story,
            en,
            {
                "title": spec.title.en,
                "intro": spec.intro.en,
                "body": _story_body(spec, "en", products, story.hero_image),
            },
            created,
        )
    for key, spec in (("counters", data.COUNTERS_PAGE), ("about", data.ABOUT_PAGE), ("impact", data.IMPACT_PAGE)):
        values = {"title": spec.title.en, "intro": spec.intro.en}
        if key == "about":
            values["body"] = _paragraphs(spec.paragraphs, "en") + _facts(spec.facts, "en")
        _translate(pages[key], en, values, created)
    _translate(
        pages["campaign"],
        en,
        {
            "title": data.CAMPAIGN.title.en,
            "intro": data.CAMPAIGN.intro.en,
            "body": _campaign_body(data.CAMPAIGN, "en", products),
        },
        created,
    )
    contact = pages["contact"]
    if contact.get_translation_or_none(en) is None:
        translation = _translate(
            contact,
            en,
            {
                "title": data.CONTACT_PAGE.title.en,
                "intro": data.CONTACT_PAGE.intro.en,
                "thank_you_text": data.CONTACT_THANKS.en,
            },
            created,
        )
        for field, (label, _kind, _required, _choices) in zip(
            translation.form_fields.order_by("sort_order"), data.CONTACT_FIELDS, strict=True
        ):
            field.label = label.en
            field.save(update_fields=["label"])


def load_pages(products: dict[str, Product], picture: Picture, created: Counter) -> None:
    """The demo's pages and snippets under the Chinese home page, then their English translations."""
    home = HomePage.objects.filter(depth=2).order_by("pk").first()
    if home is None:
        return
    locales = {
        "zh": home.locale,
        "en": Locale.objects.get_or_create(language_code="en")[0],
    }
    index = _simple_page(home, StoryIndexPage, data.STORY_INDEX, {}, created)
    stories = _load_stories(index, products, picture, created)
    pages = {
        "stories": index,
        "campaign": _load_campaign(home, products, picture, created),
        "counters": _simple_page(home, CounterIndexPage, data.COUNTERS_PAGE, {}, created),
        "about": _simple_page(
            home,
            StandardPage,
            data.ABOUT_PAGE,
            {"body": _paragraphs(data.ABOUT_PAGE.paragraphs, "zh") + _facts(data.ABOUT_PAGE.facts, "zh")},
            created,
        ),
        "contact": _load_contact(home, created),
        "impact": _simple_page(home, ImpactPage, data.IMPACT_PAGE, {}, created),
    }
    _english(home, pages, stories, products, locales["en"], created)
    _load_snippets(locales, created)
