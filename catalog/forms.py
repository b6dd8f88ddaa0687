"""Back-office forms. Choices are always limited to the rows the user may see."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _
from modelcluster.forms import BaseChildFormSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput

from catalog import search, services
from catalog.certificates import batch_certificates
from catalog.images import images_user_may_choose
from catalog.models import Certificate, Location, Merchant, Pack, PackItem, Product, Stock, StockMovement, Variant
from catalog.packs import check_publishable
from catalog.selectors import locations_for_user, merchants_for_user, products_for_user
from core.money import yuan_formfield
from core.public_urls import validate_public_http_url

MAX_QUANTITY = 1_000_000


class ProductForm(WagtailAdminModelForm):
    """Create/edit a product: the merchant must be one of the user's own; a lone one is preselected."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("merchant")
        if field is None:
            return
        merchants = merchants_for_user(self.for_user) if self.for_user is not None else Merchant.objects.none()
        field.queryset = merchants
        if self.instance.pk is None and not self.is_bound:
            own = list(merchants.values_list("pk", flat=True)[:2])
            if len(own) == 1:
                self.initial.setdefault("merchant", own[0])

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("season_start_month"), cleaned_data.get("season_end_month")
        if (start is None) != (end is None):
            self.add_error(
                "season_end_month" if end is None else "season_start_month",
                _("Give both the first and the last month of the season, or neither."),
            )
        return cleaned_data


class ProductImageForm(WagtailAdminModelForm):
    """One picture inside the product form. A newly chosen image must be one the user may choose (their
    merchant's images or the shared art): the chooser offers nothing else, and a crafted image id is a form
    error. An image already on the product may stay, whoever filed it."""

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image is None or (self.instance.pk is not None and image.pk == self.instance.image_id):
            return image
        if self.for_user is None or not images_user_may_choose(self.for_user).filter(pk=image.pk).exists():
            raise ValidationError(
                _("You cannot use this image. Choose one of your merchant's images or the shared art."),
                code="image_not_allowed",
            )
        return image


class LocationForm(WagtailAdminModelForm):
    """Create/edit a location: the counter's webhook must be a public http(s) address."""

    def clean_webhook_url(self):
        url = self.cleaned_data.get("webhook_url")
        if url:
            validate_public_http_url(url)
        return url


class VariantForm(WagtailAdminModelForm):
    """One variant inside the product form: prices typed in yuan ("12.80"), stored in fen; readable errors."""

    price = yuan_formfield(
        Variant._meta.get_field("price"),
        label=_("Price (yuan)"),
        help_text=_("In yuan, for example 12.80."),
    )
    compare_at_price = yuan_formfield(
        Variant._meta.get_field("compare_at_price"),
        label=_("Compare-at price (yuan)"),
        help_text=_("Optional: the former price, shown struck through; higher than the price."),
    )

    def clean(self):
        cleaned_data = super().clean()
        price, compare_at = cleaned_data.get("price"), cleaned_data.get("compare_at_price")
        if price is not None and price <= 0:
            self.add_error("price", _("The price must be more than zero."))
        elif price is not None and compare_at is not None and compare_at <= price:
            self.add_error("compare_at_price", _("The compare-at price must be higher than the price."))
        return cleaned_data

    def validate_unique(self):
        """SKUs are unique across all merchants. Django's "Variant with this SKU already exists" would tell a
        merchant that another merchant uses a SKU (the stock import hides that too); the same generic
        message is given whoever holds it."""
        exclude = {*self._get_validation_exclusions(), "sku"}
        try:
            self.instance.validate_unique(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)
        sku = self.cleaned_data.get("sku")
        if sku and "sku" not in self.errors:
            taken = Variant.objects.filter(sku=sku).exclude(pk=self.instance.pk)
            if taken.exists():
                message = _("This SKU cannot be used. Please choose another one.")
                self.add_error("sku", ValidationError(message, code="sku_unavailable"))


class VariantFormSet(BaseChildFormSet):
    """Refuses to remove a variant that has stock records (the ledger must keep pointing at it)."""

    def clean(self):
        super().clean()
        removed = [
            form.instance
            for form in self.forms
            if form.instance.pk is not None and self.can_delete and self._should_delete_form(form)
        ]
        if not removed:
            return
        with_stock = set(Stock.objects.filter(variant__in=removed).values_list("variant__sku", flat=True).distinct())
        if with_stock:
            raise ValidationError(
                _("These variants have stock records and cannot be removed; mark them inactive instead: %(skus)s")
                % {"skus": ", ".join(sorted(with_stock))}
            )


