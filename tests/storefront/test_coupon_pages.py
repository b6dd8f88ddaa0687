"""Coupon codes through HTTP: typed on the cart or checkout page, shown in the totals, on the order; the back office."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from core import roles
from orders.coupons.services import create_code, generate_codes
from orders.models import Cart, Coupon, CouponRedemption, Order
from storefront.models import ShopperProfile
from tests import factories
from tests.fixtures.http import messages_of
from tests.storefront.shop import checkout_data, guest_cart, stocked_variant, world_snapshot


@pytest.fixture
def oil(warehouse):
    return stocked_variant((warehouse, 20), price=6800, name="秀山野生山茶油")


def make_coupon(code: str = "SPRING20", **fields) -> Coupon:
    now = timezone.now()
    coupon = Coupon.objects.create(
        name="春季促销",
        sponsor="秀山消费帮扶项目",
        amount=2000,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
        **fields,
    )
    if coupon.kind == Coupon.Kind.SHARED:
        create_code(coupon, code)
    return coupon


def verified_shopper(client, phone: str = "13900001111"):
    user = factories.make_user()
    ShopperProfile.objects.create(user=user, mobile=phone, mobile_verified_at=timezone.now())
    client.force_login(user)
    return user


def shopper_cart(client, oil, quantity: int = 1) -> Cart:
    client.post("/en/cart/add/", {"variant": oil.pk, "quantity": str(quantity)}, follow=True)  # its message shown
    return Cart.objects.get(user__isnull=False)


@pytest.mark.parametrize(("prefix", "applied", "discount"), [("/en", "applied", "Discount (SPRING20)"), ("", "", "")])
def test_a_code_typed_at_checkout_is_shown_in_the_totals_and_on_the_order(client, oil, prefix, applied, discount):
    make_coupon()
    verified_shopper(client)
    shopper_cart(client, oil, 1)

    response = client.post(
        f"{prefix}/cart/coupon/", {"code": " spring-20 ", "next": f"{prefix}/checkout/"}, follow=True
    )

    assert response.redirect_chain == [(f"{prefix}/checkout/", 302)]
    assert any(applied in message and "¥20.00" in message for message in messages_of(response))
    html = response.content.decode()
    summary = response.context["summary"]
    # 68.00 - 20.00 = 48.00 of goods: below the 99.00 threshold, delivery costs 12.00.
    assert (summary.subtotal, summary.discount, summary.shipping_fee, summary.total) == (6800, 2000, 1200, 6000)
    assert "SPRING20" in html and "-¥20.00" in html and discount in html

    placed = client.post(f"{prefix}/checkout/", checkout_data(response.context), follow=True)

    order = Order.objects.get()
    assert (order.subtotal, order.discount, order.shipping_fee, order.total) == (6800, 2000, 1200, 6000)
    status = client.get(f"{prefix}/orders/{order.token}/").content.decode()
    assert placed.status_code == 200
    assert "SPRING20" in status and "-¥20.00" in status and "¥60.00" in status


def test_a_guest_is_asked_to_sign_in_with_their_mobile(client, oil):
    make_coupon()
    cart = guest_cart(client, (oil, 1))

    response = client.post("/en/cart/coupon/", {"code": "SPRING20"}, follow=True)

    assert response.redirect_chain == [("/en/cart/", 302)]
    assert messages_of(response) == ["Sign in with your mobile number to use a coupon code."]
    cart.refresh_from_db()
    assert cart.coupon_code is None
    assert "-¥20.00" not in response.content.decode()


def test_unknown_codes_are_refused_on_the_cart_page(client, oil):
    verified_shopper(client)
    shopper_cart(client, oil)
    response = client.post("/en/cart/coupon/", {"code": "NOSUCHCODE"}, follow=True)
    assert "This coupon code does not exist." in messages_of(response)


def test_a_code_used_up_before_the_order_is_placed_shows_the_page_again(client, oil):
    coupon = make_coupon(total_limit=1, per_customer_limit=0)
    verified_shopper(client)
    shopper_cart(client, oil, 2)
    client.post("/en/cart/coupon/", {"code": "SPRING20"})
    page = client.get("/en/checkout/")
    assert page.context["summary"].discount == 2000
    # Someone else's order takes the last use meanwhile.
    other = factories.make_user()
    CouponRedemption.objects.create(
        code=coupon.codes.get(),
        coupon=coupon,
        order=_placed_order(other),
        single_use=False,
        customer_key=f"user:{other.pk}",
        amount=2000,
    )
    before = world_snapshot()

    response = client.post("/en/checkout/", checkout_data(page.context))

    assert response.status_code == 409
    assert "This coupon has been used up." in response.content.decode()
    assert world_snapshot() == before


def _placed_order(user) -> Order:
    now = timezone.now()
    return Order.objects.create(
        number=f"T-{user.pk}",
        token=f"t{user.pk}",
        checkout_token=f"c{user.pk}",
        contact_name="李",
        contact_phone="13900002222",
        delivery_method="delivery",
        subtotal=6800,
        discount=2000,
        shipping_fee=1200,
        total=6000,
        expires_at=now + timedelta(minutes=30),
    )


def test_the_code_can_be_removed(client, oil):
    make_coupon()
    verified_shopper(client)
    cart = shopper_cart(client, oil)
    client.post("/en/cart/coupon/", {"code": "SPRING20"})
    cart.refresh_from_db()
    assert cart.coupon_code == "SPRING20"

    response = client.post("/en/cart/coupon/remove/", follow=True)

    cart.refresh_from_db()
    assert cart.coupon_code is None
    assert "The coupon code has been removed." in messages_of(response)
    assert response.context["summary"].discount == 0


# --- back office ------------------------------------------------------------------------------------------


def test_an_operator_creates_single_use_codes_and_downloads_them(client, db):
    operator = factories.make_user(group=roles.OPERATORS)
    client.force_login(operator)
    now = timezone.localtime()
    response = client.post(
        "/admin/coupons/new/",
        {
            "name": "重阳节",
            "sponsor": "秀山油茶合作社",
            "kind": "single_use",
            "code_count": "25",
            "discount_kind": "percent",
            "amount": "0",
            "percent": "10",
            "min_spend": "50.00",
            "valid_from": now.strftime("%Y-%m-%d %H:%M"),
            "valid_until": (now + timedelta(days=10)).strftime("%Y-%m-%d %H:%M"),
            "eligibility": "all",
            "total_limit": "0",
            "per_customer_limit": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    coupon = Coupon.objects.get()
    assert (coupon.min_spend, coupon.percent, coupon.created_by, coupon.codes.count()) == (5000, 10, operator, 25)

    download = client.get(f"/admin/coupons/codes/{coupon.pk}/")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(rows) == 26 and {row[0] for row in rows[1:]} == set(coupon.codes.values_list("code", flat=True))
    inspect = client.get(f"/admin/coupons/inspect/{coupon.pk}/")
    assert inspect.status_code == 200 and "25 个优惠码" in inspect.content.decode()
    assert client.post(f"/admin/coupons/generate/{coupon.pk}/", {"count": "5"}).status_code == 302
    assert coupon.codes.count() == 30
    edit = client.get(f"/admin/coupons/edit/{coupon.pk}/")
    assert edit.status_code == 200 and "code_count" not in edit.context["form"].fields


@pytest.mark.parametrize("who", ["merchant", "member"])
def test_merchants_and_organisation_members_cannot_see_coupons(client, db, who):
    coupon = make_coupon(kind=Coupon.Kind.SINGLE_USE)
    generate_codes(coupon, 2)
    if who == "merchant":
        user = factories.make_merchant_user(factories.make_merchant())
    else:
        user = factories.make_user(group=roles.ORGANISATION_MEMBERS)
    client.force_login(user)

    assert "/admin/coupons/" not in client.get("/admin/").content.decode()
    for page in ("/admin/coupons/", "/admin/coupons/new/", f"/admin/coupons/inspect/{coupon.pk}/"):
        assert client.get(page).status_code in (302, 403), page
    for page in (f"/admin/coupons/codes/{coupon.pk}/", f"/admin/coupons/generate/{coupon.pk}/"):
        assert client.get(page).status_code == 404, page
