"""Liveness and readiness probes."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """The process is up and answering; touches neither the database nor Redis (nor does the page cache
    for this path), so an outage of either never fails liveness."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


@never_cache
@require_GET
def readyz(request):
    """The process can serve: the database answers, and Redis when it is configured. Within about
    5 s at worst: the database connect timeout (DB_CONNECT_TIMEOUT, 3 s) and 1 s for Redis."""
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    results = {}
    ready = True
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a probe reports any failure rather than raising
            results[name] = f"down: {exc.__class__.__name__}"
            ready = False
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
