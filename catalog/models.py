"""The catalogue: merchants, what they sell, where it is kept, and every stock change."""

import datetime
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.fields import RichTextField
from wagtail.models import Orderable

from catalog.regions import DezhouCounty, XiushanTownship
from catalog.search import SimpleTsVector

ENGLISH_HELP = _("Shown on the English site; leave blank to show the Chinese there.")


def english_wanted() -> bool:
    """Whether the active language is English (the ``/en/`` site): names are then shown in English where
    a translation is given."""
    return (get_language() or "").split("-")[0] == "en"


def shown_name(chinese: str, english: str) -> str:
    """A name as ``EnglishNames.display_name`` shows it, from its two columns (rows read without their model)."""
    return (english if english_wanted() else "") or chinese


class EnglishNames:
    """The name, and the summary where the model has one, in the language of the page being shown.

    ``display_name`` / ``display_summary``: the English (``name_en``, ``summary_en``) when the active language
    is English and it is given, else the Chinese. ``name_untranslated`` / ``summary_untranslated``: an English
    page shows the Chinese because no translation was given; templates then mark it ``lang="zh-Hans"`` and
    say so. On the Chinese site both are always false.
    """

    def _shown(self, field: str) -> str:
        return shown_name(getattr(self, field, ""), getattr(self, f"{field}_en", ""))

    def _untranslated(self, field: str) -> bool:
        return english_wanted() and bool(getattr(self, field, "")) and not getattr(self, f"{field}_en", "")

    @property
    def display_name(self) -> str:
        return self._shown("name")

    @property
    def name_untranslated(self) -> bool:
        return self._untranslated("name")

    @property
    def display_summary(self) -> str:
        return self._shown("summary")

    @property
    def summary_untranslated(self) -> bool:
        return self._untranslated("summary")


