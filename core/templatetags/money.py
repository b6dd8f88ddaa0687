"""``{% load money %}``: ``{{ amount|money }}`` shows integer fen as yuan, ``12345`` → ``"¥123.45"``."""

from typing import Any

from django import template

from core.money import format_fen

register = template.Library()


@register.filter
def money(fen: Any) -> str:
    """Fen as ``"¥1,234.50"`` (negatives ``"-¥1.50"``); nothing for a missing or non-integer amount."""
    return format_fen(fen)
