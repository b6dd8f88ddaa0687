"""Sign-in and sign-up by mobile number with a 6-digit code sent by SMS through the outbox (console backend: the text
lands in the log), stored hashed, used once, expiring, void after too many wrong tries, rate-limited per number and
per client address (failing closed without Redis), and saying nothing about whether a number has an account.
Adding a verified mobile from the account page, and checkout starting with it."""

import logging
import re
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.utils import timezone

from orders.cart import add_to_cart
from orders.models import Cart
from storefront import ratelimit, tasks
from storefront.models import ShopperProfile, SignInCode
from tests import factories
from tests.fixtures.http import messages_of
from tests.fixtures.races import errors_in, run_together
from tests.fixtures.tencent_sms import TEMPLATES
from tests.storefront.shop import guest_cart, stocked_variant
from worker.models import Notification

LOGIN = "/en/account/login/"
SEND = "/en/account/phone/"
CODE = "/en/account/phone/code/"
RESEND = "/en/account/phone/resend/"
MOBILE = "/en/account/mobile/"
NAME = "/en/account/name/"
HISTORY = "/en/account/orders/"
CHECKOUT = "/en/checkout/"
NUMBER = "13800138000"
TYPED = "+86 138-0013-8000"  # as a shopper may type it
WRONG_OR_EXPIRED = "The code is wrong or has expired."

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The limiter's clock, stopped at the start of a minute (and an hour), so no window ends mid-test."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


@pytest.fixture
def texts(caplog, django_capture_on_commit_callbacks):
    """Post to a page with the outbox delivering what the request enqueued (console backend: the log)."""
    caplog.set_level(logging.INFO, logger="worker.sms")

    def post(client: Client, url: str, data: dict | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    post.logged = lambda: [r.getMessage() for r in caplog.records if r.name == "worker.sms"]
    LOGS[:] = [caplog]
    return post


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


LOGS: list = []  # the current test's log capture (``texts`` puts it here): the console backend's texts


def last_code(number: str = NUMBER) -> str:
    """The code in the last text message to ``number`` (what the shopper reads on their phone). The outbox keeps
    it only until the message is sent: the console backend's log is the shopper's phone here."""
    logged = [record.getMessage() for record in LOGS[0].records if record.name == "worker.sms"] if LOGS else []
    texts = [text for text in logged if text.startswith(f"SMS to +86{number} ")]
    assert texts, f"no code was texted to {number}"
    return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", texts[-1].split("): ", 1)[1]).group(0)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def shopper_with_mobile(username: str = "zhangwei", number: str = NUMBER, **extra) -> User:
    user = factories.make_user(username, **extra)
    ShopperProfile.objects.create(user=user, mobile=number, mobile_verified_at=timezone.now())
    return user


def ask_for_code(texts, client: Client, number: str = TYPED, **data):
    response = texts(client, SEND, {"phone": number, **data})
    assert response.status_code == 302 and response["Location"] == CODE
    return response


def time_passes(seconds: int) -> None:
    """Every code was sent ``seconds`` earlier."""
    for row in SignInCode.objects.all():
        SignInCode.objects.filter(pk=row.pk).update(
            created_at=row.created_at - timezone.timedelta(seconds=seconds),
            expires_at=row.expires_at - timezone.timedelta(seconds=seconds),
        )


# --- sending ---------------------------------------------------------------------------------------------


def test_a_code_is_texted_once_through_the_outbox_and_only_its_hmac_is_kept(client, texts):
    ask_for_code(texts, client)

    [notification] = Notification.objects.filter(channel="sms")
    code = last_code()
    assert re.fullmatch(r"[0-9]{6}", code)
    assert (notification.template, notification.recipient, notification.status) == ("login_code", NUMBER, "delivered")
    # Sent: the outbox keeps no copy of the code.
    assert notification.payload == {"code": "", "minutes": "10"} and notification.language == "en"
    [logged] = texts.logged()
    assert logged == (
        f"SMS to +86{NUMBER} (login_code, {notification.key}): "
        f"Your Dexiu Market sign-in code is {code}, valid for 10 minutes. Do not share it."
    )
    [row] = SignInCode.objects.values()
    assert row["phone"] == NUMBER and row["status"] == "active" and row["user_id"] is None
    assert code not in str(row)  # no column holds the code
    assert re.fullmatch(r"[0-9a-f]{16}\$[0-9a-f]{64}", row["code_hash"])
    assert (row["expires_at"] - row["created_at"]) == timezone.timedelta(minutes=10)

    page = client.get(CODE)
    html = page.content.decode()
    assert "We have sent a 6-digit code by text message to 138 0013 8000. It is valid for 10 minutes." in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert 'data-resend-wait="60"' in html and 'src="/static/storefront/js/phone-code.js"' in html


