"""``{% load labels %}``: ``{{ _("Carrier")|as_label }}{{ carrier }}`` ends the label with a full-width colon
(U+FF1A, no space) in Chinese and "Carrier: " in English; ``{% filter as_label %}...{% endfilter %}`` for a
label built of several parts."""

from django import template

from core import text

register = template.Library()


@register.filter(is_safe=True)
def as_label(value: object) -> str:
    """``value`` followed by the active language's colon (see ``core.text.as_label``)."""
    return text.as_label(value)
