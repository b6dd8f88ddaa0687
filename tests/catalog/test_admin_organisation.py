"""Merchants, locations and categories in the back office."""

import pytest
from wagtail.test.utils.form_data import querydict_from_html

from catalog.models import Category, Location, Merchant
from tests.catalog.admin_world import url
from tests.fixtures.http import login

# -- Merchants ---------------------------------------------------------------------------


def test_merchant_user_sees_only_its_own_merchant(client, world):
    login(client, world.alice)

    listing = client.get(url("merchant:index"))
    search = client.get(url("merchant:index"), {"q": "脐橙"})

    assert list(listing.context["object_list"]) == [world.merchant_a]
    assert world.merchant_b.name not in listing.content.decode()
    assert list(search.context["object_list"]) == []


@pytest.mark.parametrize("view", ["inspect", "edit", "delete", "history", "usage"])
def test_other_merchants_views_are_not_found(client, world, view):
    response = login(client, world.alice).get(url(f"merchant:{view}", world.merchant_b.pk))

    assert response.status_code == 404


def test_merchant_user_may_inspect_but_not_edit_its_merchant(client, world):
    login(client, world.alice)

    inspect = client.get(url("merchant:inspect", world.merchant_a.pk))
    edit = client.post(url("merchant:edit", world.merchant_a.pk), {"name": "改名"})

    assert inspect.status_code == 200
    assert world.merchant_a.name in inspect.content.decode()
    assert edit.status_code == 302  # Wagtail sends a refused user to the dashboard
    world.merchant_a.refresh_from_db()
    assert world.merchant_a.name == "秀山红安茶油合作社"


def test_operator_sees_every_merchant(client, world):
    response = login(client, world.operator).get(url("merchant:index"))

    assert set(response.context["object_list"]) == {world.merchant_a, world.merchant_b}


def test_deleting_a_merchant_with_products_is_refused_with_a_message(client, world):
    response = login(client, world.operator).post(url("merchant:delete", world.merchant_a.pk), follow=True)

    assert response.status_code == 200
    assert "still has products and cannot be deleted" in response.content.decode()
    assert Merchant.objects.filter(pk=world.merchant_a.pk).exists()


# -- Locations ---------------------------------------------------------------------------


def test_counter_staff_see_only_their_own_counter(client, world):
    login(client, world.carol)

    listing = client.get(url("location:index"))

    assert list(listing.context["object_list"]) == [world.counter1]
    assert client.get(url("location:inspect", world.counter1.pk)).status_code == 200
    assert client.get(url("location:inspect", world.counter2.pk)).status_code == 404
    assert client.get(url("location:inspect", world.warehouse.pk)).status_code == 404


def test_counter_staff_cannot_change_their_counter(client, world):
    response = login(client, world.carol).post(url("location:edit", world.counter1.pk), {"name": "改名"})

    assert response.status_code == 302
    world.counter1.refresh_from_db()
    assert world.counter1.name == "德百专柜"


def test_operator_creates_a_counter(client, world):
    data = {
        "name": "庆云专柜",
        "code": "dz-qingyun",
        "kind": Location.Kind.COUNTER,
        "is_active": "on",
        "host": "庆云百货",
        "county": "qingyun",
        "address": "庆云县某路1号",
        "opening_hours": "",
        "phone": "",
        "notification_email": "",
        "opens_at": "09:00",
        "webhook_url": "",
        "webhook_secret": "a-secret-shared-with-the-counter",
    }

    response = login(client, world.operator).post(url("location:add"), data)

    assert response.status_code == 302
    assert Location.objects.filter(code="dz-qingyun", kind="counter").exists()


def test_a_counter_without_county_is_a_form_error(client, world):
    data = {"name": "无区专柜", "code": "dz-none", "kind": Location.Kind.COUNTER, "county": "", "address": "某路"}

    response = login(client, world.operator).post(url("location:add"), data)

    assert response.status_code == 200
    assert not Location.objects.filter(code="dz-none").exists()


def test_deleting_a_location_with_stock_is_refused_with_a_message(client, world):
    response = login(client, world.operator).post(url("location:delete", world.counter1.pk), follow=True)

    assert response.status_code == 200
    assert "holds stock records and cannot be deleted" in response.content.decode()
    assert Location.objects.filter(pk=world.counter1.pk).exists()


# -- Categories --------------------------------------------------------------------------


def test_only_operators_manage_categories(client, world):
    category = world.product_a.category

    refused = login(client, world.alice).post(url("category:edit", category.pk), {"name": "改名", "slug": "x"})
    created = login(client, world.operator).post(
        url("category:add"), {"name": "土家织锦", "slug": "brocade", "description": "", "sort_order": "3"}
    )

    assert refused.status_code == 302
    category.refresh_from_db()
    assert category.name != "改名"
    assert created.status_code == 302
    assert Category.objects.filter(slug="brocade").exists()


def test_deleting_a_category_in_use_is_refused_with_a_message(client, world):
    category = world.product_a.category

    response = login(client, world.operator).post(url("category:delete", category.pk), follow=True)

    assert response.status_code == 200
    assert "still has products and cannot be deleted" in response.content.decode()
    assert Category.objects.filter(pk=category.pk).exists()


def test_snippets_index_does_not_count_products(client, world):
    response = login(client, world.alice).get("/admin/snippets/")

    assert "/admin/snippets/catalog/product/" not in response.content.decode()


def test_operator_pages_render(client, world):
    login(client, world.operator)
    pages = [
        url("merchant:add"),
        url("merchant:edit", world.merchant_b.pk),
        url("category:add"),
        url("location:add"),
        url("location:edit", world.counter2.pk),
        url("wagtailsnippets_catalog_product:add"),
        url("wagtailsnippets_catalog_product:edit", world.product_b.pk),
    ]

    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)


def test_operator_edits_a_merchant(client, world):
    login(client, world.operator)
    response = client.get(url("merchant:edit", world.merchant_b.pk))
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    data["households_benefited"] = "120"

    assert client.post(url("merchant:edit", world.merchant_b.pk), data).status_code == 302
    world.merchant_b.refresh_from_db()
    assert world.merchant_b.households_benefited == 120
