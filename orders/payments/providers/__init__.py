"""The payment providers, one module each, behind ``base.Provider``; which are offered, and in which order.

A provider is offered when its settings are complete (``is_enabled``) and it serves the shopper's device
(``rank``); the first is the one the pay page opens with, the others are a tap away.
"""

from __future__ import annotations

from stripe import StripeError

from orders.payments.errors import ProviderUnavailable
from orders.payments.providers.alipay import AlipayProvider
from orders.payments.providers.base import Checkout, Device, Flow, Provider, device_of
from orders.payments.providers.demo import DemoProvider
from orders.payments.providers.stripe import StripeProvider
from orders.payments.providers.wechat import WeChatPayProvider

PROVIDERS: dict[str, Provider] = {
    provider.name: provider for provider in (WeChatPayProvider(), AlipayProvider(), StripeProvider(), DemoProvider())
}

# A provider's API failing (down, refusing our keys, a badly signed answer): the shopper tries again shortly.
UNAVAILABLE: tuple[type[Exception], ...] = (StripeError, ProviderUnavailable)


def enabled_providers() -> list[Provider]:
    """Every provider whose settings are complete, in the registry's order."""
    return [provider for provider in PROVIDERS.values() if provider.is_enabled()]


def providers_for(device: Device) -> list[Provider]:
    """The enabled providers offered on ``device``, best first."""
    ranked = [(provider.rank(device), n, provider) for n, provider in enumerate(enabled_providers())]
    offered = [item for item in ranked if item[0] is not None]  # None (not offered) cannot be sorted with ranks
    return [provider for _rank, _n, provider in sorted(offered, key=lambda item: item[:2])]


def get_provider(name: str) -> Provider | None:
    """The enabled provider called ``name``, or None."""
    provider = PROVIDERS.get(name)
    return provider if provider is not None and provider.is_enabled() else None


__all__ = [
    "PROVIDERS",
    "UNAVAILABLE",
    "Checkout",
    "Device",
    "Flow",
    "Provider",
    "ProviderUnavailable",
    "device_of",
    "enabled_providers",
    "get_provider",
    "providers_for",
]