class AdjustStockForm(forms.Form):
    """Change one stock row by hand; always with a reason, always through the ledger."""

    RECEIVE = "receive"
    ADJUST = "adjust"
    COUNT = "count"

    kind = forms.ChoiceField(
        label=_("Kind of change"),
        choices=[
            (RECEIVE, _("Receive goods (add to on hand)")),
            (ADJUST, _("Adjust by a number of units (+ or −)")),
            (COUNT, _("Correct to a counted quantity")),
        ],
        initial=ADJUST,
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        help_text=_("Units received, units added (+) or removed (−), or the counted quantity on hand."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Recorded in the stock ledger, for example “breakage in transit” or “monthly count”."),
    )
    # Receiving as a batch (optional): a date makes the goods received a new batch with its own trace page.
    produced_on = forms.DateField(
        label=_("Batch: harvest or production date"),
        required=False,
        widget=AdminDateInput,
        help_text=_(
            "When receiving goods: fill in to record them as a batch, with a QR label and a public trace page."
        ),
    )
    origin = forms.CharField(
        label=_("Batch: origin"),
        max_length=128,
        required=False,
        help_text=_("Township, village or place where it was grown or made."),
    )
    certificate = forms.ModelChoiceField(
        label=_("Batch: certificate"),
        queryset=Certificate.objects.none(),
        required=False,
        empty_label=_("None"),
        help_text=_("The product's consumption-aid certificates valid today."),
    )

    def __init__(self, *args, stock: Stock | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if stock is not None:
            product = stock.variant.product
            choices = batch_certificates(product)
            self.fields["certificate"].queryset = choices
            self.fields["certificate"].initial = choices.first()
            merchant = product.merchant
            self.fields["origin"].initial = f"{merchant.get_township_display()} {merchant.village}".strip()

    def clean(self):
        data = super().clean()
        as_batch = data.get("produced_on") is not None
        if as_batch and data.get("kind") != self.RECEIVE:
            self.add_error("produced_on", _("Only goods received can be recorded as a batch."))
        if as_batch and not (data.get("origin") or "").strip():
            self.add_error("origin", _("Say where the batch comes from (its origin)."))
        return data

    def save(self, stock: Stock, actor) -> StockMovement | None:
        """Apply the change; ``StockError`` (a user-facing message) if the rules refuse it."""
        kind, quantity, reason = (self.cleaned_data[k] for k in ("kind", "quantity", "reason"))
        common = {"variant": stock.variant, "location": stock.location, "actor": actor, "reason": reason}
        if kind == self.RECEIVE and self.cleaned_data.get("produced_on") is not None:
            return services.receive_batch(
                quantity=quantity,
                produced_on=self.cleaned_data["produced_on"],
                origin=self.cleaned_data["origin"],
                certificate=self.cleaned_data.get("certificate"),
                **common,
            )
        if kind == self.RECEIVE:
            return services.receive_stock(quantity=quantity, **common)
        if kind == self.COUNT:
            return services.set_stock_level(on_hand=quantity, **common)
        return services.adjust_stock(quantity=quantity, **common)


class TransferStockForm(forms.Form):
    """Move units of one variant from this stock row's location to another location."""

    destination = forms.ModelChoiceField(queryset=Location.objects.none(), label=_("To location"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, user, source: Stock, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["destination"].queryset = (
            locations_for_user(user).filter(is_active=True).exclude(pk=source.location_id)
        )

    def save(self, actor):
        data = self.cleaned_data
        return services.transfer_stock(
            variant=self.source.variant,
            source=self.source.location,
            destination=data["destination"],
            quantity=data["quantity"],
            actor=actor,
            reason=data["reason"],
        )


class StockExportForm(forms.Form):
    """Which stock to export: the user's own, optionally narrowed to one merchant or location."""

    merchant = forms.ModelChoiceField(queryset=Merchant.objects.none(), required=False, label=_("Merchant"))
    location = forms.ModelChoiceField(queryset=Location.objects.none(), required=False, label=_("Location"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants_for_user(user)
        self.fields["merchant"].empty_label = _("All merchants I can see")
        self.fields["location"].queryset = locations_for_user(user)
        self.fields["location"].empty_label = _("All locations")


class StockImportForm(forms.Form):
    """A CSV of counted quantities (``sku,location,on_hand[,reason]``)."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: sku, location (the location code), on_hand and optionally reason. "
            "UTF-8 text, as written by “CSV UTF-8” in Excel or by the export above."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        help_text=_("Recorded in the ledger for rows that give no reason of their own."),
    )
    merchant = forms.ModelChoiceField(
        queryset=Merchant.objects.none(),
        required=False,
        label=_("Merchant"),
        help_text=_("Only this merchant's SKUs are accepted; leave empty to accept any merchant you manage."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants_for_user(user)
        self.fields["merchant"].empty_label = _("Any of my merchants")


class SearchSynonymForm(WagtailAdminModelForm):
    """A synonym as queries compare with it: the word lower-case without spaces, its synonyms listed once
    each (spaces, commas, 、 and semicolons all separate them), never the word itself."""

    def clean_word(self) -> str:
        word = search.normalise_word(self.cleaned_data.get("word", ""))
        if not search.is_searchable(word):
            raise ValidationError(_("Enter a word with Chinese characters, letters or digits."))
        return word

    def clean_synonyms(self) -> str:
        word = search.normalise_word(self.data.get(self.add_prefix("word"), ""))
        synonyms = [
            synonym
            for synonym in search.split_synonyms(self.cleaned_data.get("synonyms", ""))
            if synonym != word and search.is_searchable(synonym)
        ]
        if not synonyms:
            raise ValidationError(_("Enter at least one other word that the word also means."))
        return " ".join(synonyms)


EVIDENCE_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "webp"]
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class SubmitCertificateForm(forms.Form):
    """A certificate submitted for review: for one of the user's merchants, its producer or listed products."""

    merchant = forms.ModelChoiceField(queryset=Merchant.objects.none(), label=_("Merchant"))
    kind = forms.ChoiceField(choices=Certificate.Kind.choices, label=_("Kind"))
    number = forms.CharField(max_length=64, label=_("Certificate number"))
    issuer = forms.CharField(max_length=128, label=_("Issuing body"), help_text=_("For example 秀山县乡村振兴局."))
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(),
        required=False,
        label=_("Products"),
        help_text=_("Leave empty for a certificate of the producer (all its products)."),
        widget=forms.CheckboxSelectMultiple,
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=AdminDateInput)
    valid_until = forms.DateField(label=_("Valid until"), widget=AdminDateInput)
    evidence = forms.FileField(
        label=_("Evidence"),
        help_text=_("A scan or photo of the certificate (PDF, JPEG, PNG or WebP, at most 10 MB)."),
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants_for_user(user).filter(is_active=True)
        self.fields["products"].queryset = products_for_user(user).select_related("merchant").order_by("name")

    def clean_evidence(self):
        evidence = self.cleaned_data["evidence"]
        if evidence.size > MAX_EVIDENCE_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."))
        return evidence

    def clean(self):
        cleaned = super().clean()
        merchant, products = cleaned.get("merchant"), cleaned.get("products") or []
        if merchant and any(product.merchant_id != merchant.pk for product in products):
            self.add_error("products", _("Choose only the merchant's own products."))
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and start > end:
            self.add_error("valid_until", _("The validity must start before it ends."))
        return cleaned


class CertificateReviewForm(forms.Form):
    reason = forms.CharField(
        max_length=255, label=_("Reason"), help_text=_("Kept in the certificate's history with your name.")
    )


class PackForm(WagtailAdminModelForm):
    """A gift pack: its price typed in yuan, stored in fen; a published pack needs items and a price no higher
    than their list value (``catalog.packs.check_publishable``)."""

    price = yuan_formfield(
        Pack._meta.get_field("price"),
        label=_("Pack price (yuan)"),
        help_text=_("In yuan, for example 100.00: at most what the items cost one by one."),
        min_fen=1,
    )

    def _items(self) -> list[PackItem]:
        formset = self.formsets.get("items")
        if formset is None or not formset.is_valid():
            return []
        items = []
        for form in formset.forms:
            if formset.can_delete and formset._should_delete_form(form):
                continue
            variant, quantity = form.cleaned_data.get("variant"), form.cleaned_data.get("quantity")
            if variant is not None and quantity:
                items.append(PackItem(variant=variant, quantity=quantity))
        return items

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("is_published"):
            try:
                check_publishable(cleaned_data.get("price"), self._items())
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned_data
