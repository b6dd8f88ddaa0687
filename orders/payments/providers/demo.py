"""The demo payment: one button that marks the order paid without money, for keyless local runs under DEBUG."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.models import Order, PaymentProvider
from orders.payments.client import demo_payments_enabled
from orders.payments.providers.base import Checkout, Device, Flow, Provider


class DemoProvider(Provider):
    name = PaymentProvider.DEMO
    label = _("Demo (no real money)")

    def is_enabled(self) -> bool:
        return demo_payments_enabled()

    def rank(self, device: Device) -> int | None:
        return 100  # last, wherever it is offered

    def start(
        self, order: Order, *, device: Device, return_url: str, client_ip: str = "", openid: str = ""
    ) -> Checkout:
        """Nothing to start: the button posts to ``order_pay_demo`` (``services.pay_demo``)."""
        return Checkout(provider=self.name, flow=Flow.BUTTON)
