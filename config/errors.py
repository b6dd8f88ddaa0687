"""The server-error handler: a database that is down or too slow answers a clean 503, not a 500.

Django calls ``handler500`` for any exception a view or middleware lets through, while that exception
is being handled. When it is (or was caused by) a database ``OperationalError`` or ``InterfaceError`` —
refused, connect timeout, statement timeout, connection lost — the visitor gets "the shop is busy" with
``Retry-After``; anything else still gets the 500 page. Neither page touches the database or the cache.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 30


def _database_unavailable(exc: BaseException | None) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    if _database_unavailable(sys.exc_info()[1]):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(render_to_string("500.html"))
