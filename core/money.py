"""Money is integer fen (CNY, 1 yuan = 100 fen): shown as yuan, typed by staff in yuan; never floats.

- ``format_fen(1234_50)`` → ``"¥1,234.50"``; ``format_fen(-150)`` → ``"-¥1.50"``; no amount → ``""``.
- ``fen_to_yuan(1280)`` → ``"12.80"`` (no symbol, no separators: for inputs, JSON-LD, plain text).
- ``fen_to_decimal(1280)`` → ``Decimal("12.80")`` (exact, for spreadsheets).
- ``yuan_to_fen("12.8")`` → ``1280``; more than two decimals or anything else is a ``ValidationError``.
- ``YuanField``: a form field staff type in yuan whose ``clean()`` gives integer fen;
  ``yuan_formfield(model_field, label=...)`` builds one for an integer fen model field.
- ``split_by_weight(900, [300, 600, 100])`` → ``[270, 540, 90]``: an amount shared in proportion to weights by
  largest remainder (whole fen first, the fen left over one each to the largest remainders, ties to the earlier
  weight), always summing to the amount.
- ``unit_share(total, quantity, before, units)``: the fen of ``units`` of ``quantity`` units that together cost
  ``total``, after ``before`` of them: ``floor(total*(before+units)/quantity) - floor(total*before/quantity)``, so
  the units taken in any parts always sum to ``total``.
"""

import re
import unicodedata
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

FEN_PER_YUAN = 100
SYMBOL = "¥"
MAX_FEN = 2_147_483_647  # the largest value of an integer column (PostgreSQL ``integer``)
MAX_YUAN_DIGITS = 12  # digits before the decimal point that yuan_to_fen accepts at all

_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
# An optional sign, an optional ¥ (either side of the sign), yuan with optional thousands separators,
# optional decimals, an optional trailing 元.
_YUAN_RE = re.compile(
    r"(?P<sign1>[+-]?)¥?(?P<sign2>[+-]?)(?P<yuan>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<decimals>[0-9]+))?元?"
)

INVALID = _("Enter an amount in yuan, for example 12.80.")
TOO_MANY_DECIMALS = _("Enter at most two decimal places: the smallest amount is 0.01 yuan (1 fen).")
TOO_LARGE = _("This amount is too large.")


def _as_fen(value: Any) -> int | None:
    """Integer fen from an int, an integral ``Decimal`` or a string of digits; ``None`` for anything else.

    Floats and booleans are refused (money is never a float); so are fractions of a fen.
    """
    if value is None or isinstance(value, bool | float):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else None
    if isinstance(value, str) and _INTEGER_RE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _yuan_text(amount: int, *, symbol: str = "", grouping: str = "") -> str:
    """Integer fen as yuan with two decimals, the sign before the symbol (integer arithmetic only)."""
    sign = "-" if amount < 0 else ""
    yuan, cents = divmod(abs(amount), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:{grouping}}.{cents:02d}"


def format_fen(fen: Any) -> str:
    """Fen as yuan for people: ``"¥1,234.50"``, negatives as ``"-¥1.50"``; ``""`` for no or no valid amount."""
    amount = _as_fen(fen)
    return "" if amount is None else _yuan_text(amount, symbol=SYMBOL, grouping=",")


def fen_to_yuan(fen: Any) -> str:
    """Fen as a plain yuan number, two decimals, no symbol or separators: ``"12.80"``, ``"-1.50"``; else ``""``."""
    amount = _as_fen(fen)
    return "" if amount is None else _yuan_text(amount)


def fen_to_decimal(fen: int) -> Decimal:
    """Fen as an exact decimal number of yuan with two places: ``1280`` → ``Decimal("12.80")``."""
    return Decimal(int(fen)).scaleb(-2)


def yuan_to_fen(text: str) -> int:
    """Yuan as typed (``"12.8"``, ``"12.80"``, ``"12"``, ``"¥1,234.50"``, ``"-1.50"``, full-width digits) → fen.

    Parsed with ``Decimal``, never floats. More than two decimal places, an empty or otherwise unreadable
    text, or more than ``MAX_YUAN_DIGITS`` digits of yuan raise a translated ``ValidationError``.
    """
    normalized = unicodedata.normalize("NFKC", str(text)).strip().replace("−", "-")  # U+2212 minus sign
    match = _YUAN_RE.fullmatch(normalized)
    if not match or (match["sign1"] and match["sign2"]):
        raise ValidationError(INVALID, code="invalid")
    decimals = match["decimals"] or ""
    if len(decimals) > 2:
        raise ValidationError(TOO_MANY_DECIMALS, code="max_decimal_places")
    digits = match["yuan"].replace(",", "")
    if len(digits.lstrip("0")) > MAX_YUAN_DIGITS:
        raise ValidationError(TOO_LARGE, code="max_digits")
    amount = Decimal(f"{digits}.{decimals or '0'}") * FEN_PER_YUAN
    fen = int(amount)
    return -fen if "-" in (match["sign1"] + match["sign2"]) else fen


