"""WeChat Pay's notify endpoint: verify, store the notification by its id, queue its processing, answer at once;
and the callback of WeChat's web OAuth, which gives the shopper's openid for JSAPI (``wechat_oauth``).

Refused (4xx, WeChat's error shape ``{"code": "FAIL", "message": …}``; WeChat Pay retries later) before the SDK is
called: a ``Wechatpay-Serial`` other than our WeChat Pay public key id (the SDK would fetch certificates first),
a ``Wechatpay-Timestamp`` more than ``MAX_CLOCK_SKEW`` seconds off; then anything the SDK's ``callback`` does not
verify and decrypt. A verified notification is stored first (a replay answers 204 and does nothing).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from orders.models import PaymentProvider
from orders.payments import wechat_oauth
from orders.payments.provider_events import record_provider_event
from orders.payments.wechatpay import verified_notification, wechatpay_enabled
from orders.tasks import publish_provider_event

MAX_CLOCK_SKEW = 300  # seconds, as WeChat Pay allows for our requests


def _fail(status: int, message: str) -> JsonResponse:
    return JsonResponse({"code": "FAIL", "message": message}, status=status)


@csrf_exempt  # WeChat Pay cannot send a CSRF token; its signature authenticates the request instead.
@require_POST
def wechatpay_notify(request: HttpRequest) -> HttpResponse:
    """401 for an unknown serial, a stale timestamp, a bad signature or ciphertext; 400 for a malformed one;
    204 for a stored notification or a replay; 404 while WeChat Pay is not configured."""
    if not wechatpay_enabled():
        return _fail(404, "not configured")
    if request.headers.get("Wechatpay-Serial", "") != settings.WECHATPAY_PUBLIC_KEY_ID:
        return _fail(401, "unknown serial")
    stamp = request.headers.get("Wechatpay-Timestamp", "")
    if not stamp.isdigit() or abs(int(stamp) - time.time()) > MAX_CLOCK_SKEW:
        return _fail(401, "stale timestamp")
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _fail(400, "bad body")
    headers = {name: request.headers.get(name, "") for name in _SIGNED_HEADERS}
    event = verified_notification(headers, body)
    if event is None:
        return _fail(401, "bad signature")
    if not isinstance(event.get("id"), str) or not event["id"] or not isinstance(event.get("resource"), dict):
        return _fail(400, "not a notification")
    with transaction.atomic():
        stored, created = record_provider_event(
            PaymentProvider.WECHAT, event["id"], str(event.get("event_type", "")), event
        )
    if created:
        # After the commit; publishing never raises (a broker that is down leaves the row to the sweeper).
        transaction.on_commit(_publisher(stored.pk))
    return HttpResponse(status=204)


_SIGNED_HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


def _publisher(event_pk: int):
    """A named on-commit callback queuing the notification's processing (its failures are logged, not raised)."""

    def publish_event() -> None:
        publish_provider_event(event_pk)

    return publish_event


@require_safe
def wechat_oauth_callback(request: HttpRequest) -> HttpResponse:
    """Where WeChat's authorize page sends the shopper back (``code``, ``state``): 400 when the state is not the
    one this session is waiting for (nothing stored); else back to the pay page, with the openid in the session,
    or with a message and the QR code when WeChat refused or failed the exchange."""
    try:
        next_path, ok = wechat_oauth.finish_authorization(
            request, state=request.GET.get("state", ""), code=request.GET.get("code", "")
        )
    except wechat_oauth.StateRefused:
        return HttpResponseBadRequest(
            _("This WeChat sign-in link is not valid any more. Please open the order's pay page again."),
            content_type="text/plain; charset=utf-8",
        )
    if not ok:
        messages.warning(
            request,
            _("WeChat could not confirm your account, so its payment sheet is unavailable: pay with the QR code."),
        )
    return redirect(next_path)
