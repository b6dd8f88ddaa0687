"""Chinese marked as Chinese on pages in another language.

Names come in the reader's language from the objects themselves (``display_name``, ``display_summary``:
``catalog.models.EnglishNames``); where an English page shows the Chinese because no translation was given
(``name_untranslated``, ``summary_untranslated``), the element showing it says so:
``<h1{% lang_of product %}>{{ product.display_name }}</h1>`` gives ``lang="zh-Hans"`` (browsers, screen
readers and translation tools then treat it as Chinese) and a ``title`` saying it is not translated yet.
``{% zh_lang %}`` gives ``lang="zh-Hans"`` on any page not in Chinese, for content that is only ever Chinese
(a description, an address).
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

register = template.Library()

CHINESE = "zh-Hans"


@register.simple_tag
def lang_of(obj, field: str = "name") -> SafeString:
    """`` lang="zh-Hans" title="…"`` for the element showing ``obj``'s ``display_<field>`` when it is the
    Chinese shown for want of a translation (``<field>_untranslated``); else nothing."""
    if not getattr(obj, f"{field}_untranslated", False):
        return mark_safe("")
    return format_html(' lang="{}" title="{}"', CHINESE, gettext("Not translated into English yet"))


@register.simple_tag
def zh_lang() -> SafeString:
    """`` lang="zh-Hans"`` when the page is not in Chinese (the element holds Chinese text), else nothing."""
    if (get_language() or "").lower().startswith("zh"):
        return mark_safe("")
    return mark_safe(f' lang="{CHINESE}"')  # noqa: S308 (constant)
