"""Wagtail pages: home, merchant stories, campaigns, counters, standard pages and the inquiry form;
the snippets and settings behind the navigation, footer and headline figures."""

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.models import AbstractForm, AbstractFormField
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, PageManager, TranslatableMixin
from wagtail.search import index

from catalog.models import Location
from catalog.regions import XiushanTownship
from cms import bodies
from cms.autosave import AutosavedDraft  # noqa: F401 (pages only autosave has saved: they give up their slug)
from cms.blocks import BodyBlock, prefetched_products, product_ids, products_prefetched
from cms.caching import cached
from cms.counters import counters_by_county
from cms.figures import HeadlineFigure  # the programme's headline figures, each with its source
from cms.impact import ImpactPage  # the public impact page, built on the aid ledger
from cms.page_forms import FormPageForm, PinyinSlugPageMixin
from cms.querysets import (
    CampaignPageQuerySet,
    CounterIndexPageQuerySet,
    HomeFacts,
    LocalizedQuerySet,
    StoryPageQuerySet,
    public,
)
from cms.renditions import attach_renditions, product_pictures
from cms.restrictions import ViewRestrictionsInOneQueryMixin
from cms.services import record_form_submission
from core.cache import fragment
from core.form_submissions import SafeSubmissionsListView
from storefront import ratelimit
from storefront.cards import render_cards
from storefront.page_cache import CATALOGUE, SITE, depends_on, product_tags
from storefront.selectors import featured_refs

SECTIONS_SECONDS = 3600  # sections of story cards (the home page's, a story's more stories) kept at most this long


def route_in_default_language(page: Page, request, path_components: list[str]):
    """Route through the default-language original of ``page``: an untranslated page is served in
    Chinese at its English address rather than answering 404 (its canonical URL stays the Chinese one)."""
    if page.locale.language_code == settings.LANGUAGE_CODE:
        raise Http404
    original = page.get_translations().filter(locale__language_code=settings.LANGUAGE_CODE).first()
    if original is None:
        raise Http404
    return original.specific.route(request, path_components)


