"""Pre-sales in the back office (``orders.presales.views``): merchants open and change their own only,
operators any and choose the shortfall policy; the harvest is previewed, then received."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import PreSale
from orders.models import Order, OrderStatus
from tests import factories
from tests.fixtures.users import english_admin
from tests.orders.presale_helpers import buy, close, make_presale


def signed_in(user) -> Client:
    client = Client()
    client.force_login(english_admin(user))
    return client


def form_data(variant, location, **extra) -> dict:
    now = timezone.localtime()
    return {
        "source_variant": variant.pk if variant else "",
        "location": location.pk,
        "planned_quantity": "50",
        "price": "68.00",
        "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "closes_at": (now + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
        "ships_from": (now + timedelta(days=5)).strftime("%Y-%m-%d"),
        "ships_until": (now + timedelta(days=9)).strftime("%Y-%m-%d"),
        **extra,
    }


@pytest.mark.django_db
def test_a_merchant_opens_a_presale_of_their_own_variant_in_yuan_and_not_of_another_merchants():
    own, other = factories.make_merchant(), factories.make_merchant()
    user = factories.make_merchant_user(own)
    mine = factories.make_product(own).variants.get()
    theirs = factories.make_product(other).variants.get()
    warehouse = factories.make_location(kind="warehouse")
    client = signed_in(user)

    refused = client.post("/admin/presales/new/", form_data(theirs, warehouse))
    assert refused.status_code == 200 and not PreSale.objects.exists()  # not a choice: a form error

    response = client.post("/admin/presales/new/", form_data(mine, warehouse, shortfall_policy="pro_rata"))
    assert response.status_code == 302, response.content.decode()[:2000]
    presale = PreSale.objects.get()
    assert (presale.source_variant, presale.variant.price, presale.planned_quantity) == (mine, 6800, 50)
    assert presale.shortfall_policy == "latest_first"  # the operators' choice, not the merchant's
    assert presale.created_by == user


@pytest.mark.django_db
def test_a_merchant_sees_and_changes_only_their_own_presales(operator):
    own, other = factories.make_merchant(), factories.make_merchant()
    user = factories.make_merchant_user(own)
    mine, theirs = make_presale(10, merchant=own), make_presale(10, merchant=other)
    client = signed_in(user)

    listing = client.get("/admin/presales/").content.decode()
    assert mine.variant.sku in listing and theirs.variant.sku not in listing
    for url in (f"/admin/presales/{theirs.pk}/", f"/admin/presales/{theirs.pk}/harvest/"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"quantity": "0", "confirm": "on"}).status_code == 404
    assert client.get(f"/admin/presales/{mine.pk}/").status_code == 200
    assert signed_in(factories.make_user()).get("/admin/presales/").status_code in (302, 403, 404)

    operator_view = signed_in(operator).get("/admin/presales/").content.decode()
    assert mine.variant.sku in operator_view and theirs.variant.sku in operator_view


@pytest.mark.django_db
def test_the_operator_changes_the_policy_previews_the_refunds_then_receives_the_harvest(operator):
    presale = make_presale(10)
    first, second = buy(presale, 4), buy(presale, 6)
    client = signed_in(operator)
    data = form_data(None, presale.location, shortfall_policy="pro_rata", planned_quantity="10")
    del data["source_variant"], data["location"]
    assert client.post(f"/admin/presales/{presale.pk}/", data).status_code == 302
    presale.refresh_from_db()
    assert presale.shortfall_policy == "pro_rata"
    close(presale)

    preview = client.post(f"/admin/presales/{presale.pk}/harvest/", {"quantity": "5"})
    page = preview.content.decode()
    assert "5 units of 2 orders will be refunded" in page
    assert first.number in page and second.number in page
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 2  # nothing done yet

    done = client.post(f"/admin/presales/{presale.pk}/harvest/", {"quantity": "5", "confirm": "on"})
    assert done.status_code == 302
    presale.refresh_from_db()
    assert (presale.status, presale.received_quantity, presale.received_by) == ("harvested", 5, operator)
    assert [Order.objects.get(pk=o.pk).status for o in (first, second)] == [OrderStatus.PARTIALLY_REFUNDED] * 2
    again = client.post(f"/admin/presales/{presale.pk}/harvest/", {"quantity": "5", "confirm": "on"})
    assert again.status_code == 200 and "received already" in again.content.decode()
