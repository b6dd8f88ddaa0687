"""``{% fixed_url %}``: the address of a view with fixed arguments, worked out once per language and process; and
``translated_url``: a page's address in another language, kept for the addresses asked most."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse, translate_url
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


# Addresses in another language kept per process (the most recently asked; a query string makes a new one), and
# only addresses up to this long: a long query string is worked out each time, so the kept ones stay small.
KEPT_TRANSLATIONS = 4096
LONGEST_KEPT = 300


@lru_cache(maxsize=KEPT_TRANSLATIONS)
def _translated(url: str, language: str, _active: str | None, _prefix: str, _urlconf: str) -> str:
    return translate_url(url, language)


def translated_url(url: str, language: str) -> str:
    """Django's ``translate_url``: ``url`` (a path and query) in ``language``, or ``url`` itself when it names no
    view. Resolving and reversing depend only on the address, both languages, the script prefix and the URLconf,
    none of which changes while a process runs, so the answer is kept (hreflang links, the language switcher)."""
    if len(url) > LONGEST_KEPT:
        return translate_url(url, language)
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _translated(url, language, get_language(), get_script_prefix(), urlconf)
