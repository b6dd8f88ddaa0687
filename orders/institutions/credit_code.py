"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters and a check character.

Layout: the registering authority (1), the kind of organisation (1), the registering authority's division code
(6 digits), the organisation code (9) and a check character (1). Characters come from
``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z). The check character is ``31 - (sum of value * weight) mod 31`` over the
first 17 characters (weights 3**i mod 31), 31 itself written as 0.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, index, 31) for index in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
CODE_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
LENGTH = 18


def normalise(value: str) -> str:
    """As typed, without surrounding or inner spaces, in capitals."""
    return re.sub(r"\s+", "", value or "").upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Raise ``ValidationError`` unless ``value`` is a well-formed code whose check character agrees."""
    code = normalise(value)
    if len(code) != LENGTH:
        raise ValidationError(
            _("A unified social credit code has 18 characters (this one has %(count)s)."),
            code="length",
            params={"count": len(code)},
        )
    if not CODE_RE.fullmatch(code):
        raise ValidationError(
            _("A unified social credit code uses digits and capital letters other than I, O, S, V and Z."),
            code="characters",
        )
    if check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("This unified social credit code does not check out: please look at it again."), code="check"
        )