def test_with_tencent_cloud_sms_the_provider_gets_the_code_once_on_the_approved_template(client, texts, tencent_sms):
    ask_for_code(texts, client)

    assert tencent_sms.refused == []  # signed as the service requires
    [message] = tencent_sms.sent
    assert (message.phone, message.template_id) == (f"+86{NUMBER}", TEMPLATES["login_code"][0])
    assert re.fullmatch(r"[0-9]{6}", message.params[0]) and message.params[1] == "10"
    assert message.session_context == Notification.objects.get().key
    assert client.post(CODE, {"code": message.params[0]}).status_code == 302


def test_the_lifetime_is_a_setting_and_the_text_is_in_the_shoppers_language(texts, settings):
    settings.PHONE_CODE_MINUTES = 5
    response = texts(Client(), "/account/phone/", {"phone": "13900139000"})

    assert response["Location"] == "/account/phone/code/"
    assert Notification.objects.get(recipient="13900139000").language == "zh-hans"
    assert {n.payload["minutes"] for n in Notification.objects.all()} == {"5"}
    row = SignInCode.objects.get(phone="13900139000")
    assert row.expires_at - row.created_at == timezone.timedelta(minutes=5)


def test_a_number_that_is_no_mainland_mobile_is_a_form_error_and_sends_nothing(client, texts):
    response = texts(client, SEND, {"phone": "0534-2345678"})

    assert response.status_code == 200
    assert "Enter a mainland China mobile number (11 digits, starting with 1)." in response.content.decode()
    assert not Notification.objects.exists() and not SignInCode.objects.exists()


def test_a_new_code_waits_out_the_interval_and_replaces_the_last(client, texts):
    ask_for_code(texts, client)
    first = last_code()

    too_soon = texts(client, RESEND)

    assert too_soon["Location"] == CODE
    assert Notification.objects.count() == 1
    page = client.get(CODE)
    [message] = messages_of(page)
    assert re.fullmatch(r"Please wait (59|60) seconds before asking for a new code\.", message)

    time_passes(61)
    assert 'data-resend-wait="0"' in client.get(CODE).content.decode()
    texts(client, RESEND)
    second = last_code()
    assert Notification.objects.count() == 2
    assert list(SignInCode.objects.order_by("pk").values_list("status", flat=True)) == ["replaced", "active"]

    if first != second:
        wrong = client.post(CODE, {"code": first})
        assert WRONG_OR_EXPIRED in wrong.content.decode() and signed_in_user(client) is None
    assert client.post(CODE, {"code": second}).status_code == 302
    assert signed_in_user(client) is not None


# --- verifying ---------------------------------------------------------------------------------------------


def test_the_code_signs_in_to_the_account_that_verified_the_number_and_brings_the_guest_cart(client, texts, warehouse):
    customer = shopper_with_mobile()
    oil = stocked_variant((warehouse, 20), price=6800)
    guest = guest_cart(client, (oil, 2))
    ask_for_code(texts, client, next="/en/checkout/")

    response = client.post(CODE, {"code": last_code()})

    assert response.status_code == 302 and response["Location"] == "/en/checkout/"
    assert signed_in_user(client) == customer
    assert User.objects.count() == 1
    guest.refresh_from_db()
    assert guest.user == customer
    assert SignInCode.objects.get().status == "used"
    assert "You are logged in." in messages_of(client.get(HISTORY))


def test_a_new_number_gets_an_account_and_is_asked_for_a_name_it_may_skip(client, texts, warehouse):
    ask_for_code(texts, client)

    response = client.post(CODE, {"code": last_code()})

    assert response.status_code == 302 and response["Location"] == f"{NAME}?next=%2Fen%2Faccount%2Forders%2F"
    user = signed_in_user(client)
    assert user is not None and not user.has_usable_password()
    assert user.shopper_profile.mobile == NUMBER and user.shopper_profile.mobile_verified_at
    name_page = client.get(response["Location"])
    assert "Welcome! Your account has been created." in messages_of(name_page)
    assert f'href="{HISTORY}"' in name_page.content.decode()  # "Skip"

    saved = client.post(NAME, {"name": " 王芳 ", "next": HISTORY})

    assert saved["Location"] == HISTORY
    user.refresh_from_db()
    assert user.get_full_name() == "王芳"
    history = client.get(HISTORY).content.decode()
    assert "王芳" in history and "138 0013 8000" in history

    # Checkout starts with the name and the verified mobile.
    add_to_cart(Cart.objects.create(user=user), stocked_variant((warehouse, 5)).pk, 1)
    form = client.get(CHECKOUT).context["form"]
    assert (form["name"].value(), form["phone"].value(), form["email"].value()) == ("王芳", NUMBER, "")


