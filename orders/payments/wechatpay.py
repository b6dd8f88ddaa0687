"""The WeChat Pay API v3 client (``wechatpayv3`` SDK, WeChat Pay public key mode), built from settings, and the
few calls we make, each turning any failure into ``ProviderUnavailable``.

Rules (see docs/payments.md): the merchant key is PKCS#8; every call has a timeout; the SDK raises nothing on a
4xx/5xx (``(status, text)``), raises on a badly signed 2xx, and ``requests`` raises when the gateway is down.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from django.conf import settings
from wechatpayv3 import WeChatPay, WeChatPayType

from orders.payments.attempts import public_notify_url
from orders.payments.errors import ProviderUnavailable

CHINA = timezone(timedelta(hours=8))
TIMEOUT = (3, 10)  # seconds to connect, to read
KEYS = (
    "WECHATPAY_MCHID",
    "WECHATPAY_APPID",
    "WECHATPAY_CERT_SERIAL_NO",
    "WECHATPAY_PRIVATE_KEY",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_PUBLIC_KEY",
    "WECHATPAY_PUBLIC_KEY_ID",
)


def notify_url() -> str:
    """Where WeChat Pay posts notifications: ``WECHATPAY_NOTIFY_URL``, else the notify path on
    ``WAGTAILADMIN_BASE_URL`` when that is https (WeChat Pay accepts only https); empty when neither."""
    return public_notify_url(settings.WECHATPAY_NOTIFY_URL, "wechatpay_notify")


def wechatpay_enabled() -> bool:
    """Whether WeChat Pay is configured: every key set and a public notify address."""
    return all(getattr(settings, name, "") for name in KEYS) and bool(notify_url())


def _pem(value: str) -> str:
    """A PEM from the environment, where its line breaks may be written ``\\n``."""
    return value.replace("\\n", "\n").strip()


def wechatpay_client() -> WeChatPay:
    """The SDK client for our merchant (Native by default; each call names its type)."""
    client = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=settings.WECHATPAY_MCHID,
        private_key=_pem(settings.WECHATPAY_PRIVATE_KEY),
        cert_serial_no=settings.WECHATPAY_CERT_SERIAL_NO,
        appid=settings.WECHATPAY_APPID,
        apiv3_key=settings.WECHATPAY_APIV3_KEY,
        notify_url=notify_url(),
        public_key=_pem(settings.WECHATPAY_PUBLIC_KEY),
        public_key_id=settings.WECHATPAY_PUBLIC_KEY_ID,
        timeout=TIMEOUT,
    )
    client._core._gate_way = settings.WECHATPAY_API_BASE.rstrip("/")  # the SDK has no setting for it
    return client


def rfc3339(moment: datetime) -> str:
    """WeChat's times: China time with its offset, to the second (``2026-11-30T10:34:56+08:00``)."""
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat()


class ApiAnswer:
    """A WeChat Pay answer: the HTTP status and the JSON document (``{}`` when there is none)."""

    def __init__(self, status: int, text: Any):
        self.status = status
        try:
            document = json.loads(text) if text else {}
        except (TypeError, ValueError):
            document = {}
        self.data: dict[str, Any] = document if isinstance(document, dict) else {}

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str:
        return str(self.data.get("code", ""))


def call(method: str, **params: Any) -> ApiAnswer:
    """Call the SDK's ``method``; ``ProviderUnavailable`` when the client cannot be built (a bad key), the gateway
    is unreachable, or its answer is badly signed. Error answers (4xx, 5xx) are returned, not raised."""
    try:
        status, text = getattr(wechatpay_client(), method)(**params)
    except Exception as exc:  # requests' errors, the SDK's bare Exception for a bad key or signature
        raise ProviderUnavailable(f"WeChat Pay {method}: {type(exc).__name__}: {exc}") from exc
    return ApiAnswer(status, text)


def create(kind: str, **params: Any) -> ApiAnswer:
    """Place a transaction (``kind`` native, h5 or jsapi, which needs ``payer={"openid": …}``); the same request
    again gets the same answer."""
    pay_type = {"native": WeChatPayType.NATIVE, "h5": WeChatPayType.H5, "jsapi": WeChatPayType.JSAPI}[kind]
    return call("pay", pay_type=pay_type, **params)


def jsapi_params(appid: str, prepay_id: str) -> dict[str, str]:
    """What ``WeixinJSBridge.invoke('getBrandWCPayRequest', …)`` needs for a JSAPI transaction: ``paySign`` is the
    merchant key's SHA256withRSA over ``appId\ntimeStamp\nnonceStr\npackage\n`` (the SDK's ``sign``).
    ``ProviderUnavailable`` when the key cannot sign."""
    params = {
        "appId": appid,
        "timeStamp": str(int(time.time())),
        "nonceStr": secrets.token_hex(16),
        "package": f"prepay_id={prepay_id}",
        "signType": "RSA",
    }
    try:
        signed = wechatpay_client().sign([params["appId"], params["timeStamp"], params["nonceStr"], params["package"]])
    except Exception as exc:  # the SDK's bare Exception for a bad key
        raise ProviderUnavailable(f"WeChat Pay JSAPI sign: {type(exc).__name__}: {exc}") from exc
    return {**params, "paySign": signed}


def query(out_trade_no: str) -> ApiAnswer:
    """The transaction as WeChat Pay knows it (404 ``ORDER_NOT_EXIST`` when it was never placed)."""
    return call("query", out_trade_no=out_trade_no)


def close(out_trade_no: str) -> ApiAnswer:
    """Close an unpaid transaction (204); ``ORDERPAID`` when it was paid meanwhile."""
    return call("close", out_trade_no=out_trade_no)


def refund(**params: Any) -> ApiAnswer:
    """Ask for a refund (``out_refund_no`` our refund's key); the same request again gets the same answer, the
    same ``out_refund_no`` with other parameters ``INVALID_REQUEST``. Usually answered ``PROCESSING``."""
    return call("refund", **params)


def query_refund(out_refund_no: str) -> ApiAnswer:
    """The refund as WeChat Pay knows it (404 ``RESOURCE_NOT_EXISTS`` when it never received it)."""
    return call("query_refund", out_refund_no=out_refund_no)


def verified_notification(headers: dict[str, str], body: str) -> dict[str, Any] | None:
    """The notification, its ``resource`` decrypted, when the SDK verifies its signature and decrypts it; else None."""
    try:
        event = wechatpay_client().callback(headers, body)
    except Exception:  # an unsupported signature type or algorithm, a malformed body
        return None
    return event if isinstance(event, dict) else None
