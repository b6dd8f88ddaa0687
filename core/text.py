"""Text from forms, and text written into records.

- ``clean_text(value)``: form text, stripped, without NUL characters (PostgreSQL cannot store them).
- ``parse_id(value)``: a positive database id from an int or a string of digits, else None.
- ``site_text(message, **params)``: a message in the site's language (``LANGUAGE_CODE``), whoever
  triggers it, at most 255 characters: for ledger reasons and history notes read by every user.
- ``as_label(text)``: a label before its value with the active language's colon: full-width (U+FF1A) in
  Chinese, "Carrier: " in English (``{% load labels %}``, ``{{ _("Carrier")|as_label }}{{ carrier }}``).
"""

import re

from django.conf import settings
from django.utils import translation

_ID_RE = re.compile(r"[0-9]{1,18}")
BIGINT_LIMIT = 2**63
# Languages written with full-width punctuation: a label ends in a full-width colon, with no space after it.
FULL_WIDTH_LANGUAGES = ("zh", "ja")


def clean_text(value: object) -> str:
    """Form text, stripped; NUL characters (which PostgreSQL cannot store) are dropped."""
    return str(value or "").replace("\x00", "").strip()


def parse_id(value: object) -> int | None:
    """A positive id (an int, or up to 18 digits), or None for anything else."""
    if isinstance(value, str) and _ID_RE.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < BIGINT_LIMIT:
        return None
    return value


def site_text(message: object, **params: object) -> str:
    """``message`` (lazy or not) rendered in the site's language with ``params``, cut to 255 characters."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(message)
        return (text % params if params else text)[:255]


def as_label(text: object, language: str | None = None) -> str:
    """``text`` followed by the colon of ``language`` (the active one by default): full-width (U+FF1A) with
    no space in Chinese, ": " elsewhere. The label's own words stay one translatable string."""
    code = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    if code.split("-")[0] in FULL_WIDTH_LANGUAGES:
        return f"{text}："
    return f"{text}: "
