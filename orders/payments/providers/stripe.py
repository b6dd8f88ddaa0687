"""Stripe: a PaymentIntent paid through the Payment Element (cards, and Stripe's Alipay and WeChat Pay where
the operator's Stripe account offers them); webhooks and reconciliation in ``orders.payments.services``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.models import Order, PaymentProvider
from orders.payments.client import stripe_enabled
from orders.payments.providers.base import Checkout, Device, Flow, Provider
from orders.payments.services import start_payment


class StripeProvider(Provider):
    name = PaymentProvider.STRIPE
    label = _("Bank card")

    def is_enabled(self) -> bool:
        return stripe_enabled()

    def rank(self, device: Device) -> int | None:
        return 50  # after the providers' own apps, which shoppers here use

    def start(
        self, order: Order, *, device: Device, return_url: str, client_ip: str = "", openid: str = ""
    ) -> Checkout:
        session = start_payment(order)
        return Checkout(
            provider=self.name,
            flow=Flow.ELEMENT,
            payment=session.payment,
            status=session.status,
            client_secret=session.client_secret,
        )
