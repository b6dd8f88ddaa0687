"""The Stripe SDK client, built from settings."""

import stripe
from django.conf import settings

from orders.payments.wechatpay import wechatpay_enabled


def stripe_enabled() -> bool:
    """Whether real payments are configured (a secret key is set)."""
    return bool(settings.STRIPE_SECRET_KEY)


def demo_payments_enabled() -> bool:
    """The demo payment button: only for keyless local runs with DEBUG on (no Stripe nor WeChat Pay keys), never
    in production."""
    return settings.DEBUG and not stripe_enabled() and not wechatpay_enabled()


def stripe_client(*, http_client: stripe.HTTPClient | None = None) -> stripe.StripeClient:
    """A ``StripeClient`` with the secret key; ``STRIPE_API_BASE`` points it elsewhere (tests)."""
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses=base, http_client=http_client, max_network_retries=2
    )
