"""Customer accounts: register, log in (the guest cart comes along), log out, password reset, order history."""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from orders.cart import add_to_cart
from orders.models import Cart
from storefront import ratelimit
from storefront.cart import COOKIE_NAME
from tests import factories
from tests.fixtures.http import messages_of
from tests.orders.helpers import cart_with, checkout
from tests.storefront.shop import guest_cart, stocked_variant

LOGIN = "/en/account/login/"
REGISTER = "/en/account/register/"
HISTORY = "/en/account/orders/"


@pytest.fixture
def oil(warehouse):
    return stocked_variant((warehouse, 20), price=6800, name="秀山野生山茶油")


@pytest.fixture
def honey(warehouse):
    return stocked_variant((warehouse, 20), price=3100, name="秀山土蜂蜜")


@pytest.fixture
def customer(db):
    return factories.make_user("zhangwei")  # password "pw"


def cookie_was_cleared(response) -> bool:
    morsel = response.cookies.get(COOKIE_NAME)
    return morsel is not None and morsel.value == "" and morsel["max-age"] == 0


def test_register_signs_in_and_brings_the_guest_cart(client, oil):
    cart = guest_cart(client, (oil, 2))

    response = client.post(
        REGISTER,
        {
            "username": "liming",
            "email": "liming@example.com",
            "password1": "Xiushan-2025!",
            "password2": "Xiushan-2025!",
        },
    )

    user = User.objects.get(username="liming")
    assert response.status_code == 302 and response["Location"] == HISTORY
    assert user.email == "liming@example.com"
    assert cookie_was_cleared(response)
    cart.refresh_from_db()
    assert cart.user == user
    page = client.get(HISTORY)
    assert page.status_code == 200 and "Welcome! Your account has been created." in messages_of(page)
    assert '<span class="cart-count" aria-hidden="true">2</span>' in page.content.decode()


