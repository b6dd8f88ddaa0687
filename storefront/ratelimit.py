"""A small fixed-window rate limiter on Django's cache, per client address (and account) and scope.

Limits are settings such as ``CHECKOUT_RATE_LIMIT = "10/m"``: at most 10 POSTs a minute from one
client. The client is ``REMOTE_ADDR``, or the address the trusted proxies recorded in
``X-Forwarded-For`` when ``TRUSTED_PROXY_COUNT`` says there are any. Sign-in and password-reset POSTs
are also counted per account (the posted user name or e-mail), so changing address does not help.

When the cache cannot be reached, a limit that fails closed (logins, checkout) answers 503 "try again
shortly"; the others fail open and let the request through.
"""

import functools
import hashlib
import ipaddress
import logging
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
UNAVAILABLE_RETRY_SECONDS = 30

logger = logging.getLogger(__name__)


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


def account_key(value: str) -> str:
    """A fixed-length cache key part for a posted user name or e-mail, the same in any letter case."""
    return "account-" + hashlib.sha256(value.strip().casefold().encode()).hexdigest()[:32]


def allow(scope: str, request: HttpRequest, rate: Rate | None, *, key: str | None = None) -> bool:
    """Count this request against the budget for ``scope`` and ``key`` (the client address unless
    given); False once it is spent. Errors of the cache propagate."""
    if rate is None:
        return True
    window = int(time.time() // rate.period)
    key = key or client_address(request)
    key = f"ratelimit:{scope}:{key}:{rate.period}:{window}"
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


def limiter_unavailable(request: HttpRequest) -> HttpResponse:
    """503 for a fail-closed limit whose cache is down (a page that needs no cache to render)."""
    response = render(request, "storefront/limiter_unavailable.html", status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    return response


def refusal(
    request: HttpRequest, scope: str, setting: str, *, account_field: str = "", fail_closed: bool = False
) -> HttpResponse | None:
    """Count this request; the 429 (or 503) to answer instead of serving it, or None to serve it.

    The client address and, with ``account_field``, the posted account each have their own budget of
    ``settings.<setting>``; both are counted, and either one spent refuses the request."""
    rate = parse_rate(getattr(settings, setting))
    if rate is None:
        return None
    keys = [client_address(request)]
    account = request.POST.get(account_field, "").strip() if account_field else ""
    if account:
        keys.append(account_key(account))
    try:
        allowed = [allow(scope, request, rate, key=key) for key in keys]
    except Exception:  # whatever the cache backend raises when it is down
        logger.warning("Rate limiter unavailable for %s (failing %s)", scope, "closed" if fail_closed else "open")
        return limiter_unavailable(request) if fail_closed else None
    return None if all(allowed) else too_many_requests(request, rate)


def limit_posts(scope: str, setting: str, *, account_field: str = "", fail_closed: bool = False) -> Callable:
    """View decorator: POSTs beyond the rate in ``settings.<setting>`` are answered 429 (see ``refusal``)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                refused = refusal(request, scope, setting, account_field=account_field, fail_closed=fail_closed)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
