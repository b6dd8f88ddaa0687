"""Expired aid certificates: the badge goes, operators are warned once, and the setting takes products off sale."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Certificate
from orders.aid.services import check_certificates
from orders.cart import CartError, add_to_cart
from orders.checkout import CheckoutError
from orders.models import AidSettings, Cart
from tests import factories
from tests.aid.helpers import order_of
from tests.orders.helpers import checkout
from worker.channels import render_email
from worker.models import Notification

YESTERDAY = timezone.localdate() - timedelta(days=1)
NEXT_MONTH = timezone.localdate() + timedelta(days=30)


def certify(holder, valid_until) -> None:
    """An operator grants the holder (a merchant or a product) a certificate valid until ``valid_until``."""
    factories.make_certificate(holder, valid_until)


def hide_expired(on: bool) -> None:
    settings = AidSettings.load()
    settings.hide_expired_products = on
    settings.save()


@pytest.fixture
def expired_oil(prog):
    product = prog.oil.product
    certify(product, YESTERDAY)
    return product


def test_the_badge_shows_only_while_the_certificate_is_valid(client, prog):
    product = prog.oil.product
    certificate = factories.make_certificate(product, NEXT_MONTH)
    assert "Consumption-aid certified" in client.get(product.get_absolute_url()).content.decode()
    Certificate.objects.filter(pk=certificate.pk).update(valid_until=YESTERDAY)  # its validity has passed
    html = client.get(product.get_absolute_url()).content.decode()
    assert "Consumption-aid certified" not in html
    assert product.name in html  # still on sale: the setting is off


def test_operators_are_warned_once_per_expired_certificate(operator, prog, expired_oil):
    certify(prog.brocade, YESTERDAY)
    certify(prog.veg_farm, NEXT_MONTH)
    assert check_certificates() == 2
    notes = sorted(Notification.objects.filter(template="certificate_expired"), key=lambda n: n.payload["kind"])
    assert [(n.recipient, n.payload["kind"], n.payload["name"]) for n in notes] == [
        (operator.email, "merchant", "隘口果园"),
        (operator.email, "product", expired_oil.name),
    ]
    check_certificates()
    assert Notification.objects.filter(template="certificate_expired").count() == 2

    notes[1].language = "en"
    subject, text, html = render_email(notes[1])
    assert subject == f"Aid certificate expired: product {expired_oil.name}"
    assert f"valid until {YESTERDAY.isoformat()} and has expired" in text
    assert "XS-2026-007" in html and "秀山县乡村振兴局" in html

    # Renewed, then expired again: a new warning.
    certify(expired_oil, YESTERDAY - timedelta(days=1))
    check_certificates()
    assert Notification.objects.filter(template="certificate_expired").count() == 3


def test_with_the_setting_an_expired_product_is_off_sale_until_renewed(client, prog, expired_oil):
    hide_expired(True)
    assert client.get(expired_oil.get_absolute_url()).status_code == 404
    assert expired_oil.name not in client.get(reverse("storefront:product_list")).content.decode()
    with pytest.raises(CartError):
        add_to_cart(Cart.objects.create(), prog.oil.pk, 1)

    certify(expired_oil, NEXT_MONTH)
    assert client.get(expired_oil.get_absolute_url()).status_code == 200
    add_to_cart(Cart.objects.create(), prog.oil.pk, 1)


def test_checkout_refuses_a_cart_holding_a_product_that_expired_meanwhile(prog):
    cart = Cart.objects.create()
    add_to_cart(cart, prog.oil.pk, 1)
    certify(prog.oil.product, YESTERDAY)
    hide_expired(True)
    with pytest.raises(CheckoutError):
        checkout(cart)


def test_a_valid_merchant_certificate_keeps_the_product_on_sale(client, prog, expired_oil):
    hide_expired(True)
    certify(prog.oil_coop, NEXT_MONTH)
    assert client.get(expired_oil.get_absolute_url()).status_code == 200


def test_products_never_certified_stay_on_sale(client, prog):
    hide_expired(True)
    product = factories.make_product(prog.oil_coop)
    assert client.get(product.get_absolute_url()).status_code == 200
    assert order_of((prog.orange, 1)).lines.count() == 1