def test_an_account_made_by_phone_without_a_name_starts_checkout_with_no_made_up_name(client, texts, warehouse):
    ask_for_code(texts, client)
    client.post(CODE, {"code": last_code()})
    user = signed_in_user(client)
    add_to_cart(Cart.objects.create(user=user), stocked_variant((warehouse, 5)).pk, 1)

    form = client.get(CHECKOUT).context["form"]

    assert (form["name"].value(), form["phone"].value()) == ("", NUMBER)


def test_a_code_signs_in_once_only(texts):
    shopper = Client()
    ask_for_code(texts, shopper)
    code = last_code()
    assert shopper.post(CODE, {"code": code}).status_code == 302

    # Someone else with the number in their session (no new code: the interval holds) tries the same code.
    other = Client(REMOTE_ADDR="203.0.113.7")
    ask_for_code(texts, other)
    replay = other.post(CODE, {"code": code})

    assert replay.status_code == 200 and WRONG_OR_EXPIRED in replay.content.decode()
    assert signed_in_user(other) is None
    assert User.objects.count() == 1 and Notification.objects.count() == 1


def test_a_code_expires(client, texts, settings):
    settings.PHONE_CODE_MINUTES = 5
    ask_for_code(texts, client)
    time_passes(5 * 60 + 1)

    response = client.post(CODE, {"code": last_code()})

    assert response.status_code == 200 and WRONG_OR_EXPIRED in response.content.decode()
    assert signed_in_user(client) is None and not User.objects.exists()


def test_too_many_wrong_tries_make_the_code_void(client, texts, settings):
    settings.PHONE_CODE_MAX_ATTEMPTS = 3
    ask_for_code(texts, client)
    code = last_code()

    for _ in range(3):
        wrong = client.post(CODE, {"code": other_code(code)})
        assert wrong.status_code == 200 and WRONG_OR_EXPIRED in wrong.content.decode()
        assert 'aria-invalid="true"' in wrong.content.decode()
    right = client.post(CODE, {"code": code})

    assert right.status_code == 200 and WRONG_OR_EXPIRED in right.content.decode()
    assert signed_in_user(client) is None
    row = SignInCode.objects.get()
    assert (row.status, row.failed_attempts) == ("void", 3)


def test_a_malformed_code_is_a_form_error_and_costs_no_try(client, texts):
    ask_for_code(texts, client)

    response = client.post(CODE, {"code": "12a45"})

    assert "Enter the 6-digit code from the text message." in response.content.decode()
    assert SignInCode.objects.get().failed_attempts == 0


def test_the_code_page_without_a_number_goes_back_to_sign_in(client):
    assert client.get(CODE)["Location"] == LOGIN
    assert client.post(RESEND)["Location"] == LOGIN
    assert client.get(SEND)["Location"] == LOGIN


def test_codes_are_forgotten_a_day_after_they_were_sent(client, texts):
    ask_for_code(texts, client)
    time_passes(23 * 3600)
    assert tasks.delete_old_sign_in_codes() == 0

    time_passes(3600 + 1)

    assert tasks.delete_old_sign_in_codes() == 1
    assert not SignInCode.objects.exists()


def test_an_account_with_back_office_access_signs_in_with_its_password_only(client, texts):
    shopper_with_mobile("ops", is_staff=True)
    ask_for_code(texts, client)

    response = client.post(CODE, {"code": last_code()}, follow=True)

    assert response.redirect_chain[-1][0] == LOGIN
    assert messages_of(response) == ["Accounts with back-office access sign in with their user name and password."]
    assert signed_in_user(client) is None


# --- the answers say nothing about accounts ---------------------------------------------------------------


