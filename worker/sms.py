"""Text messages (SMS) to a mobile number: the provider interface and its backends, chosen by ``SMS_BACKEND``.

- ``console`` writes the text to the log (``make run``, tests); ``check --deploy`` refuses it with DEBUG off.
- ``tencent`` sends through Tencent Cloud SMS (``SendSms``, API 2021-01-11) with its official SDK.

Mainland China text messages are sent only from templates registered with the provider: the provider keeps the
text and we send the template's id with its parameters in order (``{1}``, ``{2}``, …). The app that sends a message
registers its templates here from its ``AppConfig.ready`` (``register_template``: the payload keys of the
parameters in order, and the text as registered, translatable, for the console and the log), as catalog registers
webhook audiences; the outbox stores only the template name and the payload, and knows no domain model.

A failed send raises the outbox's ``DeliveryError``: network errors, 5xx answers, throttling and the provider's
internal errors are retried with the outbox's backoff; an invalid number, an unknown or refused template, a
refused signature or credentials fail for good.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.utils import translation
from django.utils.functional import Promise
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as tencent_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from worker.channels import DeliveryError

logger = logging.getLogger(__name__)

CONSOLE = "console"
TENCENT = "tencent"
BACKENDS = (CONSOLE, TENCENT)


# --- templates: what each message says, and its parameters in order ---------------------------------------


@dataclass(frozen=True)
class SmsTemplate:
    """A registered message: its parameters as payload keys, in the provider template's order, and its text.

    ``text`` has a ``%(key)s`` placeholder per parameter and says what the template registered with the provider
    says (the provider's copy is the one sent; this one is logged by the console backend).
    """

    params: tuple[str, ...]
    text: str | Promise
    secret: tuple[str, ...] = ()


TEMPLATES: dict[str, SmsTemplate] = {}
HIDDEN = "••••••"


def register_template(name: str, *, params: Sequence[str], text: str | Promise, secret: Sequence[str] = ()) -> None:
    """Let notifications with this template name go by SMS (called by the sending app's ``AppConfig.ready``).

    ``secret`` names parameters (a sign-in code) that nobody but the recipient may read: the back office shows
    them hidden, and they are blanked from the stored payload once the message is delivered or has failed.
    """
    TEMPLATES[name] = SmsTemplate(params=tuple(params), text=text, secret=tuple(secret))


def shown_payload(name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as staff may see it: secret parameters hidden."""
    secret = TEMPLATES[name].secret if name in TEMPLATES else ()
    return {key: (HIDDEN if key in secret and value else value) for key, value in payload.items()}


def blanked_payload(name: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The payload with its secret parameters emptied, or None when it holds none (nothing to write)."""
    secret = TEMPLATES[name].secret if name in TEMPLATES else ()
    if not any(payload.get(key) for key in secret):
        return None
    return {key: ("" if key in secret else value) for key, value in payload.items()}


def _template(name: str) -> SmsTemplate:
    template = TEMPLATES.get(name)
    if template is None:
        raise DeliveryError(f"no SMS template {name!r} is registered", permanent=True)
    return template


def template_params(name: str, payload: Mapping[str, Any]) -> list[str]:
    """The parameters of template ``name`` from the payload, in the order the provider numbers them (1, 2, …)."""
    template = _template(name)
    missing = [key for key in template.params if payload.get(key) in (None, "")]
    if missing:
        raise DeliveryError(f"SMS {name!r}: the payload has no {', '.join(missing)}", permanent=True)
    return [str(payload[key]) for key in template.params]


def render_text(name: str, payload: Mapping[str, Any], language: str) -> str:
    """The message as the shopper reads it, in ``language`` (what the console backend logs)."""
    template = _template(name)
    values = dict(zip(template.params, template_params(name, payload), strict=True))
    with translation.override(language):
        return str(template.text) % values


# --- numbers ---------------------------------------------------------------------------------------------

_MAINLAND_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")


def mainland_e164(number: str) -> str:
    """A mainland China mobile number in E.164 (``+8613812345678``); a permanent ``DeliveryError`` otherwise."""
    match = _MAINLAND_MOBILE.fullmatch(re.sub(r"[\s-]", "", number or ""))
    if match is None:
        raise DeliveryError(f"not a mainland China mobile number: {number!r}", permanent=True)
    return f"+86{match.group(1)}"


# --- the provider interface ------------------------------------------------------------------------------


class SmsBackend(Protocol):
    """Sends one text message; returns the provider's message id, raises ``DeliveryError`` (permanent or not)."""

    def send(
        self, phone: str, template: str, payload: Mapping[str, Any], *, language: str = "zh-hans", reference: str = ""
    ) -> str: ...


class ConsoleBackend:
    """Writes each message to the log instead of sending it: ``make run`` and tests, never production."""

    def send(
        self, phone: str, template: str, payload: Mapping[str, Any], *, language: str = "zh-hans", reference: str = ""
    ) -> str:
        number = mainland_e164(phone)
        text = render_text(template, payload, language)
        message_id = f"console-{uuid.uuid4().hex}"
        logger.info("SMS to %s (%s, %s): %s", number, template, reference or message_id, text)
        return message_id


# Error codes (or their families, before the first dot) worth trying again: the network, the service's own
# troubles, throttling, and an account problem operators fix (balance) without anything to change here.
RETRYABLE_CODES = {
    "ClientNetworkError",  # no answer: refused, reset, timed out
    "ServerNetworkError",  # an HTTP status other than 200 (5xx from a gateway)
    "InternalError",
    "RequestLimitExceeded",
    "LimitExceeded",  # per-number and per-app frequency limits
    "ResourceUnavailable",
    "AuthFailure.SignatureExpire",  # our clock or a slow network; the next try is signed anew
    "FailedOperation.InsufficientBalanceInSmsPackage",
    "UnauthorizedOperation.ServiceSuspendDueToArrears",
}
# …and those that will fail the same way every time: the request, the number, the template or the account.
PERMANENT_CODES = {
    "AuthFailure",
    "FailedOperation",
    "InvalidAction",
    "InvalidParameter",
    "InvalidParameterValue",
    "LimitExceeded.PhoneNumberCountLimit",
    "MissingParameter",
    "UnauthorizedOperation",
    "UnknownParameter",
    "UnsupportedOperation",
    "UnsupportedRegion",
}


def is_retryable(code: str) -> bool:
    """Whether a Tencent Cloud error code is worth another try: the most specific entry decides; unknown: yes."""
    parts = (code or "").split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in RETRYABLE_CODES:
            return True
        if prefix in PERMANENT_CODES:
            return False
    return True  # unforeseen, like any unexpected error in the outbox: retried until the attempts run out


def _tencent_error(code: str, message: str | bytes) -> DeliveryError:
    if isinstance(message, bytes):  # the body of a non-200 answer
        message = message.decode("utf-8", "replace")
    text = " ".join(str(message or "").split())[:500]
    return DeliveryError(f"Tencent Cloud SMS {code}: {text}", permanent=not is_retryable(code))


@dataclass(frozen=True)
class TencentBackend:
    """Tencent Cloud SMS: ``SendSms`` with the template id registered for our template name, signed TC3-HMAC-SHA256
    by the SDK. ``endpoint`` is a host (HTTPS) or a URL (``http://127.0.0.1:port`` for a local fake)."""

    secret_id: str
    secret_key: str
    app_id: str
    sign_name: str
    region: str
    endpoint: str
    templates: Mapping[str, str]
    timeout: float

    @classmethod
    def from_settings(cls) -> TencentBackend:
        return cls(
            secret_id=settings.SMS_TENCENT_SECRET_ID,
            secret_key=settings.SMS_TENCENT_SECRET_KEY,
            app_id=settings.SMS_TENCENT_APP_ID,
            sign_name=settings.SMS_TENCENT_SIGN_NAME,
            region=settings.SMS_TENCENT_REGION,
            endpoint=settings.SMS_TENCENT_ENDPOINT,
            templates=settings.SMS_TENCENT_TEMPLATES,
            timeout=settings.SMS_TIMEOUT,
        )

    def client(self) -> SmsClient:
        address = urlsplit(self.endpoint if "://" in self.endpoint else f"https://{self.endpoint}")
        http = HttpProfile(protocol=address.scheme, endpoint=address.netloc, reqTimeout=self.timeout)
        # TC3-HMAC-SHA256 signatures; no region breaker (it would swallow a network error) and no SDK retries:
        # the outbox retries with its own backoff and records every attempt.
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http, disable_region_breaker=True)
        return SmsClient(credential.Credential(self.secret_id, self.secret_key), self.region, profile)

    def send(
        self, phone: str, template: str, payload: Mapping[str, Any], *, language: str = "zh-hans", reference: str = ""
    ) -> str:
        template_id = self.templates.get(template)
        if not template_id:
            raise DeliveryError(
                f"SMS template {template!r} has no Tencent Cloud template id: add {template}=<id> to "
                "SMS_TENCENT_TEMPLATES",
                permanent=True,
            )
        request = tencent_models.SendSmsRequest()
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = template_params(template, payload)
        request.PhoneNumberSet = [mainland_e164(phone)]
        request.SessionContext = reference[:512]
        try:
            response = self.client().SendSms(request)
        except TencentCloudSDKException as exc:
            raise _tencent_error(exc.code, exc.message) from exc
        statuses = response.SendStatusSet or []
        if len(statuses) != 1:
            raise DeliveryError(f"Tencent Cloud SMS answered {len(statuses)} statuses for one number")
        status = statuses[0]
        if status.Code != "Ok":
            raise _tencent_error(status.Code, status.Message)
        return status.SerialNo or response.RequestId or ""


def backend() -> SmsBackend:
    """The configured backend (built per message: settings are read when each is sent)."""
    if settings.SMS_BACKEND == TENCENT:
        return TencentBackend.from_settings()
    if settings.SMS_BACKEND == CONSOLE:
        return ConsoleBackend()
    raise DeliveryError(f"unknown SMS_BACKEND {settings.SMS_BACKEND!r}", permanent=True)


# --- system checks ---------------------------------------------------------------------------------------


def check_backend(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Always: ``SMS_BACKEND`` names a backend."""
    if settings.SMS_BACKEND in BACKENDS:
        return []
    return [
        checks.Error(
            f"SMS_BACKEND is {settings.SMS_BACKEND!r}.",
            hint=f"Use one of: {', '.join(BACKENDS)}.",
            id="sms.E001",
        )
    ]


TENCENT_REQUIRED = ("SMS_TENCENT_SECRET_ID", "SMS_TENCENT_SECRET_KEY", "SMS_TENCENT_APP_ID", "SMS_TENCENT_SIGN_NAME")


def check_deploy(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy``: with DEBUG off a real provider, fully configured, with an id for every template."""
    if settings.SMS_BACKEND == CONSOLE:
        if settings.DEBUG:
            return []
        return [
            checks.Error(
                "Text messages go to the log only (SMS_BACKEND is 'console', or no provider keys are set): "
                "shoppers would receive none.",
                hint="Configure the provider: SMS_BACKEND=tencent and the SMS_TENCENT_* settings (.env.example).",
                id="sms.E002",
            )
        ]
    if settings.SMS_BACKEND != TENCENT:
        return []  # reported by check_backend
    errors: list[checks.CheckMessage] = []
    missing = [name for name in TENCENT_REQUIRED if not getattr(settings, name)]
    if missing:
        errors.append(
            checks.Error(
                f"Tencent Cloud SMS is chosen but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} empty.",
                hint="Set them in the environment (.env.example).",
                id="sms.E003",
            )
        )
    without_id = sorted(name for name in TEMPLATES if not settings.SMS_TENCENT_TEMPLATES.get(name))
    if without_id:
        errors.append(
            checks.Warning(
                f"SMS templates without a Tencent Cloud template id: {', '.join(without_id)}; "
                "those messages would fail.",
                hint="Add name=<template id> pairs to SMS_TENCENT_TEMPLATES (.env.example).",
                id="sms.W001",
            )
        )
    return errors
