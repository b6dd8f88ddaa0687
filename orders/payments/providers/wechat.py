"""WeChat Pay direct (API v3): Native on a desk (a QR code the shopper scans with WeChat), H5 on a phone browser
(WeChat Pay's own page, which comes back to our return page); notifications, reconciliation and closing are in
``orders.payments.wechat_services``.

Inside WeChat, JSAPI (the in-app payment sheet) needs the shopper's openid from WeChat's OAuth, which the shop
does not ask for yet: there the Native QR code is shown too, and the shopper long-presses it to pay
(WeChat recognises a QR code in a page it shows).
"""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Order, PaymentProvider
from orders.payments.providers.base import Checkout, Device, Flow, Provider
from orders.payments.services import PaymentError
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

    def start(self, order: Order, *, device: Device, return_url: str, client_ip: str = "") -> Checkout:
        """A phone browser gets H5 (``Flow.REDIRECT`` to WeChat Pay's page, sent back to ``return_url``); a desk,
        and WeChat itself (no openid for JSAPI yet), the Native QR code (``Flow.QR``)."""
        kind = "h5" if device == Device.PHONE else "native"
        started = start_wechat_payment(order, kind=kind, client_ip=client_ip)
        if not started.url:  # WeChat Pay says it was paid meanwhile: applied, nothing left to pay
            raise PaymentError(gettext("This order can no longer be paid."))
        if kind == "h5":
            url = f"{started.url}&redirect_url={quote(return_url, safe='')}"
            return Checkout(provider=self.name, flow=Flow.REDIRECT, payment=started.payment, url=url)
        return Checkout(provider=self.name, flow=Flow.QR, payment=started.payment, qr=started.url)
