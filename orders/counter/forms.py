"""Forms of the counter console and of merchant shipping; the rules themselves live in the services."""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import Stock
from orders.counter.search import pickup_code_from
from orders.counter.services import MAX_NOTE_LENGTH, MAX_SALE_QUANTITY
from orders.models import CounterPaymentMethod


class HandOverForm(forms.Form):
    code = forms.CharField(
        label=_("Pickup code"),
        max_length=500,
        help_text=_(
            "The 6-digit code on the customer's order page and in their message: type it, or scan its QR code."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "enterkeyhint": "done"}),
    )

    def clean_code(self) -> str:
        code = pickup_code_from(self.cleaned_data["code"])
        if code is None:
            raise ValidationError(_("Enter the 6 digits of the pickup code."), code="format")
        return code


@dataclass
class DraftLine:
    """A product of the sale being put together, at the price shown (the sale prices it again)."""

    stock: Stock
    quantity: int

    @property
    def total(self) -> int:
        return self.stock.variant.price * self.quantity


class SaleDraft:
    """The walk-in sale being put together, posted back with every button: the lines as parallel ``variant`` and
    ``quantity`` values, then what the button asked (``step`` "<variant>:1" or "<variant>:-1", ``remove``, ``add``
    a product from the list, ``scan`` a SKU typed or scanned) and the product search ``q``. Only products sold at
    this counter (``stocks``) are taken; the rest is reported in ``errors``. Script in the browser does the same
    without a round trip; the server's draft is what counts."""

    def __init__(self, stocks: list[Stock], data: QueryDict | None = None) -> None:
        self.stocks = stocks
        self.by_variant = {stock.variant_id: stock for stock in stocks}
        self.by_sku = {stock.variant.sku.casefold(): stock for stock in stocks}
        self.quantities: dict[int, int] = {}
        self.errors: list[str] = []
        self.query = ""
        if data is not None:
            self._read(data)

    @property
    def lines(self) -> list[DraftLine]:
        return [DraftLine(self.by_variant[pk], quantity) for pk, quantity in self.quantities.items()]

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    def sale_lines(self) -> list[tuple[int, int]]:
        return list(self.quantities.items())

    def products(self) -> list[Stock]:
        """The products to offer, narrowed by the search (name, variant or SKU)."""
        words = self.query.casefold().split()
        if not words:
            return self.stocks
        return [stock for stock in self.stocks if all(word in _haystack(stock) for word in words)]

    def _variant(self, raw: str) -> int | None:
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            return None
        return pk if pk in self.by_variant else None

    def _add(self, pk: int, quantity: int) -> None:
        total = self.quantities.get(pk, 0) + quantity
        self.quantities[pk] = max(1, min(total, MAX_SALE_QUANTITY))

    def _read(self, data: QueryDict) -> None:
        quantity_error = gettext("Quantity must be a whole number from 1 to %(max)d.") % {"max": MAX_SALE_QUANTITY}
        for raw_variant, raw_quantity in zip(data.getlist("variant"), data.getlist("quantity"), strict=False):
            pk = self._variant(raw_variant)
            if pk is None:
                self.errors.append(gettext("A chosen product is not sold at this counter. Please choose again."))
                continue
            try:
                quantity = int(raw_quantity)
            except (TypeError, ValueError):
                quantity = 0
            if not 1 <= quantity <= MAX_SALE_QUANTITY:
                self.errors.append(quantity_error)
                quantity = 1
            self._add(pk, quantity)
        step = data.get("step", "")
        if ":" in step:
            raw_pk, _sep, raw_by = step.partition(":")
            pk = self._variant(raw_pk)
            if pk in self.quantities and raw_by in ("1", "-1"):
                self._add(pk, int(raw_by))
        if (pk := self._variant(data.get("remove", ""))) is not None:
            self.quantities.pop(pk, None)
        if (pk := self._variant(data.get("add", ""))) is not None:
            self._add(pk, 1)
        sku = data.get("scan", "").strip()
        if sku:
            stock = self.by_sku.get(sku.casefold())
            if stock is None:
                message = gettext("No product with SKU “%(sku)s” is sold at this counter.")
                self.errors.append(message % {"sku": sku[:64]})
            else:
                self._add(stock.variant_id, 1)
        self.query = data.get("q", "").strip()[:100]


def _haystack(stock: Stock) -> str:
    variant = stock.variant
    return f"{variant.product.name} {variant.name} {variant.sku}".casefold()


class SaleForm(forms.Form):
    """How the customer paid, and a note; the lines are the ``SaleDraft``'s."""

    payment_method = forms.ChoiceField(
        label=_("Payment method"),
        choices=CounterPaymentMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the customer paid.")},
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=MAX_NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: anything worth knowing about this sale. Recorded with your name."),
    )
    voucher_code = forms.CharField(
        label=_("Consumption voucher"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        help_text=_("Optional: type the customer's voucher code or scan its QR code."),
    )
