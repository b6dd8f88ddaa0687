"""Alipay direct (open platform, RSA2): page pay on a desk (Alipay's cashier page: a QR code for the Alipay app,
or logging in), WAP pay on a phone browser (which opens the Alipay app); both come back to our return page.
Notifications, reconciliation and closing are in ``orders.payments.alipay_services``.

Not offered inside WeChat: WeChat blocks Alipay's pages in its browser. On a phone browser Alipay comes first
(its WAP pay opens the Alipay app directly; WeChat Pay's H5 needs the shopper to switch apps through a prompt).
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.models import Order, PaymentProvider
from orders.payments.alipay import alipay_enabled
from orders.payments.alipay_services import start_alipay_payment
from orders.payments.providers.base import Checkout, Device, Flow, Provider
from orders.payments.services import PaymentError

RANKS = {Device.PHONE: 5, Device.DESKTOP: 10}  # inside WeChat: not offered


class AlipayProvider(Provider):
    name = PaymentProvider.ALIPAY
    label = _("Alipay")

    def is_enabled(self) -> bool:
        return alipay_enabled()

    def rank(self, device: Device) -> int | None:
        return RANKS.get(device)

    def start(
        self, order: Order, *, device: Device, return_url: str, client_ip: str = "", openid: str = ""
    ) -> Checkout:
        """``Flow.REDIRECT`` to Alipay's cashier (page pay on a desk, WAP pay on a phone), which sends the shopper
        back to ``return_url``."""
        kind = "wap" if device == Device.PHONE else "page"
        started = start_alipay_payment(order, kind=kind, return_url=return_url)
        if not started.url:  # Alipay says it was paid meanwhile: applied, nothing left to pay
            raise PaymentError(gettext("This order can no longer be paid."))
        return Checkout(provider=self.name, flow=Flow.REDIRECT, payment=started.payment, url=started.url)
