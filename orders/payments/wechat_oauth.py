"""WeChat's web OAuth for official accounts (网页授权), reduced to what WeChat Pay's JSAPI needs: the shopper's
openid, kept in their session.

Rules:
- Offered (``jsapi_enabled``) only when WeChat Pay is configured and the official account's secret is set; its
  AppID is ``WECHATPAY_OAUTH_APPID``, else ``WECHATPAY_APPID``. Otherwise the pay page shows the QR code, as before.
- ``authorize_redirect``: scope ``snsapi_base`` (silent, no consent page), a fresh random ``state`` kept in the
  session with the page to return to (our own path, never one taken from the request's parameters).
- ``finish_authorization`` (our callback) accepts only the session's pending ``state``, once, within
  ``STATE_MAX_AGE``: another's link (CSRF) or a replay is refused and nothing is stored. The code is exchanged at
  ``/sns/oauth2/access_token``; the openid is kept with the AppID it belongs to.
- A refused or failed exchange (WeChat's ``errcode``, WeChat unreachable) is remembered for ``RETRY_AFTER``:
  meanwhile the pay page shows the QR code instead of asking WeChat again, never an error page.
"""

from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from orders.payments.wechatpay import wechatpay_enabled

logger = logging.getLogger(__name__)

AUTHORIZE_BASE = "https://open.weixin.qq.com"
API_BASE = "https://api.weixin.qq.com"
TIMEOUT = (3, 10)  # seconds to connect, to read
STATE_MAX_AGE = 600  # seconds between our redirect and WeChat's callback (WeChat's code itself lives 5 minutes)
RETRY_AFTER = 600  # seconds the QR code is shown after a failed exchange before WeChat is asked again

PENDING = "wechat_oauth_pending"  # {"state", "next", "at"}
OPENID = "wechat_oauth_openid"  # {"appid", "openid"}
FAILED_AT = "wechat_oauth_failed_at"


class StateRefused(Exception):
    """The callback's ``state`` is not the session's pending one (another's link, a replay, or too old)."""


def oauth_appid() -> str:
    """The official account's AppID: ``WECHATPAY_OAUTH_APPID``, else ``WECHATPAY_APPID``."""
    return settings.WECHATPAY_OAUTH_APPID or settings.WECHATPAY_APPID


def jsapi_enabled() -> bool:
    """Whether JSAPI can be offered: WeChat Pay configured, and the official account's AppID and secret set."""
    return wechatpay_enabled() and bool(oauth_appid() and settings.WECHATPAY_OAUTH_SECRET)


def session_openid(request: HttpRequest) -> str:
    """The shopper's openid for the current AppID, or empty."""
    kept = request.session.get(OPENID) or {}
    return str(kept.get("openid") or "") if kept.get("appid") == oauth_appid() else ""


def wants_authorization(request: HttpRequest) -> bool:
    """Whether the pay page should send the shopper to WeChat's OAuth first: JSAPI enabled, no openid in the
    session, and no exchange failed within ``RETRY_AFTER``."""
    if not jsapi_enabled() or session_openid(request):
        return False
    return time.time() - float(request.session.get(FAILED_AT) or 0) > RETRY_AFTER


def authorize_redirect(request: HttpRequest, next_path: str) -> HttpResponseRedirect:
    """To WeChat's authorize page (snsapi_base), which comes back to our callback with a code and our state; the
    state and ``next_path`` (our page to return to) are kept in the session."""
    state = secrets.token_hex(16)  # WeChat allows a-zA-Z0-9, at most 128 bytes
    request.session[PENDING] = {"state": state, "next": next_path, "at": time.time()}
    query = urlencode(  # in the order WeChat's documentation gives
        {
            "appid": oauth_appid(),
            "redirect_uri": request.build_absolute_uri(reverse("wechat_oauth_callback")),
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
        }
    )
    base = (settings.WECHAT_OAUTH_BASE or AUTHORIZE_BASE).rstrip("/")
    return HttpResponseRedirect(f"{base}/connect/oauth2/authorize?{query}#wechat_redirect")


def finish_authorization(request: HttpRequest, *, state: str, code: str) -> tuple[str, bool]:
    """Our callback's work: the page to return to, and whether the openid is now in the session (False: the
    shopper declined or the exchange failed; remembered, so the pay page shows the QR code). ``StateRefused``
    when ``state`` is not the session's pending one; then nothing is stored or consumed."""
    pending = request.session.get(PENDING) or {}
    expected = str(pending.get("state") or "")
    if (
        not expected
        or not secrets.compare_digest(expected.encode(), (state or "").encode())
        or time.time() - float(pending.get("at") or 0) > STATE_MAX_AGE
    ):
        raise StateRefused()
    del request.session[PENDING]  # once: a replay of this callback is refused
    openid = exchange_code(code) if code else ""
    if not openid:
        request.session[FAILED_AT] = time.time()
        return str(pending["next"]), False
    request.session[OPENID] = {"appid": oauth_appid(), "openid": openid}
    request.session.pop(FAILED_AT, None)
    return str(pending["next"]), True


def exchange_code(code: str) -> str:
    """The openid WeChat gives for an authorization ``code``, or empty (logged) when it refuses the code
    (``errcode``, e.g. 40029 invalid code, 40163 code been used) or cannot be reached."""
    base = (settings.WECHAT_OAUTH_BASE or API_BASE).rstrip("/")
    params = {
        "appid": oauth_appid(),
        "secret": settings.WECHATPAY_OAUTH_SECRET,
        "code": code,
        "grant_type": "authorization_code",
    }
    try:
        response = requests.get(f"{base}/sns/oauth2/access_token", params=params, timeout=TIMEOUT)
        answer = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("WeChat OAuth code exchange failed: %s", type(exc).__name__)
        return ""
    if not isinstance(answer, dict) or answer.get("errcode") or not answer.get("openid"):
        found = answer if isinstance(answer, dict) else {}
        logger.warning(
            "WeChat OAuth refused the code: HTTP %s errcode %s %s",
            response.status_code,
            found.get("errcode"),
            found.get("errmsg"),
        )
        return ""
    return str(answer["openid"])