class Merchant(EnglishNames, models.Model):
    """A merchant: a Xiushan cooperative, workshop, company or family farm that sells through the market."""

    class Kind(models.TextChoices):
        COOPERATIVE = "cooperative", _("Cooperative")
        WORKSHOP = "workshop", _("Workshop")
        COMPANY = "company", _("Company")
        FAMILY_FARM = "family_farm", _("Family farm")

    name = models.CharField(_("name"), max_length=128, unique=True)
    name_en = models.CharField(_("name in English"), max_length=128, blank=True, help_text=ENGLISH_HELP)
    slug = models.SlugField(_("slug"), max_length=128, unique=True, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary in English"), max_length=300, blank=True, help_text=ENGLISH_HELP)
    description = RichTextField(_("description"), blank=True)
    township = models.CharField(_("township"), max_length=32, choices=XiushanTownship.choices)
    village = models.CharField(_("village or community"), max_length=64, blank=True)
    paired_county = models.CharField(_("paired Dezhou division"), max_length=16, choices=DezhouCounty.choices)
    households_benefited = models.PositiveIntegerField(_("households benefited"), default=0)
    contact_name = models.CharField(_("contact name"), max_length=64, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member users"),
        blank=True,
        related_name="merchants",
        help_text=_("Users who manage this merchant's products, stock and orders."),
    )
    # Set by operators only (the panel asks for ``catalog.access_all_merchants``): where profit sharing pays.
    wechatpay_merchant_id = models.CharField(
        _("WeChat Pay merchant number"),
        max_length=32,
        null=True,
        blank=True,
        help_text=_(
            "The merchant's own WeChat Pay merchant number (商户号), added as a profit-sharing receiver in WeChat"
            " Pay's merchant platform: its share of WeChat Pay payments is paid there. Empty: not paid by WeChat Pay."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]
        permissions = [
            ("access_all_merchants", _("Can see every merchant's products, stock and orders")),
        ]

    def __str__(self) -> str:
        return self.name


class Category(EnglishNames, models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    name_en = models.CharField(_("name in English"), max_length=64, blank=True, help_text=ENGLISH_HELP)
    slug = models.SlugField(_("slug"), max_length=64, unique=True, allow_unicode=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


MONTH_VALIDATORS = [MinValueValidator(1), MaxValueValidator(12)]


class Product(EnglishNames, ClusterableModel):
    """Something a merchant sells; bought through its variants."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="products"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(_("name"), max_length=128)
    name_en = models.CharField(_("name in English"), max_length=128, blank=True, help_text=ENGLISH_HELP)
    slug = models.SlugField(_("slug"), max_length=128, unique=True, allow_unicode=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary in English"), max_length=300, blank=True, help_text=ENGLISH_HELP)
    description = RichTextField(_("description"), blank=True)
    origin = models.CharField(_("origin"), max_length=128, blank=True, help_text=_("Where it is grown or made."))
    is_published = models.BooleanField(_("published"), default=False)
    is_featured = models.BooleanField(_("featured"), default=False)
    season_start_month = models.PositiveSmallIntegerField(
        _("season starts (month)"), null=True, blank=True, validators=MONTH_VALIDATORS
    )
    season_end_month = models.PositiveSmallIntegerField(
        _("season ends (month)"), null=True, blank=True, validators=MONTH_VALIDATORS
    )
    shelf_life_days = models.PositiveIntegerField(_("shelf life (days)"), null=True, blank=True)
    low_stock_threshold = models.PositiveIntegerField(_("low-stock threshold"), default=5)
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    # ``to_tsvector('simple', search_text)``, kept by PostgreSQL itself and GIN-indexed (migration 0007), so
    # matching and ranking a search never parse the text again; NULL on SQLite, which searches search_text.
    # (No verbose name: it is never shown.)
    search_vector = models.GeneratedField(
        expression=SimpleTsVector(F("search_text")),
        output_field=SearchVectorField(null=True),
        db_persist=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["is_published", "-created_at"], name="product_published_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(season_start_month__isnull=True, season_end_month__isnull=True)
                | Q(season_start_month__isnull=False, season_end_month__isnull=False),
                name="product_season_both_or_neither",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("storefront:product_detail", kwargs={"slug": self.slug})

    def in_season(self, month: int) -> bool:
        """Whether the given month falls in the season window (wrapping over new year)."""
        if self.season_start_month is None or self.season_end_month is None:
            return True
        if self.season_start_month <= self.season_end_month:
            return self.season_start_month <= month <= self.season_end_month
        return month >= self.season_start_month or month <= self.season_end_month


class ProductImage(Orderable):
    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("image"), on_delete=models.CASCADE, related_name="+"
    )
    alt_text = models.CharField(
        _("alternative text"), max_length=200, blank=True, help_text=_("Describes the picture for screen readers.")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    @property
    def alt(self) -> str:
        return self.alt_text or self.image.title


class Variant(Orderable):
    """A sellable form of a product (a size or pack) with its own SKU and price in fen."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=64, help_text=_('For example "5kg 礼盒".'))
    price = models.PositiveIntegerField(_("price (fen)"), help_text=_("In fen: 1 yuan = 100 fen."))
    compare_at_price = models.PositiveIntegerField(_("compare-at price (fen)"), null=True, blank=True)
    weight_grams = models.PositiveIntegerField(_("weight (grams)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta(Orderable.Meta):
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="variant_price_positive"),
            models.CheckConstraint(
                condition=Q(compare_at_price__isnull=True) | Q(compare_at_price__gt=F("price")),
                name="variant_compare_at_above_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} · {self.name}" if self.product_id else self.name


def new_webhook_secret() -> str:
    """A fresh signing secret for a counter's webhook."""
    return secrets.token_hex(32)


class Location(models.Model):
    """Where stock is kept: an origin warehouse in Xiushan or a sales counter (专柜) in Dezhou."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("Origin warehouse (Xiushan)")
        COUNTER = "counter", _("Sales counter (Dezhou)")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=128)
    code = models.SlugField(_("code"), max_length=32, unique=True, help_text=_("Short code used in CSV files."))
    host = models.CharField(_("host supermarket or market"), max_length=128, blank=True)
    county = models.CharField(
        _("Dezhou division"),
        max_length=16,
        choices=DezhouCounty.choices,
        blank=True,
        help_text=_("For counters: the Dezhou division the counter is in."),
    )
    address = models.CharField(_("address"), max_length=255)
    opening_hours = models.CharField(_("opening hours"), max_length=128, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    notification_email = models.EmailField(_("notification e-mail"), blank=True)
    webhook_url = models.URLField(
        _("webhook URL"),
        blank=True,
        help_text=_("The counter's own system: orders to prepare are POSTed here, signed with the webhook secret."),
    )
    webhook_secret = models.CharField(
        _("webhook secret"),
        max_length=128,
        default=new_webhook_secret,
        help_text=_("Shared with the counter's system to verify the X-Dexiu-Signature header."),
    )
    opens_at = models.TimeField(
        _("opens at"), default=datetime.time(9, 0), help_text=_("The daily digest is sent at this time.")
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff users"), blank=True, related_name="counters"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["kind", "county", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="warehouse") | ~Q(county=""), name="location_counter_has_county")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_counter(self) -> bool:
        return self.kind == self.Kind.COUNTER


class Stock(models.Model):
    """How many of a variant a location holds, and how many of those are held for orders."""

    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="stocks")
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="stocks")
    on_hand = models.IntegerField(_("on hand"), default=0)
    allocated = models.IntegerField(_("allocated"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        ordering = ["variant__sku", "location__code"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stock_unique_variant_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="stock_allocated_not_negative"),
            models.CheckConstraint(condition=Q(allocated__lte=F("on_hand")), name="stock_allocated_within_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.variant.sku} @ {self.location.code}"

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated

    @classmethod
    def from_db(cls, db, field_names, values):
        stock = super().from_db(db, field_names, values)
        # Free units as read: a save that leaves them unchanged (an allocation turned into a sale) changes
        # nothing a shopper sees (``storefront.signals``).
        if "on_hand" in stock.__dict__ and "allocated" in stock.__dict__:
            stock.available_when_read = stock.on_hand - stock.allocated
        return stock


class StockMovement(models.Model):
    """One entry of the append-only stock ledger: what changed, by how much, who and why."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", _("Receive")
        ADJUST = "adjust", _("Adjust")
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        CORRECTION = "correction", _("Correction")
        ALLOCATE = "allocate", _("Allocate to order")
        RELEASE = "release", _("Release allocation")
        PLAN = "plan", _("Planned harvest")
        HARVEST = "harvest", _("Harvest received")

    stock = models.ForeignKey(Stock, verbose_name=_("stock"), on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    quantity = models.IntegerField(_("change on hand"))
    allocated_change = models.IntegerField(_("change allocated"), default=0)
    on_hand_after = models.IntegerField(_("on hand after"))
    allocated_after = models.IntegerField(_("allocated after"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255)
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    batch = models.ForeignKey(
        "Batch",
        verbose_name=_("batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movements",
        help_text=_("For goods received: the batch they arrived as."),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock ledger")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0) | ~Q(allocated_change=0), name="stock_movement_changes_something"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} {self.stock}"

    @property
    def batch_code(self) -> str:
        """The code of the batch received by this movement; empty for any other."""
        return self.batch.code if self.batch_id else ""


class SearchSynonym(models.Model):
    """A word shoppers search for and the catalogue's words it also means, kept by operators.

    One row per word, one way: a search for ``word`` also finds what any of its ``synonyms`` finds
    (橙子 → 脐橙 柑橘 …); a search for 脐橙 does not find 橙子 unless a row for 脐橙 says so. ``word`` applies
    when it is the whole query, one of its space-separated parts or one of its segmented words
    (``catalog.search``). Both are kept lower-case, ``word`` without spaces and ``synonyms`` as words
    separated by single spaces (``SearchSynonymForm`` tidies what operators type). A change applies to
    the very next search, and the cached search pages are dropped (``storefront.signals``).
    """

    word = models.CharField(
        _("word"),
        max_length=32,
        unique=True,
        help_text=_("What shoppers type, e.g. 橙子. Searching it also finds its synonyms, not the other way round."),
    )
    synonyms = models.CharField(
        _("also finds"),
        max_length=300,
        help_text=_("Catalogue words it also means, separated by spaces or commas, e.g. 脐橙 柑橘."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("search synonym")
        verbose_name_plural = _("search synonyms")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word

    @property
    def words(self) -> list[str]:
        return self.synonyms.split()


class PrivateMediaStorage(FileSystemStorage):
    """Files never served as media: in ``PRIVATE_MEDIA_ROOT`` when set, else in ``<MEDIA_ROOT>-private`` beside
    the media folder (read from the settings on each use, so a changed ``MEDIA_ROOT`` applies)."""

    @property
    def base_location(self) -> str:
        media = Path(settings.MEDIA_ROOT)
        return str(getattr(settings, "PRIVATE_MEDIA_ROOT", None) or media.parent / f"{media.name}-private")

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def private_storage() -> FileSystemStorage:
    """Where certificate evidence is kept (``PrivateMediaStorage``); read through the back office only."""
    return PrivateMediaStorage()


class Certificate(models.Model):
    """A certificate granted by the operators: the consumption-aid certificate (帮扶产品认定) or a quality mark.

    Its scope is the producer (every product of ``merchant``) or a list of the merchant's ``products``. A
    merchant submits it with evidence; only operators approve, reject or revoke it (``catalog.certificates``),
    and every status change is kept in ``CertificateChange``: who, when, why. An approved certificate
    qualifies from ``valid_from`` to ``valid_until`` inclusive; past that date it is expired (the daily check
    records it), a revoked one qualifies no more.
    """

    class Kind(models.TextChoices):
        AID = "aid", _("Consumption-aid certificate")
        ORGANIC = "organic", _("Organic")
        GREEN_FOOD = "green_food", _("Green food")
        GEOGRAPHICAL_INDICATION = "geographical_indication", _("Geographical indication")

    class Scope(models.TextChoices):
        PRODUCER = "producer", _("The producer (all its products)")
        PRODUCTS = "products", _("Listed products")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    number = models.CharField(_("certificate number"), max_length=64)
    issuer = models.CharField(_("issuing body"), max_length=128)
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="certificates"
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.PRODUCER)
    products = models.ManyToManyField(
        Product,
        verbose_name=_("products"),
        blank=True,
        related_name="certificates",
        help_text=_("For a certificate of listed products: the merchant's products it covers."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    evidence = models.FileField(
        _("evidence"), upload_to="certificates/%Y/%m/", storage=private_storage, max_length=255, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-created_at", "-pk"]
        permissions = [("review_certificate", _("Can approve, reject and revoke certificates"))]
        indexes = [models.Index(fields=["merchant", "kind", "status"], name="certificate_merchant_kind_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(valid_from__lte=F("valid_until")), name="certificate_validity"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def valid_on(self, day: datetime.date) -> bool:
        """Approved (or since expired) and ``day`` within its validity."""
        return self.status in (self.Status.APPROVED, self.Status.EXPIRED) and self.valid_from <= day <= self.valid_until


class CertificateChange(models.Model):
    """One entry of a certificate's history: the status it moved to, who did it, when and why."""

    certificate = models.ForeignKey(
        Certificate, verbose_name=_("certificate"), on_delete=models.PROTECT, related_name="changes"
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Certificate.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Certificate.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("certificate change")
        verbose_name_plural = _("certificate history")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.certificate_id}: {self.from_status or '-'} → {self.to_status}"


BATCH_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read off a label without mistakes
BATCH_CODE_LENGTH = 8  # 31**8 (about 8.5e11) codes: not worth guessing, short enough to print and type


def new_batch_code() -> str:
    """A fresh random batch code (``BATCH_CODE_LENGTH`` characters of ``BATCH_CODE_ALPHABET``)."""
    return "".join(secrets.choice(BATCH_CODE_ALPHABET) for _ in range(BATCH_CODE_LENGTH))


class Batch(models.Model):
    """Goods of one variant received together at a location (``catalog.services.receive_batch``): harvested or
    made on one day, from one place, covered by the aid certificate valid when they arrived (or none). Its
    receive movement in the stock ledger points back to it; its public page is ``/trace/<code>/``."""

    code = models.CharField(_("batch code"), max_length=16, unique=True, default=new_batch_code, editable=False)
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="batches")
    location = models.ForeignKey(
        Location, verbose_name=_("received at"), on_delete=models.PROTECT, related_name="batches"
    )
    produced_on = models.DateField(_("harvest or production date"))
    origin = models.CharField(
        _("origin"), max_length=128, help_text=_("Where it was grown or made: township, village, place.")
    )
    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
    )
    quantity_received = models.PositiveIntegerField(_("quantity received"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_received__gt=0), name="batch_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.code


class Pack(ClusterableModel):
    """A gift pack (礼包) operators compose from variants of several merchants and sell at one price in fen.

    Its revenue is split back to its components by ``catalog.packs.split_pack_price`` (the one rule); a pack
    is published only when it has items and its price is above zero and at most its list value.
    """

    name = models.CharField(_("name"), max_length=128)
    slug = models.SlugField(_("slug"), max_length=64, unique=True, allow_unicode=False)
    description = models.TextField(_("description"), blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    price = models.PositiveIntegerField(_("pack price (fen)"))
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("gift pack")
        verbose_name_plural = _("gift packs")
        ordering = ["price", "name", "pk"]
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="pack_price_positive")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("storefront:pack_detail", kwargs={"slug": self.slug})


class PackItem(Orderable):
    """One component of a pack: a variant (of any merchant) and how many of it each pack holds."""

    pack = ParentalKey(Pack, verbose_name=_("gift pack"), on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )

    class Meta(Orderable.Meta):
        verbose_name = _("pack item")
        verbose_name_plural = _("pack items")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="packitem_quantity_positive"),
            models.UniqueConstraint(fields=["pack", "variant"], name="packitem_unique_variant"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"


def new_alert_token() -> str:
    """A fresh secret for a stock alert's unsubscribe link (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


class StockAlert(models.Model):
    """A shopper's wish to be told, once, when a sold-out variant is back where they want it
    (``catalog.alerts``): online (free units at any active warehouse: home delivery) when ``location`` is
    empty, else at that sales counter. Told by text message or e-mail, in ``language``, through the outbox;
    ``notified_at`` is set in the same transaction, so it is never told twice. Pending (not yet told) alerts
    are unique per variant, place and contact; ``token`` is the secret of its unsubscribe link."""

    class Channel(models.TextChoices):
        SMS = "sms", _("Text message")
        EMAIL = "email", _("E-mail")

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="stock_alerts"
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("counter"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stock_alerts",
        help_text=_("The sales counter watched; empty: online (home delivery)."),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    contact = models.CharField(
        _("mobile number or e-mail"), max_length=254, help_text=_("Where the shopper is told, as the channel needs.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stock_alerts",
    )
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_alert_token, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    notified_at = models.DateTimeField(_("told"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock alert")
        verbose_name_plural = _("stock alerts")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["variant"], condition=Q(notified_at__isnull=True), name="stockalert_pending_idx"),
            models.Index(fields=["contact"], condition=Q(notified_at__isnull=True), name="stockalert_contact_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "contact"],
                condition=Q(notified_at__isnull=True, location__isnull=True),
                name="stockalert_pending_online_unique",
            ),
            models.UniqueConstraint(
                fields=["variant", "location", "contact"],
                condition=Q(notified_at__isnull=True, location__isnull=False),
                name="stockalert_pending_counter_unique",
            ),
            models.CheckConstraint(condition=Q(channel__in=["sms", "email"]), name="stockalert_channel_known"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} @ {self.location_id or 'online'} → {self.channel}"

    @property
    def is_online(self) -> bool:
        return self.location_id is None


class PreSale(models.Model):
    """A harvest pre-sale (预售, ``catalog.presales``): a variant of its own (``variant``, created with it, at the
    pre-sale price) sells ``planned_quantity`` units of the coming harvest of ``source_variant`` at ``location``,
    orders taken in [``opens_at``, ``closes_at``), shipped or picked up from ``ships_from`` to ``ships_until``.

    Opening it writes the plan into the stock ledger (a ``plan`` movement: on hand = planned), so checkout's
    allocation guards the plan like any stock. ``status``: open → harvested (``received_quantity`` set, once);
    "closed" is only ``closes_at`` passed. A short harvest is refunded by ``shortfall_policy``; a harvest that
    failed altogether is received as 0, which refunds every unit."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        HARVESTED = "harvested", _("Harvest received")

    class ShortfallPolicy(models.TextChoices):
        LATEST_FIRST = "latest_first", _("Latest orders first")
        PRO_RATA = "pro_rata", _("Pro rata")

    variant = models.OneToOneField(
        Variant, verbose_name=_("pre-sale variant"), on_delete=models.PROTECT, related_name="presale"
    )
    source_variant = models.ForeignKey(
        Variant, verbose_name=_("pre-sold variant"), on_delete=models.PROTECT, related_name="presales_of"
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("harvest arrives at"),
        on_delete=models.PROTECT,
        related_name="presales",
        help_text=_("The warehouse or counter the harvest arrives at and is shipped or picked up from."),
    )
    planned_quantity = models.PositiveIntegerField(_("planned quantity"))
    opens_at = models.DateTimeField(_("orders from"))
    closes_at = models.DateTimeField(_("orders until"))
    ships_from = models.DateField(_("ships or picked up from"))
    ships_until = models.DateField(_("ships or picked up until"))
    shortfall_policy = models.CharField(
        _("shortfall refunds"),
        max_length=16,
        choices=ShortfallPolicy.choices,
        default=ShortfallPolicy.LATEST_FIRST,
        help_text=_("A short harvest refunds the latest orders first, or every order in proportion."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    received_quantity = models.PositiveIntegerField(_("quantity harvested"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("harvest received by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(_("harvest received"), null=True, blank=True)

    class Meta:
        verbose_name = _("pre-sale")
        verbose_name_plural = _("pre-sales")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="presale_closes_after_opening"),
            models.CheckConstraint(condition=Q(ships_until__gte=F("ships_from")), name="presale_ships_window"),
            models.CheckConstraint(condition=Q(planned_quantity__gte=1), name="presale_planned_positive"),
            models.CheckConstraint(
                condition=Q(status="harvested", received_quantity__isnull=False)
                | (~Q(status="harvested") & Q(received_quantity__isnull=True)),
                name="presale_received_when_harvested",
            ),
        ]

    def __str__(self) -> str:
        return str(self.variant) if self.variant_id else str(self.pk)

    def is_selling(self, now: datetime.datetime | None = None) -> bool:
        """Orders are taken: open, and now within [opens_at, closes_at)."""
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.closes_at

    def is_closed(self, now: datetime.datetime | None = None) -> bool:
        """No more orders: the window has passed, or the harvest is in, or it was cancelled."""
        return self.status != self.Status.OPEN or (now or timezone.now()) >= self.closes_at

    @property
    def is_harvested(self) -> bool:
        return self.status == self.Status.HARVESTED
