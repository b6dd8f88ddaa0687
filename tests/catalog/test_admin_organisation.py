"""Merchants, locations and categories in the back office."""

import pytest
from django.contrib.auth.models import Permission
from wagtail.test.utils.form_data import querydict_from_html

from catalog.certificates import qualifying_certificate, quality_marks
from catalog.models import Category, Certificate, Location, Merchant
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


def test_merchant_allowed_to_edit_its_merchant_still_cannot_set_marks_or_certificate(client, world):
    world.alice.user_permissions.add(Permission.objects.get(codename="change_merchant"))
    login(client, world.alice)
    form = client.get(url("merchant:edit", world.merchant_a.pk))
    data = querydict_from_html(form.content.decode(), form_id="w-editor-form")
    data.update(
        {
            "name": "红安茶油合作社",
            "organic": "on",
            "green_food": "on",
            "geographical_indication": "on",
            "aid_certificate_number": "FAKE-0001",
            "aid_certificate_issuer": "自封",
            "aid_certificate_valid_until": "2099-12-31",
        }
    )

    response = client.post(url("merchant:edit", world.merchant_a.pk), data)

    assert "aid_certificate_number" not in form.context["form"].fields
    assert "organic" not in form.context["form"].fields
    assert response.status_code == 302
    merchant = Merchant.objects.get(pk=world.merchant_a.pk)
    assert merchant.name == "红安茶油合作社"
    assert not Certificate.objects.filter(merchant=merchant).exists()
    assert quality_marks(world.product_a) == set() and qualifying_certificate(world.product_a) is None


def test_certificates_are_not_in_the_merchant_form_even_for_operators(client, world):
    """Operators grant certificates as records (the certificates screens), with their history."""
    form = login(client, world.operator).get(url("merchant:edit", world.merchant_a.pk))

    fields = form.context["form"].fields
    assert not {"organic", "green_food", "geographical_indication", "aid_certificate_number"} & set(fields)


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


def counter_data(webhook_url: str) -> dict:
    return {
        "name": "庆云专柜",
        "code": "dz-qingyun",
        "kind": Location.Kind.COUNTER,
        "is_active": "on",
        "host": "庆云百货",
        "county": "qingyun",
        "address": "庆云县某路1号",
        "opens_at": "09:00",
        "webhook_url": webhook_url,
        "webhook_secret": "a-secret-shared-with-the-counter",
    }


@pytest.mark.parametrize(
    "webhook_url",
    [
        "http://127.0.0.1:8000/hook",
        "http://127.9.9.9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "https://172.16.0.5/hook",
        "https://172.31.255.1/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fc00::1]/hook",
        "http://[fd12:3456::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://93.184.216.34/hook",
    ],
)
def test_a_webhook_to_a_non_public_address_is_a_form_error(client, world, webhook_url):
    response = login(client, world.operator).post(url("location:add"), counter_data(webhook_url))

    assert response.status_code == 200
    assert "webhook_url" in response.context["form"].errors
    assert not Location.objects.filter(code="dz-qingyun").exists()


def test_editing_a_counters_webhook_to_loopback_is_refused(client, world):
    login(client, world.operator)
    data = querydict_from_html(
        client.get(url("location:edit", world.counter1.pk)).content.decode(), form_id="w-editor-form"
    )
    data["webhook_url"] = "http://127.0.0.1:9/hook"

    response = client.post(url("location:edit", world.counter1.pk), data)

    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["webhook_url"]] == ["not_public"]
    world.counter1.refresh_from_db()
    assert world.counter1.webhook_url == ""


def test_a_webhook_to_a_public_address_is_accepted(client, world):
    response = login(client, world.operator).post(url("location:add"), counter_data("https://93.184.216.34/hook"))

    assert response.status_code == 302
    assert Location.objects.get(code="dz-qingyun").webhook_url == "https://93.184.216.34/hook"


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