def test_register_refuses_a_taken_email_and_mismatched_passwords(client, customer):
    response = client.post(
        REGISTER,
        {"username": "other", "email": "ZhangWei@example.com", "password1": "Xiushan-2025!", "password2": "nope"},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["email"] == ["An account with this e-mail address already exists."]
    assert "password2" in errors
    assert not User.objects.filter(username="other").exists()
    assert 'aria-invalid="true"' in response.content.decode()


def test_login_merges_the_guest_cart_into_the_accounts_cart(client, customer, oil, honey):
    account_cart = Cart.objects.create(user=customer)
    add_to_cart(account_cart, oil.pk, 1)
    guest = guest_cart(client, (oil, 2), (honey, 1))

    response = client.post(LOGIN, {"username": "zhangwei", "password": "pw"})

    assert response.status_code == 302 and response["Location"] == HISTORY
    assert cookie_was_cleared(response)
    assert not Cart.objects.filter(pk=guest.pk).exists()
    assert sorted(account_cart.lines.values_list("variant_id", "quantity")) == sorted([(oil.pk, 3), (honey.pk, 1)])
    html = client.get("/en/cart/").content.decode()
    assert '<span class="cart-count" aria-hidden="true">4</span>' in html


def test_login_without_a_guest_cart_keeps_the_accounts_cart(client, customer, oil):
    account_cart = Cart.objects.create(user=customer)
    add_to_cart(account_cart, oil.pk, 1)

    client.post(LOGIN, {"username": "zhangwei", "password": "pw"})

    assert list(Cart.objects.all()) == [account_cart] and account_cart.lines.count() == 1


def test_login_follows_a_safe_next_only(client, customer):
    safe = client.post(LOGIN, {"username": "zhangwei", "password": "pw", "next": "/en/checkout/"})
    client.logout()
    unsafe = client.post(LOGIN, {"username": "zhangwei", "password": "pw", "next": "https://evil.example/"})

    assert safe["Location"] == "/en/checkout/"
    assert unsafe["Location"] == HISTORY


def test_wrong_password_is_a_form_error(client, customer):
    response = client.post(LOGIN, {"username": "zhangwei", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(client, customer):
    client.force_login(customer)

    assert client.get("/en/account/logout/").status_code == 405
    assert client.get(HISTORY).status_code == 200
    response = client.post("/en/account/logout/", follow=True)
    assert "You are logged out." in messages_of(response)
    assert client.get(HISTORY).status_code == 302


def test_password_reset_by_email(client, customer):
    response = client.post("/en/account/password-reset/", {"email": "zhangwei@example.com"})

    assert response["Location"] == "/en/account/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["zhangwei@example.com"]
    assert "Reset your Dexiu Market password" in message.subject
    link = re.search(r"http://testserver(/en/account/password-reset/\S+/)", message.body)[1]

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Xiushan-2025!", "new_password2": "Xiushan-2025!"}
    )
    assert done["Location"] == "/en/account/password-reset/done/"
    assert client.post(LOGIN, {"username": "zhangwei", "password": "Xiushan-2025!"}).status_code == 302
    assert not client.get(link, follow=True).context["validlink"]  # used once


def test_password_reset_for_an_unknown_email_sends_nothing_but_looks_the_same(client, customer):
    response = client.post("/en/account/password-reset/", {"email": "nobody@example.com"})

    assert response["Location"] == "/en/account/password-reset/sent/"
    assert mail.outbox == []


def test_order_history_lists_only_the_customers_own_orders(client, customer, oil):
    mine = [checkout(cart_with((oil, 1)), user=customer) for _ in range(2)]
    theirs = checkout(cart_with((oil, 1)), user=factories.make_user())
    guests = checkout(cart_with((oil, 1)))
    client.force_login(customer)

    response = client.get(HISTORY)

    html = response.content.decode()
    assert [order.pk for order in response.context["orders"]] == [mine[1].pk, mine[0].pk]
    assert all(f"/en/orders/{order.token}/" in html for order in mine)
    assert theirs.number not in html and guests.number not in html
    assert client.get(HISTORY, {"page": "abc"}).status_code == 200


def test_order_history_needs_a_login(client, db):
    response = client.get(HISTORY)

    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next={HISTORY}"


def test_header_shows_account_links(client, customer):
    anonymous = client.get("/en/products/").content.decode()
    client.force_login(customer)
    signed_in = client.get("/en/products/").content.decode()

    assert f'href="{LOGIN}"' in anonymous and f'href="{REGISTER}"' in anonymous
    assert f'href="{HISTORY}"' in signed_in and 'action="/en/account/logout/"' in signed_in


def test_account_forms_need_the_csrf_token(customer):
    strict = Client(enforce_csrf_checks=True)

    assert strict.post(LOGIN, {"username": "zhangwei", "password": "pw"}).status_code == 403
    assert strict.post(REGISTER, {"username": "x", "email": "x@example.com"}).status_code == 403
    assert strict.post("/en/account/password-reset/", {"email": "zhangwei@example.com"}).status_code == 403
    strict.force_login(customer)
    assert strict.post("/en/account/logout/").status_code == 403
    assert mail.outbox == [] and not User.objects.filter(username="x").exists()


def test_login_is_rate_limited_per_client(client, customer, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    settings.LOGIN_RATE_LIMIT = "3/m"
    for _ in range(3):
        assert client.post(LOGIN, {"username": "zhangwei", "password": "wrong"}).status_code == 200

    blocked = client.post(LOGIN, {"username": "zhangwei", "password": "pw"})

    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode() and blocked["Retry-After"] == "60"
    assert "_auth_user_id" not in client.session
    assert client.get(LOGIN).status_code == 200  # only POSTs count
    factories.make_user("lina")  # zhangwei's own budget is spent too (see test_abuse_limits.py)
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.post(LOGIN, {"username": "lina", "password": "pw"}).status_code == 302


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        (LOGIN, ["username", "password"]),
        (REGISTER, ["username", "email", "password1", "password2"]),
        ("/en/account/password-reset/", ["email"]),
    ],
)
def test_account_pages_have_a_label_for_every_field(client, db, url, fields):
    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200 and 'name="csrfmiddlewaretoken"' in html
    for field in fields:
        assert f'<label for="id_{field}">' in html, field


def test_password_reset_pages_render(client, db):
    assert "Check your e-mail" in client.get("/en/account/password-reset/sent/").content.decode()
    assert "Password changed" in client.get("/en/account/password-reset/done/").content.decode()
    bad_link = client.get("/en/account/password-reset/MQ/bad-token/").content.decode()
    assert "This link is invalid or has already been used." in bad_link
