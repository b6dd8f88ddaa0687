"""Rich text as readers get it: cleaned to the editor's whitelist, whoever stored it."""

from functools import cache

from django.utils.safestring import SafeString
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter
from wagtail.rich_text import expand_db_html


@cache
def _converter() -> EditorHTMLConverter:
    return EditorHTMLConverter()


def clean_html(html: str) -> str:
    """Drop every element and attribute the rich-text editor cannot produce (scripts, handlers, styles)."""
    return _converter().whitelister.clean(html) if html else ""


def render_rich_text(html: str) -> SafeString:
    """Clean stored rich text, then expand Wagtail's page and image references for display."""
    return SafeString(expand_db_html(clean_html(html)))
