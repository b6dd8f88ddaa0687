"""A small fixed-window rate limiter on Django's cache, per client address and scope.

Limits are settings such as ``CHECKOUT_RATE_LIMIT = "10/m"``: at most 10 POSTs a minute from one
client. The client is ``REMOTE_ADDR``, or the address the trusted proxies recorded in
``X-Forwarded-For`` when ``TRUSTED_PROXY_COUNT`` says there are any.
"""

import functools
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

RATE_RE = re.compile(r"(?P<count>[0-9]+)/(?P<unit>[smhd])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    period: int  # seconds


def parse_rate(value: str) -> Rate | None:
    """``"10/m"`` → 10 per 60 seconds; ``"0"`` or ``""`` → no limit."""
    value = (value or "").strip()
    if value in ("", "0"):
        return None
    match = RATE_RE.fullmatch(value)
    if not match:
        raise ImproperlyConfigured(f"A rate limit looks like 10/m (count/s, m, h or d), got {value!r}")
    count = int(match["count"])
    return Rate(count, UNIT_SECONDS[match["unit"]]) if count else None


def _valid_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's IP address: from the trusted proxies' ``X-Forwarded-For`` entry, else ``REMOTE_ADDR``."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = _valid_address(forwarded[-proxies])
            if address:
                return address
    return _valid_address(remote) or "unknown"


def allow(scope: str, request: HttpRequest, rate: Rate | None) -> bool:
    """Count this request against the client's budget for ``scope``; False once it is spent."""
    if rate is None:
        return True
    window = int(time.time() // rate.period)
    key = f"ratelimit:{scope}:{client_address(request)}:{rate.period}:{window}"
    cache.add(key, 0, timeout=rate.period + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        cache.set(key, 1, timeout=rate.period + 1)
        used = 1
    return used <= rate.count


def too_many_requests(request: HttpRequest, rate: Rate) -> HttpResponse:
    response = render(request, "storefront/rate_limited.html", {"rate": rate}, status=429)
    response["Retry-After"] = str(rate.period)
    return response


def limit_posts(scope: str, setting: str) -> Callable:
    """View decorator: POSTs beyond the rate in ``settings.<setting>`` are answered 429."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                rate = parse_rate(getattr(settings, setting))
                if not allow(scope, request, rate):
                    return too_many_requests(request, rate)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
