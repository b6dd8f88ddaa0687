"""Paying in one step: placing the order lands on the pay page, which counts down the stock hold; once the hold
has ended there is no pay button, only the message; the order page offers paying (again) while the hold lasts."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template.defaultfilters import time as time_format
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from orders.models import Order, OrderStatus, Payment
from orders.payments import expire_order
from tests.fixtures.http import messages_of
from tests.payments.helpers import placed_order, stripe_payment
from tests.storefront.shop import checkout_data, guest_cart, stocked_variant

pytestmark = pytest.mark.django_db

CHECKOUT = "/en/checkout/"
ENDED = "The hold on your items has ended."
SECONDS_LEFT = re.compile(r'data-seconds-left="(\d+)"')


def place(client, warehouse) -> tuple[Order, object]:
    variant = stocked_variant((warehouse, 10), price=6800, name="秀山野生山茶油")
    guest_cart(client, (variant, 2))
    page = client.get(CHECKOUT)
    response = client.post(CHECKOUT, checkout_data(page.context))
    return Order.objects.get(), response


def pay_url(order: Order) -> str:
    return f"/en/orders/{order.token}/pay/"


def status_url(order: Order) -> str:
    return f"/en/orders/{order.token}/"


def end_hold(order: Order) -> None:
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    order.refresh_from_db()


def seconds_shown(html: str) -> int:
    return int(SECONDS_LEFT.search(html).group(1))


def test_placing_the_order_goes_straight_to_the_pay_page_with_the_countdown(client, warehouse, demo, settings):
    order, response = place(client, warehouse)

    assert response.status_code == 302 and response["Location"] == pay_url(order)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Thank you! Your order {order.number} has been placed." in messages_of(page)
    assert f"Pay order {order.number}" in html and "¥136.00" in html
    # The pay button comes right after the one-line summary and the hold, before the order's details.
    assert html.index("Amount to pay:") < html.index("Pay (demo)") < html.index("Delivery to an address")
    assert "<details" in html and "秀山野生山茶油" in html and "天衢中路1号" in html
    # The deadline in words without JS; the seconds left and the translated template for the script.
    with translation.override("en"):
        deadline = time_format(timezone.localtime(order.expires_at), "TIME_FORMAT")
    assert f"Your items are held until {deadline}." in html
    assert 0 < seconds_shown(html) <= settings.ORDER_RESERVATION_MINUTES * 60
    assert 'data-left-template="%(time)s left"' in html and 'role="timer"' in html
    assert "js/countdown.js" in html and "css/pay.css" in html
    assert ENDED in html  # rendered hidden, for the script to show at zero
    assert re.search(r"data-hold-ended\s+hidden", html)


def test_with_stripe_placing_the_order_also_goes_to_the_pay_page(client, warehouse):
    order, response = place(client, warehouse)

    assert response["Location"] == pay_url(order)


def test_without_a_payment_method_placing_the_order_goes_to_the_order_page(client, warehouse, no_provider):
    order, response = place(client, warehouse)

    assert response.status_code == 302 and response["Location"] == status_url(order)
    html = client.get(response["Location"]).content.decode()
    assert "Awaiting payment" in html and "/pay/" not in html


def test_an_ended_hold_shows_no_pay_button_but_the_message_and_the_products(client, demo):
    order = placed_order()
    product = order.lines.get().variant.product
    end_hold(order)

    page = client.get(pay_url(order))

    html = page.content.decode()
    assert page.status_code == 200
    assert ENDED in html and "They went back on sale" in html
    assert not re.search(r"data-hold-ended\s+hidden", html)
    assert "Pay (demo)" not in html and f"/en/orders/{order.token}/pay/demo/" not in html
    assert f'href="/en/products/{product.slug}/"' in html and 'href="/en/cart/"' in html
    assert seconds_shown(html) == 0


def test_an_ended_hold_with_stripe_makes_no_payment_intent(client):
    order = placed_order()
    end_hold(order)

    html = client.get(pay_url(order)).content.decode()  # no Stripe call: it would fail here (no API)

    assert ENDED in html and 'id="payment-form"' not in html
    assert not Payment.objects.exists()


def test_an_order_expired_by_the_task_shows_the_same_message(client, demo):
    order = placed_order()
    assert expire_order(order, now=order.expires_at + timedelta(seconds=1))

    html = client.get(pay_url(order)).content.decode()

    assert ENDED in html and "Pay (demo)" not in html


def test_the_order_page_offers_paying_while_the_hold_lasts(client, demo):
    order = placed_order()

    html = client.get(status_url(order)).content.decode()

    assert f'href="{pay_url(order)}"' in html and ">Pay now</a>" in html
    assert "Your items are reserved until" in html and 'role="timer"' in html and seconds_shown(html) > 0
    assert "js/countdown.js" in html


def test_after_an_abandoned_payment_the_order_page_offers_paying_again(client, demo):
    order = placed_order()
    stripe_payment(order)  # started, never finished

    html = client.get(status_url(order)).content.decode()

    assert f'href="{pay_url(order)}"' in html and ">Pay again</a>" in html


def test_the_order_page_after_the_hold_has_ended_offers_no_payment(client, demo):
    order = placed_order()
    end_hold(order)

    html = client.get(status_url(order)).content.decode()

    assert order.status == OrderStatus.PENDING_PAYMENT  # the expiry task has not run yet
    assert ENDED in html and f'href="{pay_url(order)}"' not in html
    assert "Your items are reserved until" not in html


def test_a_paid_order_page_has_no_countdown(client, demo):
    order = placed_order()
    client.post(f"/en/orders/{order.token}/pay/demo/")

    html = client.get(status_url(order)).content.decode()

    assert "Paid" in html and "data-hold" not in html and "countdown.js" not in html


def test_a_failed_payment_offers_to_try_again_with_the_countdown(client):
    order = placed_order()

    html = client.get(f"/en/orders/{order.token}/pay/return/?redirect_status=failed").content.decode()

    assert "did not go through" in html
    assert f'href="{pay_url(order)}"' in html and "Try again" in html
    assert 'role="timer"' in html and seconds_shown(html) > 0 and "js/countdown.js" in html
    assert 'http-equiv="refresh"' not in html


def test_a_failed_payment_after_the_hold_has_ended_says_so_instead(client):
    order = placed_order()
    end_hold(order)

    html = client.get(f"/en/orders/{order.token}/pay/return/?redirect_status=failed").content.decode()

    assert ENDED in html and f'href="{pay_url(order)}"' not in html and "Try again" not in html


@pytest.fixture
def fragments_on(settings):
    settings.FRAGMENT_CACHE_SECONDS = 3600


def test_the_products_to_go_back_to_are_read_once_for_the_same_goods(client, demo, fragments_on):
    """A flash sale's orders are for the same goods: the second order's page reads no product list."""
    first = placed_order()
    variant = first.lines.get().variant
    second = placed_order()
    second.lines.update(variant=variant)  # the same goods as the first
    assert f'href="/en/products/{variant.product.slug}/"' in client.get(status_url(first)).content.decode()

    with CaptureQueriesContext(connection) as queries:
        html = client.get(status_url(second)).content.decode()

    assert f'href="/en/products/{variant.product.slug}/"' in html
    assert not [q for q in queries.captured_queries if "catalog_product" in q["sql"]]


def test_a_product_taken_off_sale_leaves_the_products_to_go_back_to_at_once(
    client, demo, fragments_on, django_capture_on_commit_callbacks
):
    order = placed_order()
    product = order.lines.get().variant.product
    assert f'href="/en/products/{product.slug}/"' in client.get(status_url(order)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        product.is_published = False
        product.save()

    assert f'href="/en/products/{product.slug}/"' not in client.get(status_url(order)).content.decode()