class YuanInput(forms.TextInput):
    """A text input for yuan: a decimal keypad on phones."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class YuanField(forms.Field):
    """An amount typed in yuan (``"12.80"``); ``clean()`` returns integer fen, or ``None`` when left empty.

    The initial value is integer fen (as stored) and is shown as yuan. ``min_fen``/``max_fen`` bound
    the amount (default: not negative, and within an integer column).
    """

    widget = YuanInput
    default_error_messages = {
        "invalid": INVALID,
        "max_decimal_places": TOO_MANY_DECIMALS,
        "max_digits": TOO_LARGE,
        "negative": _("The amount cannot be negative."),
        "min_value": _("Enter at least %(minimum)s."),
        "max_value": _("Enter at most %(maximum)s."),
    }

    def __init__(self, *, min_fen: int | None = 0, max_fen: int | None = MAX_FEN, **kwargs: Any) -> None:
        self.min_fen, self.max_fen = min_fen, max_fen
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        """Fen (the initial value) as yuan; what the user typed stays as typed."""
        if isinstance(value, int) and not isinstance(value, bool):
            return fen_to_yuan(value)
        return value

    def to_python(self, value: Any) -> int | None:
        """Integer fen: an int is fen already (an initial value), text is yuan."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return yuan_to_fen(value)
        except ValidationError as error:
            raise ValidationError(self.error_messages[error.code], code=error.code) from error

    def validate(self, value: int | None) -> None:
        super().validate(value)
        if value is None:
            return
        if self.min_fen == 0 and value < 0:
            raise ValidationError(self.error_messages["negative"], code="min_value")
        if self.min_fen is not None and value < self.min_fen:
            raise ValidationError(
                self.error_messages["min_value"], code="min_value", params={"minimum": format_fen(self.min_fen)}
            )
        if self.max_fen is not None and value > self.max_fen:
            raise ValidationError(
                self.error_messages["max_value"],
                code="max_value",
                params={"maximum": format_fen(self.max_fen)},
            )

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True


_POSITIVE_FIELDS = (models.PositiveIntegerField, models.PositiveSmallIntegerField, models.PositiveBigIntegerField)


def yuan_formfield(model_field: models.Field, *, label: Any, help_text: Any = "", **kwargs: Any) -> YuanField:
    """A ``YuanField`` for an integer fen model field, to declare on a model form under the field's name.

    Required unless the model field is ``blank``; not negative for positive integer fields, otherwise
    unbounded below. The label and help text must be given (the model's speak of fen).
    """
    options: dict[str, Any] = {
        "required": not model_field.blank,
        "min_fen": 0 if isinstance(model_field, _POSITIVE_FIELDS) else -MAX_FEN - 1,
        "label": label,
        "help_text": help_text,
    }
    options.update(kwargs)
    return YuanField(**options)


def split_by_weight(amount: int, weights: list[int]) -> list[int]:
    """Share ``amount`` fen over ``weights`` (not negative) in proportion, by largest remainder; sums to ``amount``.

    Each part first gets the whole fen of its exact share, then the fen left over go one each to the parts with
    the largest remainders, ties to the earlier one. All weights zero: nothing can be shared (``ValueError``
    unless ``amount`` is 0).
    """
    if amount < 0 or any(weight < 0 for weight in weights):
        raise ValueError("Amounts and weights to split cannot be negative.")
    total = sum(weights)
    if total <= 0:
        if amount:
            raise ValueError("Cannot split an amount over nothing.")
        return [0] * len(weights)
    bases = [divmod(amount * weight, total) for weight in weights]
    parts = [base for base, _rest in bases]
    leftover = amount - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-bases[i][1], i))[:leftover]:
        parts[index] += 1
    return parts


def unit_share(total: int, quantity: int, before: int, units: int) -> int:
    """The fen of ``units`` more of ``quantity`` units costing ``total`` together, ``before`` already taken."""
    if quantity <= 0:
        return 0
    return total * (before + units) // quantity - total * before // quantity
