"""Alipay's asynchronous notifications (``POST /payments/alipay/notify/``, form-encoded): verify, store by
``notify_id``, queue its processing, answer at once.

Alipay stops retrying only when the body is exactly ``success`` (it reads nothing else), and retries anything
else for about 25 hours (4 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h). A refusal therefore answers ``failure``,
with a 4xx status for our own logs and monitoring; a stored notification and a replay answer ``success``.

Refused, nothing stored: a signature the SDK does not verify (its ``verify`` checks the signature only, and
changes the dict it is given: a copy is passed, without ``sign``); another ``app_id``, or another ``seller_id``
when ``ALIPAY_SELLER_ID`` is set; a missing ``notify_id``, ``out_trade_no`` or ``trade_status``; a ``notify_time``
that is not a time, more than ``MAX_CLOCK_SKEW`` ahead, or older than ``MAX_AGE``. The age window is wide on
purpose: whether Alipay writes a retry's own sending time or the first one is not documented, and a genuine,
signed notification replayed within it does nothing (stored once by ``notify_id``; an order is paid only once,
after its amount is checked) — the window only bounds how long a captured one is accepted at all.
Unknown ``out_trade_no``: stored (and logged when processed), nothing paid.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.models import PaymentProvider
from orders.payments.alipay import alipay_enabled, parse_beijing, verified_notification
from orders.payments.provider_events import record_provider_event
from orders.tasks import publish_provider_event

MAX_AGE = timedelta(hours=26)  # Alipay's whole retry schedule (~25 h) and some slack
MAX_CLOCK_SKEW = timedelta(minutes=10)  # how far ahead of our clock a notify_time may be


def _answer(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _refuse(status: int = 400) -> HttpResponse:
    return _answer("failure", status)


def _fresh(notify_time: str) -> bool:
    sent = parse_beijing(notify_time)
    return sent is not None and timezone.now() - MAX_AGE <= sent <= timezone.now() + MAX_CLOCK_SKEW


@csrf_exempt  # Alipay cannot send a CSRF token; its RSA2 signature authenticates the request instead.
@require_POST
def alipay_notify(request: HttpRequest) -> HttpResponse:
    """``success`` for a stored notification or a replay; ``failure`` with 400 for a malformed, stale or foreign
    one, 401 for a bad signature; 404 while Alipay is not configured."""
    if not alipay_enabled():
        return _refuse(404)
    form = {name: request.POST.get(name, "") for name in request.POST}
    if not all(form.get(name) for name in ("sign", "notify_id", "out_trade_no", "trade_status", "app_id")):
        return _refuse()
    if not _fresh(form.get("notify_time", "")):
        return _refuse()
    if not verified_notification(form):
        return _refuse(401)
    if form["app_id"] != settings.ALIPAY_APP_ID:
        return _refuse()
    if settings.ALIPAY_SELLER_ID and form.get("seller_id") != settings.ALIPAY_SELLER_ID:
        return _refuse()
    with transaction.atomic():
        stored, created = record_provider_event(PaymentProvider.ALIPAY, form["notify_id"], form["trade_status"], form)
    if created:
        # After the commit; publishing never raises (a broker that is down leaves the row to the sweeper).
        transaction.on_commit(_publisher(stored.pk))
    return _answer("success")


def _publisher(event_pk: int):
    """A named on-commit callback queuing the notification's processing (its failures are logged, not raised)."""

    def publish_event() -> None:
        publish_provider_event(event_pk)

    return publish_event
