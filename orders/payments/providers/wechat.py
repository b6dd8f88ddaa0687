"""WeChat Pay direct (API v3): Native on a desk (a QR code the shopper scans with WeChat), H5 on a phone browser
(WeChat Pay's own page, which comes back to our return page), JSAPI inside WeChat (the in-app payment sheet);
notifications, reconciliation and closing are in ``orders.payments.wechat_services``.

JSAPI needs the shopper's openid from the official account's web OAuth (``orders.payments.wechat_oauth``; the pay
page asks WeChat for it first). Inside WeChat without it — JSAPI not configured, the OAuth exchange failed, or
the shopper chose the code — the Native QR code is shown, and the shopper long-presses it to pay (WeChat
recognises a QR code in a page it shows).
"""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Order, PaymentProvider
from orders.payments import wechatpay
from orders.payments.providers.base import Checkout, Device, Flow, Provider
from orders.payments.services import PaymentError
from orders.payments.wechat_oauth import jsapi_enabled, oauth_appid
from orders.payments.wechat_services import start_wechat_payment
from orders.payments.wechatpay import wechatpay_enabled

RANKS = {Device.WECHAT: 0, Device.PHONE: 10, Device.DESKTOP: 10}


class WeChatPayProvider(Provider):
    name = PaymentProvider.WECHAT
    label = _("WeChat Pay")

    def is_enabled(self) -> bool:
        return wechatpay_enabled()

    def rank(self, device: Device) -> int | None:
        return RANKS.get(device)

    def start(
        self, order: Order, *, device: Device, return_url: str, client_ip: str = "", openid: str = ""
    ) -> Checkout:
        """Inside WeChat with the shopper's ``openid`` (and JSAPI configured), JSAPI (``Flow.JSAPI``, ``params``
        signed for ``WeixinJSBridge``'s ``getBrandWCPayRequest``); a phone browser, H5 (``Flow.REDIRECT`` to WeChat
        Pay's page, sent back to ``return_url``); a desk, and WeChat without an openid, the Native QR code
        (``Flow.QR``)."""
        if device == Device.WECHAT and openid and jsapi_enabled():
            kind = "jsapi"
        else:
            kind = "h5" if device == Device.PHONE else "native"
        started = start_wechat_payment(order, kind=kind, client_ip=client_ip, openid=openid)
        if not started.url:  # WeChat Pay says it was paid meanwhile: applied, nothing left to pay
            raise PaymentError(gettext("This order can no longer be paid."))
        if kind == "jsapi":
            params = wechatpay.jsapi_params(oauth_appid(), started.url)
            return Checkout(provider=self.name, flow=Flow.JSAPI, payment=started.payment, params=params)
        if kind == "h5":
            url = f"{started.url}&redirect_url={quote(return_url, safe='')}"
            return Checkout(provider=self.name, flow=Flow.REDIRECT, payment=started.payment, url=url)
        return Checkout(provider=self.name, flow=Flow.QR, payment=started.payment, qr=started.url)
