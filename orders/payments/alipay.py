"""The Alipay open-platform client (``python-alipay-sdk``, RSA2), built from settings, and the few calls we make,
each turning any SDK or network failure into ``ProviderUnavailable``.

Rules (see docs/payments.md): keys are PEM (the bare base64 of Alipay's console gets its armour); every call has a
timeout; page and WAP pay only sign a query string (no request); business failures come back as a dict whose
``code`` is not ``"10000"`` (returned, for the caller to judge by ``sub_code``); gateway errors raise
``AliPayException``, a badly signed answer ``AliPayValidationError``, the network urllib's own errors. The SDK's
request timestamp is naive local time: right only because Django sets ``TZ`` to ``Asia/Shanghai``.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.utils import AliPayConfig
from django.conf import settings

from orders.payments.attempts import public_notify_url
from orders.payments.errors import ProviderUnavailable

BEIJING = ZoneInfo("Asia/Shanghai")  # Alipay's times are Beijing time, written without a zone
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TIMEOUT = 10  # seconds (urllib's, for connecting and each read)
SUCCESS = "10000"
KEYS = ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY", "ALIPAY_GATEWAY")
PAY_METHODS = {"page": "api_alipay_trade_page_pay", "wap": "api_alipay_trade_wap_pay"}


def notify_url() -> str:
    """Where Alipay posts notifications: ``ALIPAY_NOTIFY_URL``, else the notify path on ``WAGTAILADMIN_BASE_URL``
    when that is https; empty when neither."""
    return public_notify_url(settings.ALIPAY_NOTIFY_URL, "alipay_notify")


def alipay_enabled() -> bool:
    """Whether Alipay is configured: app id, both keys, the gateway and a public notify address."""
    return all(getattr(settings, name, "") for name in KEYS) and bool(notify_url())


def pem(value: str, kind: str) -> str:
    """A key from the environment as PEM: ``\\n`` written for line breaks is undone, and the bare base64 of
    Alipay's console is wrapped in the armour of ``kind`` (``PRIVATE KEY`` / ``PUBLIC KEY``; the SDK's key loader
    reads PKCS#1 and PKCS#8 under either)."""
    text = value.replace("\\n", "\n").strip()
    if text.startswith("-----BEGIN"):
        return text
    body = "".join(text.split())
    return f"-----BEGIN {kind}-----\n" + "\n".join(textwrap.wrap(body, 64)) + f"\n-----END {kind}-----"


def alipay_client() -> AliPay:
    """The SDK client for our app (RSA2), on ``ALIPAY_GATEWAY``; ``ProviderUnavailable`` for a key it cannot read."""
    try:
        client = AliPay(
            appid=settings.ALIPAY_APP_ID,
            app_private_key_string=pem(settings.ALIPAY_APP_PRIVATE_KEY, "PRIVATE KEY"),
            alipay_public_key_string=pem(settings.ALIPAY_PUBLIC_KEY, "PUBLIC KEY"),
            sign_type="RSA2",
            config=AliPayConfig(timeout=TIMEOUT),
        )
    except Exception as exc:  # pycryptodome's ValueError/IndexError for a key it cannot read
        raise ProviderUnavailable(f"Alipay client: {type(exc).__name__}: {exc}") from exc
    client._gateway = settings.ALIPAY_GATEWAY  # the SDK has no setting for it
    return client


def beijing(moment: datetime) -> str:
    """Alipay's times: Beijing time, to the second, no zone (``2026-11-30 10:34:56``)."""
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def parse_beijing(text: str) -> datetime | None:
    """An Alipay time (Beijing, no zone) as an aware datetime; None when it is not one."""
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)
    except (TypeError, ValueError):
        return None


def pay_url(kind: str, **params: Any) -> str:
    """The address of Alipay's cashier for a trade (``kind`` page or wap): the gateway and the signed query string.
    Nothing is sent: the trade exists at Alipay once the shopper's browser arrives."""
    try:
        query = getattr(alipay_client(), PAY_METHODS[kind])(**params)
    except ProviderUnavailable:
        raise
    except Exception as exc:
        raise ProviderUnavailable(f"Alipay {kind} pay: {type(exc).__name__}: {exc}") from exc
    return f"{settings.ALIPAY_GATEWAY}?{query}"


def call(method: str, **params: Any) -> dict[str, Any]:
    """Call the SDK's ``method`` (a signed, verified request): the ``*_response`` dict, business failures
    included (``code`` other than ``"10000"``). ``ProviderUnavailable`` for a gateway error, a badly signed or
    unreadable answer, or a gateway that cannot be reached."""
    try:
        answer = getattr(alipay_client(), method)(**params)
    except ProviderUnavailable:
        raise
    except Exception as exc:  # AliPayException, AliPayValidationError, urllib's URLError/HTTPError, JSON errors
        raise ProviderUnavailable(f"Alipay {method}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(answer, dict):
        raise ProviderUnavailable(f"Alipay {method}: unexpected answer {answer!r}")
    return answer


def failure(what: str, answer: dict[str, Any]) -> ProviderUnavailable:
    """A business failure we cannot act on, for the log."""
    return ProviderUnavailable(
        f"Alipay {what}: {answer.get('code')} {answer.get('sub_code')} {answer.get('sub_msg') or answer.get('msg')}"
    )


def query(out_trade_no: str) -> dict[str, Any]:
    """The trade as Alipay knows it (``sub_code`` ``ACQ.TRADE_NOT_EXIST`` before the shopper reached the cashier)."""
    return call("api_alipay_trade_query", out_trade_no=out_trade_no)


def close(out_trade_no: str) -> dict[str, Any]:
    """Close an unpaid trade; ``ACQ.TRADE_NOT_EXIST`` when it was never opened, ``ACQ.TRADE_STATUS_ERROR`` when it
    is paid or closed already."""
    return call("api_alipay_trade_close", out_trade_no=out_trade_no)


def refund(*, out_trade_no: str, out_request_no: str, refund_amount: str, refund_reason: str) -> dict[str, Any]:
    """Ask for a refund (``alipay.trade.refund``, answered at once): ``refund_amount`` a yuan string, at most what
    was paid less what was refunded; ``out_request_no`` (at most 64 characters) makes it idempotent: the same one
    again moves nothing and answers ``fund_change`` ``"N"``."""
    return call(
        "api_alipay_trade_refund",
        refund_amount=refund_amount,
        out_trade_no=out_trade_no,
        out_request_no=out_request_no,
        refund_reason=refund_reason,
    )


def query_refund(*, out_trade_no: str, out_request_no: str) -> dict[str, Any]:
    """A refund as Alipay knows it (``alipay.trade.fastpay.refund.query``): ``refund_status`` ``REFUND_SUCCESS``
    once made; no ``refund_status`` when Alipay never received it (or refused it)."""
    return call("api_alipay_trade_fastpay_refund_query", out_request_no=out_request_no, out_trade_no=out_trade_no)


def verified_notification(form: dict[str, str]) -> bool:
    """Whether the SDK verifies the notification's RSA2 signature (over every field but ``sign`` and
    ``sign_type``, as Alipay signs: empty ones left out). The signature only: app id, seller, times and amounts are
    the caller's to check."""
    data = {name: value for name, value in form.items() if value != ""}  # a copy: the SDK changes what it is given
    signature = data.pop("sign", "")
    if not signature:
        return False
    try:
        return bool(alipay_client().verify(data, signature))
    except Exception:  # another sign_type (AliPayException), a signature that is not base64, a bad key
        return False
