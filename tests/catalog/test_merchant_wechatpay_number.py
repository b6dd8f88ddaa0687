"""A merchant's WeChat Pay merchant number (where profit sharing pays it) is set by operators only."""

from django.contrib.auth.models import Permission
from wagtail.test.utils.form_data import querydict_from_html

from catalog.models import Merchant
from tests.catalog.admin_world import url
from tests.fixtures.http import login


def test_a_merchant_allowed_to_edit_its_merchant_cannot_set_where_it_is_paid(client, world):
    world.alice.user_permissions.add(Permission.objects.get(codename="change_merchant"))
    login(client, world.alice)
    form = client.get(url("merchant:edit", world.merchant_a.pk))
    data = querydict_from_html(form.content.decode(), form_id="w-editor-form")
    data.update({"name": "红安茶油合作社", "wechatpay_merchant_id": "1999999999"})

    response = client.post(url("merchant:edit", world.merchant_a.pk), data)

    assert "wechatpay_merchant_id" not in form.context["form"].fields
    assert response.status_code == 302
    merchant = Merchant.objects.get(pk=world.merchant_a.pk)
    assert (merchant.name, merchant.wechatpay_merchant_id) == ("红安茶油合作社", None)


def test_an_operator_sets_a_merchants_wechatpay_number(client, world):
    login(client, world.operator)
    form = client.get(url("merchant:edit", world.merchant_a.pk))
    data = querydict_from_html(form.content.decode(), form_id="w-editor-form")
    data.update({"wechatpay_merchant_id": "1900000101"})

    response = client.post(url("merchant:edit", world.merchant_a.pk), data)

    assert response.status_code == 302
    assert Merchant.objects.get(pk=world.merchant_a.pk).wechatpay_merchant_id == "1900000101"
