"""``{% fixed_url %}``: the address of a view with fixed arguments, worked out once per language and process."""

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

register = template.Library()

# Enough for every fixed address the templates name; past it an address is worked out each time, never stored.
KEPT_URLS = 2000
_urls: dict[tuple, str] = {}


@register.simple_tag
def fixed_url(viewname: str, *args: str) -> str:
    """``{% url %}`` for a view whose arguments are written in the template (the header's and the tab bar's links):
    the URLconf does not change while a process runs, so the address depends only on the language, the script
    prefix and the URLconf, and is kept after the first ``reverse()``. Escaped as ``{% url %}`` is."""
    key = (viewname, args, get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    url = _urls.get(key)
    if url is None:
        url = reverse(viewname, args=args)
        if len(_urls) < KEPT_URLS:
            _urls[key] = url
    return url
