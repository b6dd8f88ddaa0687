"""Abuse limits on every sign-in path (shop and admin share one budget per client and per account),
password resets, registration; the proxy-resolved client key; logins and checkout fail closed when the
cache is down, the other limits fail open."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client, RequestFactory

from core import roles
from orders.models import Order
from storefront import ratelimit
from tests import factories
from tests.storefront.shop import checkout_data, guest_cart, stocked_variant

LOGIN = "/en/account/login/"
ADMIN_LOGIN = "/admin/login/"
RESET = "/en/account/password-reset/"
ADMIN_RESET = "/admin/password_reset/"
REGISTER = "/en/account/register/"
CHECKOUT = "/en/checkout/"
# Django's cache on Redis, at a port nothing listens on.
REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The limiter's clock, stopped at the start of a minute (and an hour)."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


@pytest.fixture
def customer():
    return factories.make_user("zhangwei")  # password "pw", zhangwei@example.com


@pytest.fixture
def operator():
    return factories.make_user("ops", group=roles.OPERATORS)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def registration(n: int) -> dict:
    return {
        "username": f"buyer{n}",
        "email": f"buyer{n}@example.com",
        "password1": "x7!Kp2qLz",
        "password2": "x7!Kp2qLz",
    }


# --- logins ---------------------------------------------------------------------------------------


def test_admin_login_is_limited_and_shares_the_shop_logins_budget(client, operator, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    assert client.post(LOGIN, {"username": "ops", "password": "wrong"}).status_code == 200
    for _ in range(2):
        assert client.post(ADMIN_LOGIN, {"username": "ops", "password": "wrong"}).status_code == 200

    blocked = client.post(ADMIN_LOGIN, {"username": "ops", "password": "pw"})

    assert blocked.status_code == 429 and blocked["Retry-After"] == "60"
    assert "尝试次数过多" in blocked.content.decode()  # the admin's URLs have no language prefix
    assert not signed_in(client)
    assert client.get(ADMIN_LOGIN).status_code == 200  # showing the form is not limited


def test_admin_login_still_signs_in_an_operator(client, operator):
    response = client.post(ADMIN_LOGIN, {"username": "ops", "password": "pw"})

    assert response.status_code == 302 and signed_in(client)


def test_admin_login_refuses_a_customer_like_a_wrong_password_and_counts_the_attempt(client, customer, settings):
    settings.LOGIN_RATE_LIMIT = "2/m"
    wrong = client.post(ADMIN_LOGIN, {"username": "zhangwei", "password": "nope"})

    refused = client.post(ADMIN_LOGIN, {"username": "zhangwei", "password": "pw"})

    assert refused.status_code == 200 and not signed_in(client)
    assert refused.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    assert refused.context["form"].non_field_errors()
    assert client.get("/admin/").status_code == 302  # no admin session
    assert client.post(ADMIN_LOGIN, {"username": "zhangwei", "password": "pw"}).status_code == 429
    # The shop still lets the customer in, from another address.
    shop = Client(REMOTE_ADDR="203.0.113.40")
    settings.LOGIN_RATE_LIMIT = "5/m"
    assert shop.post(LOGIN, {"username": "zhangwei", "password": "pw"}).status_code == 302


def test_login_is_limited_per_account_across_addresses(customer, settings):
    settings.LOGIN_RATE_LIMIT = "3/m"
    for n in range(3):
        attacker = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert attacker.post(LOGIN, {"username": "ZhangWei", "password": "wrong"}).status_code == 200

    owner = Client(REMOTE_ADDR="203.0.113.9")
    blocked = owner.post(ADMIN_LOGIN, {"username": "zhangwei", "password": "pw"})

    assert blocked.status_code == 429 and not signed_in(owner)
    assert owner.post(LOGIN, {"username": "someone-else", "password": "pw"}).status_code == 200


def test_behind_one_trusted_proxy_two_clients_get_separate_login_budgets(customer, settings):
    settings.LOGIN_RATE_LIMIT = "2/m"
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")  # every request arrives from the proxy

    def attempt(address: str, username: str) -> int:
        data = {"username": username, "password": "wrong"}
        return proxy.post(ADMIN_LOGIN, data, HTTP_X_FORWARDED_FOR=address).status_code

    assert [attempt("192.0.2.1", f"a{n}") for n in range(2)] == [200, 200]
    assert attempt("192.0.2.1", "a3") == 429
    assert attempt("192.0.2.2", "b1") == 200


def test_the_429_page_is_translated_and_names_the_wait(settings):
    settings.REGISTRATION_RATE_LIMIT = "1/h"
    client = Client()
    client.post("/account/register/", registration(1))

    blocked = client.post("/account/register/", registration(2))

    html = blocked.content.decode()
    assert blocked.status_code == 429 and "尝试次数过多" in html and "请稍等一小时后再试" in html
    assert not User.objects.filter(username="buyer2").exists()


# --- password reset, registration ---------------------------------------------------------------


@pytest.mark.parametrize(("url", "too_many"), [(RESET, "Too many attempts"), (ADMIN_RESET, "尝试次数过多")])
def test_password_reset_is_limited_per_address(customer, operator, settings, url, too_many):
    settings.PASSWORD_RESET_RATE_LIMIT = "2/h"
    client = Client()
    for email in ("zhangwei@example.com", "ops@example.com"):
        assert client.post(url, {"email": email}).status_code == 302
    assert len(mail.outbox) == 2

    blocked = client.post(url, {"email": "zhangwei@example.com"})

    assert blocked.status_code == 429 and blocked["Retry-After"] == "3600"
    assert too_many in blocked.content.decode()
    assert len(mail.outbox) == 2


def test_password_reset_is_limited_per_e_mail_across_addresses_and_both_forms(customer, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = "2/h"
    assert Client(REMOTE_ADDR="198.51.100.1").post(RESET, {"email": "zhangwei@example.com"}).status_code == 302
    assert Client(REMOTE_ADDR="198.51.100.2").post(ADMIN_RESET, {"email": "ZhangWei@example.com"}).status_code == 302

    blocked = Client(REMOTE_ADDR="198.51.100.3").post(RESET, {"email": "zhangwei@example.com"})

    assert blocked.status_code == 429 and len(mail.outbox) == 2
    assert Client(REMOTE_ADDR="198.51.100.3").post(RESET, {"email": "other@example.com"}).status_code == 302


def test_registration_is_limited_per_address(client, settings):
    settings.REGISTRATION_RATE_LIMIT = "2/h"
    for n in range(2):
        assert Client().post(REGISTER, registration(n)).status_code == 302

    blocked = Client().post(REGISTER, registration(9))

    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()
    assert User.objects.filter(username__startswith="buyer").count() == 2
    assert Client(REMOTE_ADDR="203.0.113.5").post(REGISTER, registration(9)).status_code == 302


# --- when the cache (Redis) is down ---------------------------------------------------------------


def test_logins_fail_closed_with_a_try_again_page_when_the_cache_is_down(customer, settings):
    settings.CACHES = REDIS_DOWN
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"

    for url, message in ((LOGIN, "Please try again shortly"), (ADMIN_LOGIN, "请稍后再试")):
        client = Client(raise_request_exception=False)
        response = client.post(url, {"username": "zhangwei", "password": "pw"})
        assert response.status_code == 503, url
        assert response["Retry-After"] == "30"
        assert message in response.content.decode()
        assert not signed_in(client)


def test_checkout_fails_closed_when_the_cache_is_down(warehouse, settings):
    oil = stocked_variant((warehouse, 5), price=6800)
    client = Client()
    guest_cart(client, (oil, 1))
    data = checkout_data(client.get(CHECKOUT).context, phone="13812345678")
    settings.CACHES = REDIS_DOWN
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"

    response = Client(raise_request_exception=False, **{"HTTP_COOKIE": client.cookies.output(header="", sep=";")}).post(
        CHECKOUT, data
    )

    assert response.status_code == 503 and "Please try again shortly" in response.content.decode()
    assert not Order.objects.exists()


def test_reset_and_registration_fail_open_when_the_cache_is_down(customer, settings):
    settings.CACHES = REDIS_DOWN
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = Client(raise_request_exception=False)

    assert client.post(RESET, {"email": "zhangwei@example.com"}).status_code == 302
    assert len(mail.outbox) == 1
    assert client.post(REGISTER, registration(1)).status_code == 302
    assert User.objects.filter(username="buyer1").exists()


@pytest.mark.parametrize("backend", ["django.core.cache.backends.redis.RedisCache", "core.cache.ResilientRedisCache"])
def test_when_the_cache_is_down_only_fail_closed_limits_refuse(settings, backend):
    settings.CACHES = {"default": {**REDIS_DOWN["default"], "BACKEND": backend}}
    request = RequestFactory().post("/", {"name": "王经理"})

    for _ in range(2):  # also once the backend has noted Redis as down
        assert ratelimit.refusal(request, "contact", "CONTACT_RATE_LIMIT") is None
        assert ratelimit.refusal(request, "login", "LOGIN_RATE_LIMIT", fail_closed=True).status_code == 503
