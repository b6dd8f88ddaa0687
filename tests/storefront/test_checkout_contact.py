"""Checkout asks for the recipient and a mobile number; e-mail is optional (issue 15: shoppers live by phone)."""

import pytest
from django.test import Client

from orders.models import Order
from tests.storefront.shop import checkout_data, guest_cart, stocked_variant
from worker.models import Notification

pytestmark = pytest.mark.django_db


def test_the_form_asks_for_the_recipient_and_marks_e_mail_optional(warehouse):
    client = Client()
    guest_cart(client, (stocked_variant((warehouse, 5), price=1000), 1))
    page = client.get("/checkout/").content.decode()
    assert "收货人" in page
    assert "电子邮箱（选填）" in page
    assert 'name="email"' in page and 'autocomplete="email" required' not in page


def test_an_order_without_e_mail_is_placed_with_the_mobile_as_its_contact(warehouse):
    client = Client()
    guest_cart(client, (stocked_variant((warehouse, 5), price=1000), 1))
    page = client.get("/checkout/")
    response = client.post("/checkout/", checkout_data(page.context, email=""))
    order = Order.objects.get()
    assert response.status_code == 302 and order.contact_email == ""
    assert order.contact_phone


def test_a_wrong_e_mail_is_still_refused(warehouse):
    client = Client()
    guest_cart(client, (stocked_variant((warehouse, 5), price=1000), 1))
    page = client.get("/checkout/")
    response = client.post("/checkout/", checkout_data(page.context, email="not-an-address"))
    assert response.status_code == 200
    assert not Order.objects.exists()
    assert not Notification.objects.exists()
