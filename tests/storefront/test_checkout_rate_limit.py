"""Abuse limits on placing orders: per client, POSTs only, a clear 429 page; proxies trusted only when configured."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from orders.models import Order
from storefront import ratelimit
from storefront.ratelimit import Rate, client_address, parse_rate
from tests.storefront.shop import checkout_data, guest_cart, stocked_variant

CHECKOUT = "/en/checkout/"


@pytest.fixture
def clock(monkeypatch):
    """The limiter's clock, stopped at the start of a minute (tests never straddle a window)."""
    clock = SimpleNamespace(now=1_800_000_000.0)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def oil(warehouse, clock):
    return stocked_variant((warehouse, 50), price=6800)


def shopper(oil, **client_kwargs) -> tuple[Client, dict]:
    client = Client(**client_kwargs)
    guest_cart(client, (oil, 1))
    data = checkout_data(client.get(CHECKOUT).context, phone="bad")  # a form error: nothing is placed
    return client, data


def test_checkout_posts_beyond_the_limit_get_429_and_other_clients_do_not(oil, settings):
    settings.CHECKOUT_RATE_LIMIT = "2/m"
    client, data = shopper(oil)
    assert [client.post(CHECKOUT, data).status_code for _ in range(2)] == [200, 200]

    blocked = client.post(CHECKOUT, {**data, "phone": "13812345678"})

    assert blocked.status_code == 429 and blocked["Retry-After"] == "60"
    html = blocked.content.decode()
    assert "Too many attempts" in html and "Please wait a minute and try again." in html
    assert not Order.objects.exists()
    assert client.get(CHECKOUT).status_code == 200  # showing the page is not limited

    other, other_data = shopper(oil, REMOTE_ADDR="198.51.100.7")
    placed = other.post(CHECKOUT, {**other_data, "phone": "13812345678"})
    assert placed.status_code == 302 and Order.objects.count() == 1


def test_the_limit_starts_again_in_the_next_window(oil, settings, clock):
    settings.CHECKOUT_RATE_LIMIT = "1/m"
    client, data = shopper(oil)
    assert client.post(CHECKOUT, data).status_code == 200
    assert client.post(CHECKOUT, data).status_code == 429

    clock.now += 60

    assert client.post(CHECKOUT, data).status_code == 200


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(oil, settings):
    settings.CHECKOUT_RATE_LIMIT = "1/m"
    client, data = shopper(oil)

    assert client.post(CHECKOUT, data, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 200
    assert client.post(CHECKOUT, data, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 429


def test_behind_a_trusted_proxy_clients_are_told_apart_by_the_proxys_entry(oil, settings):
    settings.CHECKOUT_RATE_LIMIT = "1/m"
    settings.TRUSTED_PROXY_COUNT = 1
    client, data = shopper(oil)

    assert client.post(CHECKOUT, data, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 200
    assert client.post(CHECKOUT, data, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 200
    # A client cannot escape by sending its own header: the proxy appends the real address last.
    assert client.post(CHECKOUT, data, HTTP_X_FORWARDED_FOR="10.9.9.9, 192.0.2.1").status_code == 429


def test_client_address(settings):
    factory = RequestFactory()
    request = factory.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")

    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "2.2.2.2"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "1.1.1.1"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: fall back to the connection
    assert client_address(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(factory.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="junk")) == "127.0.0.1"


def test_parse_rate():
    assert parse_rate("10/m") == Rate(10, 60)
    assert parse_rate("5/s") == Rate(5, 1)
    assert parse_rate("100/h") == Rate(100, 3600)
    assert parse_rate("0") is None and parse_rate("") is None
    with pytest.raises(ImproperlyConfigured, match="10/m"):
        parse_rate("ten per minute")