def _page_without_secrets(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace("138 0013 8000", "<number>").replace("139 0013 9000", "<number>")


def test_the_answers_are_the_same_whether_the_number_has_an_account_or_not(texts):
    shopper_with_mobile()
    known, unknown = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="198.51.100.2")

    sent = [texts(known, SEND, {"phone": NUMBER}), texts(unknown, SEND, {"phone": "13900139000"})]
    pages = [known.get(CODE), unknown.get(CODE)]
    wrong = [c.post(CODE, {"code": other_code(last_code(n))}) for c, n in ((known, NUMBER), (unknown, "13900139000"))]

    assert [(r.status_code, r["Location"]) for r in sent] == [(302, CODE), (302, CODE)]
    assert _page_without_secrets(pages[0].content.decode()) == _page_without_secrets(pages[1].content.decode())
    assert _page_without_secrets(wrong[0].content.decode()) == _page_without_secrets(wrong[1].content.decode())
    texts_sent = [re.sub(r"\d{6}", "<code>", line.split(": ", 1)[1]) for line in texts.logged()]
    assert texts_sent[0] == texts_sent[1]
    assert User.objects.count() == 1  # nothing is made before a right code


# --- rate limits ------------------------------------------------------------------------------------------


def test_sending_is_limited_per_number_across_addresses(texts, settings):
    settings.PHONE_CODE_SEND_RATE_LIMIT = "2/h"
    settings.PHONE_CODE_RESEND_SECONDS = 0
    for n, typed in enumerate(["13800138000", "138 0013 8000"]):
        ask_for_code(texts, Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), number=typed)

    blocked = texts(Client(REMOTE_ADDR="198.51.100.9"), SEND, {"phone": TYPED})

    assert blocked.status_code == 429 and blocked["Retry-After"] == "3600"
    assert "Too many attempts" in blocked.content.decode()
    assert Notification.objects.count() == 2
    ask_for_code(texts, Client(REMOTE_ADDR="198.51.100.9"), number="13900139000")


def test_sending_is_limited_per_address_across_numbers(texts, settings):
    settings.PHONE_CODE_SEND_CLIENT_RATE_LIMIT = "2/h"
    client = Client(REMOTE_ADDR="198.51.100.1")
    ask_for_code(texts, client, number="13800138000")
    ask_for_code(texts, client, number="13900139000")

    blocked = texts(client, SEND, {"phone": "13700137000"})
    resend = texts(client, RESEND)

    assert blocked.status_code == 429 and resend.status_code == 429
    assert Notification.objects.count() == 2
    ask_for_code(texts, Client(REMOTE_ADDR="198.51.100.2"), number="13700137000")


def test_entering_codes_is_limited_per_address(client, texts, settings):
    settings.PHONE_CODE_VERIFY_RATE_LIMIT = "3/m"
    ask_for_code(texts, client)
    code = last_code()
    for _ in range(3):
        assert client.post(CODE, {"code": other_code(code)}).status_code == 200

    blocked = client.post(CODE, {"code": code})

    assert blocked.status_code == 429 and blocked["Retry-After"] == "60"
    assert signed_in_user(client) is None
    assert SignInCode.objects.get().failed_attempts == 3  # the refused entry was not tried


def test_entering_codes_is_limited_per_number_across_addresses(texts, settings):
    settings.PHONE_CODE_VERIFY_RATE_LIMIT = "3/m"
    first, second = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="198.51.100.2")
    ask_for_code(texts, first)
    ask_for_code(texts, second)  # within the interval: the same code, no new message
    code = last_code()
    first.post(CODE, {"code": other_code(code)})
    first.post(CODE, {"code": other_code(code)})
    second.post(CODE, {"code": other_code(code)})

    blocked = Client(REMOTE_ADDR="198.51.100.3")
    ask_for_code(texts, blocked)
    response = blocked.post(CODE, {"code": code})

    assert response.status_code == 429 and signed_in_user(blocked) is None


def test_sending_and_entering_fail_closed_while_the_limiters_redis_is_down(redis_server, texts, settings):
    options = {**settings.CACHES["default"]["OPTIONS"], "RETRY_AFTER": 0.2}
    caches = {"default": {**settings.CACHES["default"], "LOCATION": redis_server.url, "OPTIONS": options}}
    with override_settings(CACHES=caches):
        client = Client(raise_request_exception=False)
        ask_for_code(texts, client)
        code = last_code()

        redis_server.stop()
        refused = [texts(client, CODE, {"code": code}), texts(client, SEND, {"phone": "13900139000"})]
        refused.append(texts(client, RESEND))

        for response in refused:
            assert response.status_code == 503 and response["Retry-After"] == "30"
            assert "Please try again shortly" in response.content.decode()
        assert signed_in_user(client) is None
        assert Notification.objects.count() == 1 and SignInCode.objects.get().failed_attempts == 0

        redis_server.start()
        time.sleep(0.3)
        assert client.post(CODE, {"code": code}).status_code == 302
        assert signed_in_user(client) is not None


