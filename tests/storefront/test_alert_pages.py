"""The "tell me when it is back" form on product pages, and its pages: subscribing (POST, CSRF, rate limit) and
unsubscribing from the link shown after subscribing."""

import re

import pytest
from django.test import Client

from catalog.models import StockAlert
from tests import factories
from tests.fixtures.catalog import set_stock
from tests.storefront.shop import stocked_variant

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM = re.compile(r'<form class="stock-alert__form".*?</form>', re.S)


@pytest.fixture
def sold_out(db, counter):
    """A product with one option, none of it anywhere; one active counter (``counter``)."""
    return factories.make_product(name="秀山土蜂蜜", name_en="Xiushan honey").variants.get()


def page(client: Client, variant, language: str = "en"):
    prefix = "/en" if language == "en" else ""
    return client.get(f"{prefix}/products/{variant.product.slug}/")


def alert_form(response) -> str:
    match = FORM.search(response.content.decode())
    return match.group(0) if match else ""


def select(form: str, name: str) -> str:
    """The options of the form's ``name`` select: location and variant keys are both numbers, so a check on one
    must not look at the other."""
    match = re.search(rf'<select [^>]*name="{name}">(.*?)</select>', form, re.S)
    return match.group(1) if match else ""


def post(client: Client, item, language: str = "en", **fields):
    prefix = "/en" if language == "en" else ""
    data = {"variant": item.pk, "where": "online", "channel": "sms", "contact": "138 1234 5678", **fields}
    return client.post(f"{prefix}/alerts/subscribe/", data)


def test_a_sold_out_product_page_offers_the_form_unfolded(client, sold_out, counter):
    response = page(client, sold_out)
    form = alert_form(response)
    assert 'action="/en/alerts/subscribe/"' in form
    assert "Tell me when it is back" in response.content.decode()
    assert f'<input type="hidden" name="variant" value="{sold_out.pk}">' in form
    assert '<option value="online">Online (home delivery)</option>' in form
    assert counter.name not in form  # holding none of the product: not named on its page
    assert 'name="channel" value="sms" checked' in form and 'name="channel" value="email"' in form
    assert 'name="contact"' in form and 'name="csrfmiddlewaretoken"' in form
    assert '<details class="stock-alert" id="stock-alert" open>' in response.content.decode()  # nothing to buy


def test_the_chinese_page_posts_to_the_chinese_address(client, sold_out):
    assert 'action="/alerts/subscribe/"' in alert_form(page(client, sold_out, "zh-hans"))


def test_a_product_in_stock_everywhere_it_is_listed_has_no_form(client, warehouse, counter):
    variant = stocked_variant((warehouse, 20), (counter, 20))
    assert alert_form(page(client, variant)) == ""


def test_an_option_out_of_stock_at_a_listed_counter_offers_that_counter_folded(client, warehouse, counter):
    product = factories.make_product(variants=2)
    small, large = product.variants.order_by("sort_order")
    full = factories.make_location(name="武城专柜")
    for location in (warehouse, full):
        for item in (small, large):
            set_stock(item, location, 20)
    set_stock(small, counter, 20)  # the large one is out of stock at this counter
    response = page(client, small)
    form = alert_form(response)
    where, option = select(form, "where"), select(form, "variant")
    assert f'<option value="{counter.pk}">{counter.name}' in where and f'<option value="{full.pk}">' not in where
    assert f'<option value="{small.pk}" selected>' in option and f'<option value="{large.pk}">' in option
    assert '<details class="stock-alert" id="stock-alert">' in response.content.decode()  # one can buy: folded


def test_subscribing_tells_the_shopper_and_links_to_unsubscribe(client, sold_out):
    response = post(client, sold_out)
    assert response.status_code == 302
    assert response["Location"] == f"/en/products/{sold_out.product.slug}/"
    alert = StockAlert.objects.get()
    assert (alert.variant, alert.location, alert.channel, alert.contact, alert.language) == (
        sold_out,
        None,
        "sms",
        "13812345678",
        "en",
    )
    html = client.get(response["Location"]).content.decode()
    assert "Thank you: we will tell you once, by text message, when it is back." in html
    assert f'href="/en/alerts/unsubscribe/{alert.token}/"' in html


def test_subscribing_at_a_counter_by_e_mail_on_the_chinese_site(client, sold_out, counter):
    response = post(client, sold_out, "zh-hans", where=str(counter.pk), channel="email", contact="li@example.com")
    assert response.status_code == 302
    alert = StockAlert.objects.get()
    assert (alert.location, alert.channel, alert.contact, alert.language) == (
        counter,
        "email",
        "li@example.com",
        "zh-hans",
    )


def test_a_wrong_number_or_an_item_in_stock_is_said_and_nothing_is_stored(client, sold_out, warehouse):
    html = client.get(post(client, sold_out, contact="12345")["Location"]).content.decode()
    assert "Enter a mainland China mobile number (11 digits, starting with 1)." in html
    stocked = stocked_variant((warehouse, 5))
    html = client.get(post(client, stocked)["Location"]).content.decode()
    assert "It is in stock online: order it now." in html
    assert not StockAlert.objects.exists()


def test_an_unknown_counter_or_option_is_refused(client, sold_out, warehouse):
    html = client.get(post(client, sold_out, where=str(warehouse.pk))["Location"]).content.decode()
    assert "Choose one of our sales counters, or online." in html
    html = client.get(post(client, sold_out, where="x")["Location"]).content.decode()
    assert "Choose one of our sales counters, or online." in html
    assert post(client, sold_out, variant="999999").status_code == 404
    assert post(client, sold_out, variant="abc").status_code == 404
    hidden = factories.make_product(published=False).variants.get()
    assert post(client, hidden).status_code == 404
    assert client.get("/en/alerts/subscribe/").status_code == 405
    assert not StockAlert.objects.exists()


def test_csrf_is_required_and_the_token_of_a_stored_page_works(sold_out, settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 300
    page(Client(), sold_out)  # stored
    shopper = Client(enforce_csrf_checks=True)
    assert post(shopper, sold_out).status_code == 403
    response = page(shopper, sold_out)
    assert response["X-Page-Cache"] == "hit"
    token = TOKEN.search(alert_form(response)).group(1)
    assert token != "__dx_csrf__"
    assert post(shopper, sold_out, csrfmiddlewaretoken=token).status_code == 302
    assert StockAlert.objects.count() == 1


def test_subscriptions_are_rate_limited_per_client(client, sold_out, settings):
    settings.STOCK_ALERT_RATE_LIMIT = "2/m"
    assert post(client, sold_out).status_code == 302
    assert post(client, sold_out, contact="13900000000").status_code == 302
    refused = post(client, sold_out, contact="13700000000")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert StockAlert.objects.count() == 2


def test_unsubscribing_asks_first_then_forgets_the_alert(client, sold_out):
    post(client, sold_out)
    alert = StockAlert.objects.get()
    address = f"/en/alerts/unsubscribe/{alert.token}/"

    shown = client.get(address)  # a mail scanner opening the link changes nothing
    assert shown.status_code == 200
    assert "You asked to be told when Xiushan honey 规格0 is back online." in shown.content.decode()
    assert StockAlert.objects.exists()

    done = client.post(address)
    assert "You are unsubscribed: we will not tell you about it." in done.content.decode()
    assert not StockAlert.objects.exists()
    again = client.get(address).content.decode()
    assert "There is nothing to unsubscribe from" in again
    assert "There is nothing to unsubscribe from" in client.post("/en/alerts/unsubscribe/nonsense/").content.decode()
