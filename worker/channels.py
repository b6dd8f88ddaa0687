"""How a notification leaves: e-mail, a text message (SMS), the counter's signed webhook, or the in-app counter
queue."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from worker.models import Notification

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Dexiu-Signature"
TIMESTAMP_HEADER = "X-Dexiu-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Dexiu-Event"


@dataclass(frozen=True)
class WebhookEndpoint:
    """How to sign a webhook for one audience, and how the audience is named in the body (``counter``)."""

    secret: str
    subject: dict[str, Any]


# kind (the part of an audience before ":") -> resolver of the id after it; registered by the apps.
WEBHOOK_AUDIENCES: dict[str, Callable[[str], WebhookEndpoint | None]] = {}


def register_webhook_audience(kind: str, resolve: Callable[[str], WebhookEndpoint | None]) -> None:
    """Let ``kind:id`` audiences receive webhooks: ``resolve(id)`` gives the secret and subject, or None."""
    WEBHOOK_AUDIENCES[kind] = resolve


_read_once: ContextVar[dict[str, WebhookEndpoint | None] | None] = ContextVar("webhook_endpoints", default=None)


def webhook_endpoint(audience: str) -> WebhookEndpoint | None:
    """The endpoint of ``audience`` as its app resolves it now (once per batch, ``endpoints_read_once``); None if
    it is gone or has no secret."""
    read = _read_once.get()
    if read is not None and audience in read:
        return read[audience]
    kind, _sep, key = audience.partition(":")
    resolve = WEBHOOK_AUDIENCES.get(kind)
    endpoint = resolve(key) if resolve and key else None
    endpoint = endpoint if endpoint is not None and endpoint.secret else None
    if read is not None:
        read[audience] = endpoint
    return endpoint


@contextmanager
def endpoints_read_once() -> Iterator[None]:
    """Within this block (one batch of deliveries, a fraction of a second), each audience's endpoint is resolved
    once: a counter sent many orders' messages is read once, not once a message."""
    token = _read_once.set({})
    try:
        yield
    finally:
        _read_once.reset(token)


class DeliveryError(Exception):
    """A failed try; `permanent` ones are not retried (a 4xx answer, a refused address, a missing template)."""

    def __init__(self, message: str, *, permanent: bool = False, status_code: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status_code = status_code


def render_email(notification: Notification) -> tuple[str, str, str]:
    """Subject, text and HTML of an e-mail notification in its language.

    The app that enqueues a template provides ``email/<template>.subject.txt``, ``.txt`` and ``.html``
    in its own ``templates/`` (they may extend ``worker/email/base.html``, the shared layout).
    """
    base = f"email/{notification.template}"
    context = {**notification.payload, "notification": notification}
    with translation.override(notification.language):
        subject = " ".join(render_to_string(f"{base}.subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context)
        html = render_to_string(f"{base}.html", context)
    return subject, text, html


def send_email(notification: Notification) -> int | None:
    try:
        subject, text, html = render_email(notification)
    except TemplateDoesNotExist as exc:
        raise DeliveryError(f"missing e-mail template {exc}", permanent=True) from exc
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [notification.recipient])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    return None


def webhook_body(notification: Notification, endpoint: WebhookEndpoint | None) -> str:
    """The JSON document POSTed to a counter (schema in docs/counter-webhook.md)."""
    document: dict[str, Any] = {
        "id": notification.key,
        "event": notification.template,
        "created_at": notification.created_at.isoformat(),
        "counter": endpoint.subject if endpoint else None,
        "data": notification.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sign(secret: str, timestamp: str, body: str) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `"{timestamp}.{body}"` with the counter's secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: never follow it (it would turn the POST into a GET)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def send_webhook(notification: Notification) -> int:
    endpoint = webhook_endpoint(notification.audience)
    if endpoint is None:
        raise DeliveryError("the counter or its webhook secret is gone", permanent=True)
    if not notification.recipient.startswith(("http://", "https://")):
        raise DeliveryError(f"not an http(s) URL: {notification.recipient!r}", permanent=True)
    body = webhook_body(notification, endpoint)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        notification.recipient,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "DexiuMarket-Webhook/1",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
            IDEMPOTENCY_HEADER: notification.key,
            EVENT_HEADER: notification.template,
        },
    )
    try:
        with _opener.open(request, timeout=settings.OUTBOX_WEBHOOK_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        code = exc.code
        permanent = 400 <= code < 500 and code != 429
        raise DeliveryError(f"HTTP {code} {exc.reason}", permanent=permanent, status_code=code) from exc
    except OSError as exc:  # URLError, timeouts, refused connections
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def send_sms(notification: Notification) -> int | None:
    """A text message through the configured provider (``worker.sms``); its message id goes to the log."""
    from worker import sms  # imported here: worker.sms raises this module's DeliveryError

    message_id = sms.backend().send(
        notification.recipient,
        notification.template,
        notification.payload,
        language=notification.language,
        reference=notification.key,
    )
    logger.info(
        "notification %s (%s) sent by SMS: provider message id %s", notification.pk, notification.key, message_id
    )
    return None


SENDERS = {
    Notification.Channel.EMAIL: send_email,
    Notification.Channel.WEBHOOK: send_webhook,
    Notification.Channel.SMS: send_sms,
}


def send(notification: Notification) -> int | None:
    """Send one notification; raises `DeliveryError`. Returns the HTTP status for webhooks."""
    sender = SENDERS.get(notification.channel)
    if sender is None:
        raise DeliveryError(f"channel {notification.channel!r} is not sent", permanent=True)
    return sender(notification)