# --- a mobile number on an existing account ----------------------------------------------------------------


def test_a_signed_in_shopper_adds_a_mobile_and_then_signs_in_with_it(client, texts, warehouse):
    customer = factories.make_user("liming")  # password "pw"
    client.force_login(customer)
    assert "Add your mobile number" in client.get(HISTORY).content.decode()
    assert client.get(MOBILE).status_code == 200

    sent = texts(client, MOBILE, {"phone": TYPED})
    page = client.get(CODE)
    verified = client.post(CODE, {"code": last_code()})

    assert sent["Location"] == CODE and "Verify the number" in page.content.decode()
    assert verified["Location"] == HISTORY
    assert ShopperProfile.objects.get(user=customer).mobile == NUMBER
    history = client.get(HISTORY)
    assert "Your mobile number is verified." in messages_of(history)
    assert "138 0013 8000" in history.content.decode()
    add_to_cart(Cart.objects.create(user=customer), stocked_variant((warehouse, 5)).pk, 1)
    form = client.get(CHECKOUT).context["form"]
    assert (form["name"].value(), form["phone"].value()) == ("liming", NUMBER)  # the user name they chose

    phone = Client(REMOTE_ADDR="203.0.113.8")
    time_passes(61)
    ask_for_code(texts, phone)
    assert phone.post(CODE, {"code": last_code()})["Location"] == HISTORY
    assert signed_in_user(phone) == customer
    assert client.post(LOGIN, {"username": "liming", "password": "pw"}).status_code == 302  # the password still works


def test_a_number_verified_on_another_account_is_refused_after_its_code(client, texts):
    shopper_with_mobile("owner")
    other = factories.make_user("other")
    client.force_login(other)
    texts(client, MOBILE, {"phone": NUMBER})

    response = client.post(CODE, {"code": last_code()}, follow=True)

    assert messages_of(response) == ["This mobile number belongs to another account. Sign in with it by code instead."]
    assert not ShopperProfile.objects.filter(user=other).exists()
    assert signed_in_user(client) == other


def test_a_code_sent_to_add_a_mobile_does_not_sign_anyone_in(texts):
    owner = factories.make_user("owner")
    adder = Client()
    adder.force_login(owner)
    texts(adder, MOBILE, {"phone": NUMBER})
    code = last_code()

    stranger = Client(REMOTE_ADDR="203.0.113.9")
    ask_for_code(texts, stranger)  # within the interval: no new code
    response = stranger.post(CODE, {"code": code})

    assert WRONG_OR_EXPIRED in response.content.decode() and signed_in_user(stranger) is None


# --- the sign-in page -------------------------------------------------------------------------------------


def test_the_sign_in_page_offers_the_mobile_number_first_and_the_password_below(client):
    html = client.get("/account/login/").content.decode()

    phone_form = html.index('action="/account/phone/"')
    password_form = html.index('action="/account/login/"')
    assert phone_form < password_form
    assert 'name="phone"' in html and 'type="tel"' in html
    assert "<details" in html and 'name="password"' in html


def test_a_wrong_password_opens_the_password_form(client):
    factories.make_user("zhangwei")

    response = client.post(LOGIN, {"username": "zhangwei", "password": "wrong"})

    assert '<details class="sign-in-option sign-in-option--password" open>' in response.content.decode()


# --- racing on PostgreSQL ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_entries_of_one_code_at_once_sign_in_exactly_once(caplog):
    caplog.set_level(logging.INFO, logger="worker.sms")
    LOGS[:] = [caplog]
    shoppers = [Client(REMOTE_ADDR=f"198.51.100.{n}") for n in (1, 2)]
    for shopper in shoppers:  # the second within the interval: no new code, the same one
        assert shopper.post(SEND, {"phone": NUMBER})["Location"] == CODE
    code = last_code()

    results = run_together(*(lambda shopper=shopper: shopper.post(CODE, {"code": code}) for shopper in shoppers))

    assert errors_in(results) == []
    assert sorted(response.status_code for response in results) == [200, 302]
    assert sum(signed_in_user(shopper) is not None for shopper in shoppers) == 1
    assert User.objects.count() == 1 and ShopperProfile.objects.get().mobile == NUMBER
    [refused] = [response for response in results if response.status_code == 200]
    assert WRONG_OR_EXPIRED in refused.content.decode()
