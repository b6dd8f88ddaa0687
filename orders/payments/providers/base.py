"""What every payment provider offers the pay page, whatever its API: the interface and the shopper's device.

A provider (``Provider``) is enabled by its settings alone (its keys in the environment). For an order it
``start``s a checkout: the payment row it made (one attempt of the order) and what the shopper's browser
must do to pay (``Checkout.flow``): Stripe's Payment Element, a QR code to scan with a phone (desk), a page
of the provider's to open (phone browser), the in-app payment inside WeChat, or the demo button. Which
providers are offered, and in which order, depends on the device (``Provider.rank``): inside WeChat, WeChat
Pay comes first; on a phone browser, the providers' phone pages; on a desk, QR codes.

An order becomes paid only from what the provider itself says — a verified notification or an answer to
our query (``orders.payments.services.apply_intent_succeeded``) — never from the shopper's return page.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from orders.models import Order, Payment


class Device(StrEnum):
    """Where the shopper pays from."""

    DESKTOP = "desktop"
    PHONE = "phone"
    WECHAT = "wechat"  # WeChat's in-app browser (its user agent says MicroMessenger)


PHONE_AGENT = re.compile(r"Mobi|Android|iPhone|iPad|iPod|HarmonyOS|OpenHarmony", re.IGNORECASE)
WECHAT_AGENT = re.compile(r"MicroMessenger", re.IGNORECASE)


def device_of(user_agent: str) -> Device:
    """The device a request's ``User-Agent`` tells of (a desk when it says nothing)."""
    if WECHAT_AGENT.search(user_agent or ""):
        return Device.WECHAT
    if PHONE_AGENT.search(user_agent or ""):
        return Device.PHONE
    return Device.DESKTOP


class Flow(StrEnum):
    """What the pay page shows for a checkout."""

    ELEMENT = "element"  # Stripe's Payment Element (card, and Stripe's own Alipay / WeChat Pay)
    QR = "qr"  # a code the shopper scans with the provider's app (``Checkout.qr``)
    REDIRECT = "redirect"  # the provider's own page (``Checkout.url``)
    JSAPI = "jsapi"  # WeChat's in-app payment sheet (``Checkout.params``)
    BUTTON = "button"  # the demo: one button, no money


@dataclass(frozen=True)
class Checkout:
    """A started checkout: the provider, how the shopper pays, and the payment row (None for the demo, whose
    row is made when its button is pressed)."""

    provider: str
    flow: Flow
    payment: Payment | None = None
    status: str = ""
    client_secret: str = ""
    qr: str = ""
    url: str = ""
    params: dict[str, Any] = field(default_factory=dict)


class Provider(ABC):
    """One way to pay (see the module). Subclasses set ``name`` (a ``PaymentProvider`` value) and ``label``."""

    name: str = ""
    label: Any = ""

    @abstractmethod
    def is_enabled(self) -> bool:
        """Whether its settings are complete (it is offered only then)."""

    @abstractmethod
    def rank(self, device: Device) -> int | None:
        """Its place on ``device``'s pay page (lower first), or None where it is not offered."""

    @abstractmethod
    def start(
        self, order: Order, *, device: Device, return_url: str, client_ip: str = "", openid: str = ""
    ) -> Checkout:
        """The checkout the shopper should complete now for ``order`` (a current one is reused, never a second
        payment made while one may still succeed); ``PaymentError`` when the order cannot be paid, one of
        ``providers.UNAVAILABLE`` when the provider's API fails. ``client_ip``: the shopper's address (WeChat
        Pay's H5 asks for it); ``openid``: the shopper's openid from WeChat's OAuth, when known (WeChat Pay's JSAPI
        needs it)."""