class HomePage(ViewRestrictionsInOneQueryMixin, Page):
    """The home page, one per language: hero, featured products and stories, the running campaign,
    the counters teaser and the programme's headline figures."""

    hero_title = models.CharField(_("hero title"), max_length=120, blank=True)
    hero_text = models.CharField(_("hero text"), max_length=300, blank=True)
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("hero_title"),
        FieldPanel("hero_text"),
        FieldPanel("hero_image"),
        FieldPanel("intro"),
        InlinePanel("featured_products", label=_("Featured products")),
    ]

    max_count_per_parent = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        try:
            return super().route(request, path_components)
        except Http404:
            if not path_components:
                raise
            return route_in_default_language(self, request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Without chosen products the home page shows the featured or newest: the catalogue decides.
        depends_on(request, [CATALOGUE])
        chosen = [item.product_id for item in self.featured_products.all()]
        context["featured_cards"] = render_cards(request, featured_refs(chosen))
        context["campaign_section"], context["stories_section"] = self.sections(request)
        attach_renditions([(self, "hero_image")])
        facts = self.facts()
        context["counters_teaser"] = facts.counters
        context["programme_figures"] = facts.figures
        context["impact_url"] = facts.impact_url
        return context

    def sections(self, request) -> tuple[SafeString, SafeString]:
        """The running campaign's teaser and the featured stories, rendered; kept until a page is published,
        moved or restricted (the site's mark) or a merchant changes (the catalogue's), and for the day at most
        (a campaign runs by dates)."""
        locale_id = self.locale_id

        def build() -> tuple[str, str]:
            stories = StoryPage.objects.featured(locale_id, renditions=False)
            campaign = CampaignPage.objects.current(locale_id)
            attach_renditions([(campaign, "hero_image"), *((story, "hero_image") for story in stories)])
            return (
                render_to_string("cms/includes/home_campaign.html", {"current_campaign": campaign}, request),
                render_to_string(
                    "cms/includes/story_grid.html",
                    {"stories": stories, "name": "featured-stories", "heading": _("Merchant stories")},
                    request,
                ),
            )

        key = f"home-sections:{get_language()}:{locale_id}:{timezone.localdate().isoformat()}"
        campaign, stories = fragment(key, [SITE, CATALOGUE], build, SECTIONS_SECONDS)
        return mark_safe(campaign), mark_safe(stories)  # noqa: S308 (rendered by the template engine)

    def facts(self) -> "HomeFacts":
        """The programme's figures (with their sources), the counters teaser and the impact page's address
        in the page's language, cached until they change (``cms.signals`` clears the cache when figures,
        counters or pages do)."""
        locale_id = self.locale_id

        def build() -> HomeFacts:
            impact = public(ImpactPage.objects.live().filter(locale_id=locale_id)).first()
            return HomeFacts(
                HeadlineFigure.objects.programme(locale_id),
                CounterIndexPage.objects.teaser(locale_id),
                impact.get_url() if impact else None,
            )

        # A new version in the name whenever ``HomeFacts`` changes shape (v3: figures grouped by source).
        return cached(f"home-facts:v3:{locale_id}", build)


class HomePageFeaturedProduct(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="featured_products")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [FieldPanel("product")]

    class Meta(Orderable.Meta):
        verbose_name = _("featured product")
        verbose_name_plural = _("featured products")


class ProductBlocksMixin:
    """Serves (and previews) the page with every product of its body fetched in one bulk query.

    A page whose ``get_context`` reads the pictures' renditions itself (``cms.renditions.attach_renditions``,
    with the other images it shows) sets ``product_renditions`` false."""

    product_renditions = True

    def serve(self, request, *args, **kwargs):
        # Products chosen but not on sale show no card; the page still changes when they come on sale.
        chosen = product_ids(self.body.raw_data)
        depends_on(request, [tag for pk in chosen for tag in product_tags(pk)])
        if bodies.stored(request, self, chosen):
            return _rendered(super().serve(request, *args, **kwargs))
        with products_prefetched(self.body, renditions=self.product_renditions, known=self._known_objects()):
            return _rendered(super().serve(request, *args, **kwargs))

    def serve_preview(self, request, mode_name):
        with products_prefetched(self.body, renditions=self.product_renditions, known=self._known_objects()):
            return _rendered(super().serve_preview(request, mode_name))

    def _known_objects(self) -> tuple:
        """The page's hero image and merchant when already loaded, for its image and merchant blocks."""
        names = [name for name in ("hero_image", "merchant") if hasattr(self, f"{name}_id")]
        return tuple(getattr(self, name) for name in names if self._meta.get_field(name).is_cached(self))


def _rendered(response):
    """Render a template response now (while the prefetched products are in reach)."""
    if hasattr(response, "render"):
        response.render()
    return response


class SeoMixin:
    """The page's description for ``<meta name="description">`` and OpenGraph."""

    def seo_description(self) -> str:
        return self.search_description or getattr(self, "intro_text", "") or ""


class StoryIndexPage(PinyinSlugPageMixin, ViewRestrictionsInOneQueryMixin, SeoMixin, Page):
    intro = models.CharField(_("introduction"), max_length=300, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.StoryPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("story index")

    @property
    def intro_text(self) -> str:
        return self.intro

    def route(self, request, path_components):
        """Find a story by its slug with one query (every child is a story)."""
        if path_components:
            stories = StoryPage.objects.child_of(self).select_related("merchant", "hero_image")
            story = stories.filter(slug=path_components[0]).first()
            if story is None:
                return route_in_default_language(self, request, path_components)
            story._cached_parent_obj = self
            return story.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["stories"] = StoryPage.objects.published(self.locale_id).child_of(self).cards()
        return context


class StoryPage(PinyinSlugPageMixin, ViewRestrictionsInOneQueryMixin, ProductBlocksMixin, SeoMixin, Page):
    """A merchant's story: who they are, where, and what they make, with their products inside."""

    objects = PageManager.from_queryset(StoryPageQuerySet)()
    route_related = ("merchant", "hero_image")  # read by its template (cms.routes)

    merchant = models.ForeignKey(
        "catalog.Merchant",
        verbose_name=_("merchant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
    )
    township = models.CharField(_("township"), max_length=32, choices=XiushanTownship.choices, blank=True)
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    date = models.DateField(_("publication date"), default=datetime.date.today)
    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    featured = models.BooleanField(_("show on the home page"), default=False)
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("merchant"), FieldRowPanel([FieldPanel("township"), FieldPanel("date")])],
            heading=_("About"),
        ),
        FieldPanel("hero_image"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("featured"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.StoryIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("story")
        verbose_name_plural = _("stories")

    product_renditions = False

    @property
    def intro_text(self) -> str:
        return self.intro

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["index_url"] = self.index_url(request)
        context["more_section"] = self.more_section(request)
        attach_renditions([(self, "hero_image"), *product_pictures(prefetched_products())])
        return context

    def index_url(self, request) -> str:
        """The address of the page the story sits under (its index), without reading it: a page's path is its
        parent's and its own slug, so its parent's address is its own less the last part."""
        url = self.get_url(request) or ""  # none for a page outside every site
        return url[: url.rstrip("/").rfind("/") + 1]

    def more_section(self, request) -> SafeString:
        """Other stories (about the same merchant first), rendered; kept until a page is published, moved or
        restricted (the site's mark) or a merchant changes (the catalogue's)."""

        def build() -> str:
            stories = StoryPage.objects.more_like(self, renditions=False)
            attach_renditions([(story, "hero_image") for story in stories])
            context = {"stories": stories, "name": "more-stories", "heading": _("More stories")}
            return render_to_string("cms/includes/story_grid.html", context, request)

        key = f"more-stories:{get_language()}:{self.pk}"
        return mark_safe(fragment(key, [SITE, CATALOGUE], build, SECTIONS_SECONDS))  # noqa: S308


class CampaignPage(PinyinSlugPageMixin, ViewRestrictionsInOneQueryMixin, ProductBlocksMixin, SeoMixin, Page):
    """A sales campaign (a fair zone, a harvest pre-sale): its dates, products and counters."""

    objects = PageManager.from_queryset(CampaignPageQuerySet)()

    start_date = models.DateField(_("starts"))
    end_date = models.DateField(_("ends"))
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    counters = ParentalManyToManyField(
        "catalog.Location",
        verbose_name=_("participating counters"),
        blank=True,
        limit_choices_to={"kind": "counter", "is_active": True},
        related_name="+",
    )

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
        FieldPanel("hero_image"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("counters", widget=forms.CheckboxSelectMultiple),
    ]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("campaign")

    @property
    def intro_text(self) -> str:
        return self.intro

    def status(self, today: datetime.date | None = None) -> str:
        """``upcoming``, ``running`` or ``past`` on ``today`` (local date by default)."""
        today = today or timezone.localdate()
        if today < self.start_date:
            return "upcoming"
        return "running" if today <= self.end_date else "past"

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The campaign cannot end before it starts.")})

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["campaign_counters"] = counters_by_county(
            self.counters.filter(kind=Location.Kind.COUNTER, is_active=True)
        )
        return context


class CounterIndexPage(PinyinSlugPageMixin, ViewRestrictionsInOneQueryMixin, SeoMixin, Page):
    """Every active Dezhou counter, grouped by Dezhou division, with what it stocks."""

    objects = PageManager.from_queryset(CounterIndexPageQuerySet)()

    intro = models.CharField(_("introduction"), max_length=300, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("counters page")

    @property
    def intro_text(self) -> str:
        return self.intro

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["counties"] = counters_by_county()
        return context


class StandardPage(PinyinSlugPageMixin, ViewRestrictionsInOneQueryMixin, ProductBlocksMixin, SeoMixin, Page):
    """A plain page, such as the one about the programme."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    class Meta:
        verbose_name = _("standard page")

    @property
    def intro_text(self) -> str:
        return self.intro


class ContactFormField(AbstractFormField):
    page = ParentalKey("ContactPage", on_delete=models.CASCADE, related_name="form_fields")


class ContactPage(PinyinSlugPageMixin, ViewRestrictionsInOneQueryMixin, SeoMixin, AbstractForm):
    """The contact and wholesale-inquiry form; submissions are kept in the admin and e-mailed to operators."""

    base_form_class = FormPageForm

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    thank_you_text = models.CharField(_("thank-you text"), max_length=300, blank=True)

    content_panels = [
        *Page.content_panels,
        FormSubmissionsPanel(),
        FieldPanel("intro"),
        InlinePanel("form_fields", label=_("Form fields")),
        FieldPanel("thank_you_text"),
    ]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("contact form page")

    @property
    def intro_text(self) -> str:
        return self.intro

    def serve(self, request, *args, **kwargs):
        """Inquiries beyond ``CONTACT_RATE_LIMIT`` per client are answered 429: nothing stored or e-mailed.
        Fails open when the cache is down."""
        if request.method == "POST":
            refused = ratelimit.refusal(request, "contact", "CONTACT_RATE_LIMIT")
            if refused is not None:
                return refused
        return super().serve(request, *args, **kwargs)

    def process_form_submission(self, form):
        return record_form_submission(self, form)

    def get_submissions_list_view_class(self) -> type:
        """The submissions listing whose CSV/XLSX export neutralises formulas (``core.spreadsheets``)."""
        return SafeSubmissionsListView


class FooterLinkBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("label"), max_length=60)
    page = blocks.PageChooserBlock(label=_("page"), required=False)
    url = blocks.URLBlock(label=_("or address"), required=False)

    class Meta:
        icon = "link"


class Footer(TranslatableMixin, models.Model):
    """The site footer in one language: a short text and links."""

    text = models.TextField(_("text"), blank=True)
    links = StreamField([("link", FooterLinkBlock())], verbose_name=_("links"), blank=True)

    objects = LocalizedQuerySet.as_manager()

    panels = [FieldPanel("text"), FieldPanel("links")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("footer")
        verbose_name_plural = _("footers")

    def __str__(self) -> str:
        return str(_("Footer (%(language)s)") % {"language": self.locale.get_display_name()})


@register_setting(icon="cog", name="site-settings")
class SiteSettings(BaseGenericSetting):
    """Contact details and the default sharing picture."""

    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    share_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("default sharing picture"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        FieldPanel("contact_phone"),
        FieldPanel("contact_email"),
        FieldPanel("address"),
        FieldPanel("share_image"),
    ]

    class Meta:
        verbose_name = _("site settings")
