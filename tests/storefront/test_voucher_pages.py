"""Consumption vouchers through HTTP: claimed on /vouchers/ (signed in with a verified mobile), shown with code and
QR, chosen at checkout, in the totals and on the order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Coupon, Order, Voucher, VoucherBatch
from tests.fixtures.http import messages_of
from tests.storefront.shop import checkout_data, stocked_variant
from tests.storefront.test_coupon_pages import shopper_cart, verified_shopper


@pytest.fixture
def oil(warehouse):
    return stocked_variant((warehouse, 20), price=6800, name="秀山野生山茶油")


def make_batch(**fields) -> VoucherBatch:
    now = timezone.now()
    options = {
        "name": "德州消费帮扶券",
        "sponsor": "德州市商务局消费帮扶资金",
        "face_value": 3000,
        "min_spend": 5000,
        "eligibility": Coupon.Eligibility.ALL,
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        "budget": 300_000,
        **fields,
    }
    return VoucherBatch.objects.create(**options)


def test_a_verified_shopper_claims_a_voucher_sees_its_qr_and_uses_it_at_checkout(client, oil):
    batch = make_batch()
    user = verified_shopper(client)

    claimed = client.post(f"/en/vouchers/{batch.pk}/claim/", follow=True)
    voucher = Voucher.objects.get()
    assert (voucher.user, voucher.phone) == (user, "13900001111")
    assert any(voucher.code in message for message in messages_of(claimed))
    html = claimed.content.decode()
    assert voucher.code in html and "<svg" in html  # the code and its QR for the counter
    again = client.post(f"/en/vouchers/{batch.pk}/claim/", follow=True)
    assert any("already claimed" in message for message in messages_of(again)) and Voucher.objects.count() == 1

    shopper_cart(client, oil, 1)
    page = client.get("/en/checkout/")
    assert page.context["vouchers"] == [voucher]
    chosen = client.post("/en/cart/voucher/", {"voucher": str(voucher.pk)}, follow=True)
    summary = chosen.context["summary"]
    # 68.00 - 30.00 = 38.00 of goods: below the 99.00 threshold, delivery costs 12.00.
    assert (summary.subtotal, summary.voucher_discount, summary.shipping_fee, summary.total) == (6800, 3000, 1200, 5000)
    assert "-¥30.00" in chosen.content.decode()

    client.post("/en/checkout/", checkout_data(chosen.context), follow=True)
    order = Order.objects.get()
    assert (order.voucher_discount, order.total) == (3000, 5000)
    voucher.refresh_from_db()
    assert voucher.order == order


def test_guests_and_unverified_shoppers_cannot_claim(client, django_user_model):
    batch = make_batch()
    page = client.get("/en/vouchers/")
    assert page.status_code == 200
    sign_in = "Sign in with your mobile number to claim a consumption voucher."
    assert sign_in in page.content.decode() and "coupon" not in page.content.decode()
    response = client.post(f"/en/vouchers/{batch.pk}/claim/", follow=True)
    assert sign_in in messages_of(response)
    client.force_login(django_user_model.objects.create_user("nophone", password="pw"))
    response = client.post(f"/en/vouchers/{batch.pk}/claim/", follow=True)
    assert sign_in in messages_of(response)
    assert not Voucher.objects.exists()
    assert client.get(f"/en/vouchers/{batch.pk}/claim/").status_code == 405


def test_another_shoppers_voucher_cannot_be_chosen(client, oil):
    batch = make_batch()
    verified_shopper(client, phone="13900002222")
    client.post(f"/en/vouchers/{batch.pk}/claim/")
    theirs = Voucher.objects.get()
    client.logout()
    verified_shopper(client)
    shopper_cart(client, oil, 1)
    response = client.post("/en/cart/voucher/", {"voucher": str(theirs.pk)}, follow=True)
    assert any("not yours" in message for message in messages_of(response))
    assert response.context["summary"].voucher is None


# --- back office ------------------------------------------------------------------------------------------


def test_an_operator_creates_a_batch_in_yuan_and_sees_its_budget(client, db, oil):
    from core import roles
    from tests import factories

    operator = factories.make_user(group=roles.OPERATORS)
    client.force_login(operator)
    now = timezone.localtime()
    response = client.post(
        "/admin/vouchers/new/",
        {
            "name": "德州消费帮扶券",
            "sponsor": "德州市商务局消费帮扶资金",
            "face_value": "30.00",
            "min_spend": "50.00",
            "budget": "12000.00",
            "valid_from": now.strftime("%Y-%m-%d %H:%M"),
            "valid_until": (now + timedelta(days=10)).strftime("%Y-%m-%d %H:%M"),
            "eligibility": "certified",
            "per_person_limit": "1",
            "claim_limit": "400",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    batch = VoucherBatch.objects.get()
    assert (batch.face_value, batch.min_spend, batch.budget, batch.created_by) == (3000, 5000, 1_200_000, operator)
    VoucherBatch.objects.filter(pk=batch.pk).update(spent=600_000)
    assert client.get("/admin/vouchers/").status_code == 200
    inspect = client.get(f"/admin/vouchers/inspect/{batch.pk}/")
    assert inspect.status_code == 200 and "¥6,000.00" in inspect.content.decode()
    edit = client.post(
        f"/admin/vouchers/edit/{batch.pk}/",
        {**response.wsgi_request.POST.dict(), "budget": "5000.00"},
    )
    # The back office speaks the operator's Chinese.
    assert edit.status_code == 200 and "预算不能少于已使用的金额" in str(edit.context["form"].errors)
    batch.refresh_from_db()
    assert (batch.budget, batch.spent) == (1_200_000, 600_000)


@pytest.mark.parametrize("who", ["merchant", "counter"])
def test_merchants_and_counter_staff_cannot_see_voucher_batches(client, db, who):
    from core import roles
    from tests import factories

    batch = make_batch()
    if who == "merchant":
        user = factories.make_merchant_user(factories.make_merchant())
    else:
        user = factories.make_user(group=roles.COUNTER_STAFF)
    client.force_login(user)
    for page in ("/admin/vouchers/", "/admin/vouchers/new/", f"/admin/vouchers/inspect/{batch.pk}/"):
        assert client.get(page).status_code in (302, 403), page
