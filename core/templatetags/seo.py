"""Tags every page's head uses: cleaned rich text, absolute and canonical addresses, JSON-LD."""

import json
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from wagtail.models import Page

from core.richtext import render_rich_text

register = template.Library()

JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def safe_richtext(html: str | None) -> SafeString:
    """Stored rich text cleaned of anything the editor cannot produce, then expanded for display."""
    return render_rich_text(html or "")


def absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


@register.simple_tag(takes_context=True)
def canonical_url(context: template.Context) -> str:
    """This page's address without query string (page numbers and filters excepted)."""
    request = context.get("request")
    if request is None:
        return ""
    page = context.get("page")
    if isinstance(page, Page) and page.pk:
        return absolute(request, page.get_url(request=request) or request.path)
    return request.build_absolute_uri(request.path)


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, url: str) -> str:
    return absolute(context.get("request"), url)


def json_ld(data: dict[str, Any]) -> SafeString:
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
