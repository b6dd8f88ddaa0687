"""Orders in the back office: operators see and cancel every order; a merchant's members see only
the orders holding their lines, and only those lines; counter staff only what is handed over at their
counter. Positive controls show the same requests work for the users who may make them."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from wagtail.admin.menu import admin_menu, settings_menu
from wagtail.models import Site

from catalog.models import Stock, StockMovement
from core import roles
from orders.backoffice import OrderViewSet
from orders.checkout import Contact, shipping_rule
from orders.fulfilment import mark_fulfilment_ready
from orders.models import Fulfilment, Order, OrderEvent, OrderStatus, ShopSettings
from orders.payments import mark_paid
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login, messages_of
from tests.orders.helpers import ADDRESS, CONTACT, cart_with, checkout, pickup_at

OTHER_CONTACT = Contact(name="李秀英", phone="13900001111", email="lixiuying@example.com")


@dataclass
class Orders:
    mixed: Order  # two of A and one of B, collected at counter 1
    b_only: Order  # one of B, collected at counter 2
    a_delivery: Order  # one of A, delivered from the warehouse


@pytest.fixture
def orders(world) -> Orders:
    mixed = checkout(cart_with((world.variant_a, 2), (world.variant_b, 1)), pickup_at(world.counter1))
    b_only = checkout(cart_with((world.variant_b, 1)), pickup_at(world.counter2), contact=OTHER_CONTACT)
    a_delivery = checkout(cart_with((world.variant_a, 1)))
    return Orders(mixed, b_only, a_delivery)


def listed(response) -> set:
    assert response.status_code == 200
    return set(response.context["object_list"])


def detail(client, order):
    return client.get(url("orders:inspect", order.pk))


def cancel(client, order, reason="顾客电话要求取消"):
    return client.post(url("orders:cancel", order.pk), {"reason": reason})


# -- Listing: who sees which orders ------------------------------------------------------


def test_operator_lists_every_order(client, world, orders):
    rows = listed(login(client, world.operator).get(url("orders:index")))

    assert rows == {orders.mixed, orders.b_only, orders.a_delivery}


def test_merchant_lists_only_orders_holding_its_lines_once_each(client, world, orders):
    response = login(client, world.alice).get(url("orders:index"))

    assert sorted(o.pk for o in response.context["object_list"]) == sorted([orders.mixed.pk, orders.a_delivery.pk])
    assert orders.b_only.number not in response.content.decode()
    assert listed(login(client, world.bob).get(url("orders:index"))) == {orders.mixed, orders.b_only}


def test_counter_staff_list_only_orders_at_their_counter(client, world, orders):
    assert listed(login(client, world.carol).get(url("orders:index"))) == {orders.mixed}
    assert listed(login(client, world.dave).get(url("orders:index"))) == {orders.b_only}


def test_editors_and_customers_have_no_order_views(client, world, orders):
    editor = factories.make_user("editor", group=roles.EDITORS)
    customer = factories.make_user("customer")

    assert login(client, editor).get(url("orders:index")).status_code == 302
    assert login(client, editor).get(url("orders:inspect", orders.mixed.pk)).status_code == 302
    assert login(client, customer).get(url("orders:index")).status_code == 302


def test_merchant_sees_masked_contacts_and_only_its_own_amount(client, world, orders):
    html = login(client, world.alice).get(url("orders:index")).content.decode()

    assert "138****5678" in html
    assert CONTACT.phone not in html
    assert CONTACT.name not in html
    assert "¥20.00" in html  # A's two units in the mixed order
    assert "¥30.00" not in html  # the mixed order's total, B's unit included


def test_operator_and_counter_staff_see_full_contacts(client, world, orders):
    operator_html = login(client, world.operator).get(url("orders:index")).content.decode()
    counter_html = login(client, world.carol).get(url("orders:index")).content.decode()

    assert CONTACT.phone in operator_html
    assert "¥30.00" in operator_html
    assert CONTACT.phone in counter_html
    assert CONTACT.name in counter_html


# -- Listing: filters and search ---------------------------------------------------------


def test_filters_each_narrow_the_listing(client, world, orders):
    mark_paid(orders.b_only)
    Order.objects.filter(pk=orders.a_delivery.pk).update(created_at=timezone.now() - timedelta(days=40))
    login(client, world.operator)
    last_month = (timezone.localdate() - timedelta(days=30)).isoformat()

    def rows(**params):
        return listed(client.get(url("orders:index"), params))

    assert rows(status="paid") == {orders.b_only}
    assert rows(status="pending_payment") == {orders.mixed, orders.a_delivery}
    assert rows(merchant=world.merchant_a.pk) == {orders.mixed, orders.a_delivery}
    assert rows(merchant=world.merchant_b.pk) == {orders.mixed, orders.b_only}
    assert rows(counter=world.counter1.pk) == {orders.mixed}
    assert rows(counter=world.counter2.pk) == {orders.b_only}
    assert rows(counter=world.warehouse.pk) == {orders.a_delivery}
    assert rows(delivery_method="delivery") == {orders.a_delivery}
    assert rows(created_from=last_month) == {orders.mixed, orders.b_only}
    assert rows(created_to=last_month) == {orders.a_delivery}
    assert rows(number=orders.mixed.number) == {orders.mixed}
    assert rows(number=orders.b_only.number[-6:]) == {orders.b_only}
    assert rows(phone="0000111") == {orders.b_only}
    assert rows(phone="1381234") == {orders.mixed, orders.a_delivery}


def test_search_by_number_phone_or_name(client, world, orders):
    login(client, world.operator)

    def found(query):
        return listed(client.get(url("orders:index"), {"q": query}))

    assert found(orders.a_delivery.number) == {orders.a_delivery}
    assert found("13900001111") == {orders.b_only}
    assert found("李秀英") == {orders.b_only}
    assert found("张伟") == {orders.mixed, orders.a_delivery}


def test_bad_filter_values_do_not_break_the_listing(client, world, orders):
    login(client, world.operator)

    for params in ({"created_from": "not-a-date"}, {"merchant": "x"}, {"status": "nonsense"}, {"counter": "99999"}):
        assert client.get(url("orders:index"), params).status_code == 200


def test_merchant_filters_and_search_stay_in_scope(client, world, orders):
    login(client, world.alice)

    by_other_merchant = client.get(url("orders:index"), {"merchant": world.merchant_b.pk})
    by_other_counter = listed(client.get(url("orders:index"), {"counter": world.counter2.pk}))
    by_other_number = listed(client.get(url("orders:index"), {"q": orders.b_only.number}))
    by_phone = listed(client.get(url("orders:index"), {"q": CONTACT.phone}))
    by_own_number = listed(client.get(url("orders:index"), {"q": orders.mixed.number}))

    assert list(by_other_merchant.context["filters"].form.fields["merchant"].queryset) == [world.merchant_a]
    assert orders.b_only not in set(by_other_merchant.context["object_list"])
    assert by_other_counter == set()
    assert by_other_number == set()
    assert by_phone == set()  # merchants cannot look customers up by their number
    assert "phone" not in by_other_merchant.context["filters"].form.fields
    assert by_own_number == {orders.mixed}


def test_counter_staff_find_their_orders_by_phone_and_are_offered_only_their_counter(client, world, orders):
    response = login(client, world.dave).get(url("orders:index"), {"phone": "0000111"})

    assert listed(response) == {orders.b_only}
    assert list(response.context["filters"].form.fields["counter"].queryset) == [world.counter2]
    assert listed(client.get(url("orders:index"), {"phone": "1381234"})) == set()


def test_listing_queries_do_not_grow_with_the_number_of_orders(client, world, orders):
    def queries(user):
        login(client, user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("orders:index")).status_code == 200
        return len(captured)

    few = {user.username: queries(user) for user in (world.operator, world.alice, world.carol)}
    for i in range(27):
        delivery = pickup_at(world.counter1) if i < 7 else ADDRESS
        checkout(cart_with((world.variant_a, 1), (world.variant_b, 1)), delivery)
    many = {user.username: queries(user) for user in (world.operator, world.alice, world.carol)}

    assert Order.objects.count() == 30
    assert many == few


# -- One order ---------------------------------------------------------------------------


def test_merchant_opening_the_mixed_order_sees_only_its_own_lines(client, world, orders):
    response = detail(login(client, world.alice), orders.mixed)

    html = response.content.decode()
    assert response.status_code == 200
    assert world.product_a.name in html
    assert world.variant_a.sku in html
    assert world.product_b.name not in html
    assert world.variant_b.sku not in html
    assert world.merchant_b.name not in html
    assert [line.sku for line in response.context["lines"]] == [world.variant_a.sku]
    assert [f.merchant for f in response.context["fulfilments"]] == [world.merchant_a]
    assert "¥20.00" in html
    assert "¥30.00" not in html
    assert CONTACT.phone not in html
    assert CONTACT.email not in html


def test_merchant_opening_another_merchants_order_gets_404(client, world, orders):
    response = detail(login(client, world.alice), orders.b_only)

    assert response.status_code == 404
    assert orders.b_only.number not in response.content.decode()


def test_counter_staff_see_the_lines_handed_over_at_their_counter_only(client, world, orders):
    login(client, world.carol)
    response = detail(client, orders.mixed)

    assert response.status_code == 200
    assert {line.sku for line in response.context["lines"]} == {world.variant_a.sku, world.variant_b.sku}
    assert CONTACT.phone in response.content.decode()
    assert detail(client, orders.b_only).status_code == 404
    assert detail(client, orders.a_delivery).status_code == 404
    assert detail(login(client, world.dave), orders.mixed).status_code == 404


def test_operator_sees_the_whole_order(client, world, orders):
    response = detail(login(client, world.operator), orders.mixed)

    html = response.content.decode()
    assert response.status_code == 200
    for text in (world.product_a.name, world.product_b.name, CONTACT.phone, CONTACT.email, "¥30.00"):
        assert text in html
    assert len(response.context["fulfilments"]) == 2
    assert [entry["event"].kind for entry in response.context["events"]] == [OrderEvent.Kind.PLACED]


def test_history_shows_a_merchant_only_its_own_fulfilments_events(client, world, orders):
    mark_paid(orders.mixed)
    fulfilment_a = orders.mixed.fulfilments.get(merchant=world.merchant_a)
    fulfilment_b = orders.mixed.fulfilments.get(merchant=world.merchant_b)
    mark_fulfilment_ready(fulfilment_a, actor=world.carol, note="A已备好")
    mark_fulfilment_ready(fulfilment_b, actor=world.carol, note="B已备好")

    alice_html = detail(login(client, world.alice), orders.mixed).content.decode()
    operator_html = detail(login(client, world.operator), orders.mixed).content.decode()

    assert "A已备好" in alice_html
    assert "B已备好" not in alice_html
    assert "Ready for pickup" in alice_html  # the order's own moves are shown to everyone who sees it
    assert "A已备好" in operator_html
    assert "B已备好" in operator_html


@pytest.mark.parametrize("pk", ["99999999", "99999999999999999999999"])
def test_unknown_or_absurd_order_ids_are_not_found(client, world, pk):
    login(client, world.operator)

    assert client.get(f"/admin/orders/inspect/{pk}/").status_code == 404
    assert client.post(f"/admin/orders/cancel/{pk}/", {"reason": "x"}).status_code == 404


def test_orders_have_no_add_edit_or_delete_views(client, world, orders):
    for name in ("add", "edit", "delete", "copy", "history", "usage"):
        with pytest.raises(NoReverseMatch):
            reverse(f"orders:{name}", args=[orders.mixed.pk]) if name != "add" else reverse("orders:add")
        with pytest.raises(NoReverseMatch):
            reverse(f"fulfilments:{name}", args=[1]) if name != "add" else reverse("fulfilments:add")
    login(client, world.operator)
    for path in ("new/", f"edit/{orders.mixed.pk}/", f"delete/{orders.mixed.pk}/"):
        assert client.get(f"/admin/orders/{path}").status_code == 404
        assert client.post(f"/admin/orders/{path}").status_code == 404
    assert Order.objects.count() == 3


# -- Cancelling --------------------------------------------------------------------------


def test_operator_cancels_with_a_reason_releasing_the_stock(client, world, orders):
    stock_a = Stock.objects.get(variant=world.variant_a, location=world.counter1)
    assert stock_a.allocated == 2
    login(client, world.operator)

    response = cancel(client, orders.mixed, reason="顾客电话要求取消")

    assert response.status_code == 302
    assert response["Location"] == url("orders:inspect", orders.mixed.pk)
    orders.mixed.refresh_from_db()
    assert orders.mixed.status == OrderStatus.CANCELLED
    event = orders.mixed.events.get(kind=OrderEvent.Kind.STATUS)
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.CANCELLED,
        world.operator,
        "顾客电话要求取消",
    )
    stock_a.refresh_from_db()
    assert (stock_a.on_hand, stock_a.allocated) == (10, 0)
    assert StockMovement.objects.filter(reference=orders.mixed.number, kind=StockMovement.Kind.RELEASE).count() == 2
    assert set(orders.mixed.fulfilments.values_list("status", flat=True)) == {Fulfilment.Status.CANCELLED}
    page = client.get(response["Location"])
    assert f"Order {orders.mixed.number} is cancelled" in " ".join(messages_of(page))
    assert "顾客电话要求取消" in page.content.decode()
    assert page.context["cancel_form"] is None


def test_cancelling_without_a_reason_is_a_form_error(client, world, orders):
    response = cancel(login(client, world.operator), orders.mixed, reason="   ")

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    orders.mixed.refresh_from_db()
    assert orders.mixed.status == OrderStatus.PENDING_PAYMENT


def test_cancelling_a_paid_order_is_refused_with_a_message(client, world, orders):
    mark_paid(orders.mixed)
    events = orders.mixed.events.count()
    login(client, world.operator)

    response = client.post(url("orders:cancel", orders.mixed.pk), {"reason": "想取消"}, follow=True)

    assert response.status_code == 200
    assert "An order that is paid cannot become cancelled." in messages_of(response)
    orders.mixed.refresh_from_db()
    assert orders.mixed.status == OrderStatus.PAID
    assert orders.mixed.events.count() == events
    assert response.context["cancel_form"] is None
    refused_page = client.get(url("orders:cancel", orders.mixed.pk), follow=True)
    assert "An order that is paid cannot become cancelled." in messages_of(refused_page)


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_merchants_and_counter_staff_cannot_cancel(client, world, orders, who):
    login(client, getattr(world, who))

    page = detail(client, orders.mixed)
    posted = cancel(client, orders.mixed)
    form = client.get(url("orders:cancel", orders.mixed.pk))

    assert page.context["cancel_form"] is None
    assert "Cancel order" not in page.content.decode()
    assert posted.status_code == 403
    assert form.status_code == 403
    orders.mixed.refresh_from_db()
    assert orders.mixed.status == OrderStatus.PENDING_PAYMENT
    assert Stock.objects.get(variant=world.variant_a, location=world.counter1).allocated == 2


def test_cancelling_an_order_outside_scope_is_not_found(client, world, orders):
    response = cancel(login(client, world.alice), orders.b_only)

    assert response.status_code == 404
    orders.b_only.refresh_from_db()
    assert orders.b_only.status == OrderStatus.PENDING_PAYMENT


def test_cancelling_needs_the_csrf_token(world, orders):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.operator)

    response = cancel(client, orders.mixed)

    assert response.status_code == 403
    orders.mixed.refresh_from_db()
    assert orders.mixed.status == OrderStatus.PENDING_PAYMENT


def test_operator_gets_the_cancel_form_on_pending_orders(client, world, orders):
    login(client, world.operator)

    page = detail(client, orders.mixed)
    form_page = client.get(url("orders:cancel", orders.mixed.pk))

    assert page.context["cancel_url"] == url("orders:cancel", orders.mixed.pk)
    assert 'name="reason"' in page.content.decode()
    assert form_page.status_code == 200
    assert orders.mixed.number in form_page.content.decode()


# -- Fulfilments -------------------------------------------------------------------------


def test_fulfilments_listing_is_scoped(client, world, orders):
    def rows(user):
        return {
            (f.order_id, f.merchant_id, f.location_id)
            for f in listed(login(client, user).get(url("fulfilments:index")))
        }

    a, b = world.merchant_a.pk, world.merchant_b.pk
    assert rows(world.alice) == {(orders.mixed.pk, a, world.counter1.pk), (orders.a_delivery.pk, a, world.warehouse.pk)}
    assert rows(world.carol) == {(orders.mixed.pk, a, world.counter1.pk), (orders.mixed.pk, b, world.counter1.pk)}
    assert rows(world.dave) == {(orders.b_only.pk, b, world.counter2.pk)}
    assert len(rows(world.operator)) == 4


def test_fulfilments_link_to_their_order_and_filter_within_scope(client, world, orders):
    login(client, world.carol)

    response = client.get(url("fulfilments:index"), {"location": world.counter2.pk})
    own = listed(client.get(url("fulfilments:index"), {"merchant": world.merchant_b.pk}))

    assert list(response.context["filters"].form.fields["location"].queryset) == [world.counter1]
    assert orders.b_only.number not in response.content.decode()
    assert {f.order_id for f in own} == {orders.mixed.pk}
    assert url("orders:inspect", orders.mixed.pk) in client.get(url("fulfilments:index")).content.decode()


# -- Menu and shop settings --------------------------------------------------------------


def menu_names(client, user) -> dict[str, set[str]]:
    request = login(client, user).get(reverse("wagtailadmin_home")).wsgi_request
    return {
        item.name: {sub.name for sub in item.menu.menu_items_for_request(request)}
        for item in admin_menu.menu_items_for_request(request)
        if item.name in ("orders", "settings")
    }


def test_menu_shows_orders_to_each_role_and_shop_settings_to_operators_only(client, world):
    operator = menu_names(client, world.operator)
    assert operator["orders"] == {"orders", "fulfilments"}
    assert "shop-settings" in operator["settings"]
    for user in (world.alice, world.carol):
        menus = menu_names(client, user)
        assert menus["orders"] == {"orders", "fulfilments"}
        assert "shop-settings" not in menus.get("settings", set())


def settings_url() -> str:
    site = Site.objects.get(is_default_site=True)
    return reverse("wagtailsettings:edit", args=["orders", "shopsettings", site.pk])


def test_operator_edits_the_shipping_fee_rule(client, world):
    login(client, world.operator)

    page = client.get(settings_url())
    response = client.post(settings_url(), {"shipping_fee": "8.00", "free_shipping_threshold": "128"})

    assert page.status_code == 200
    assert 'value="12.00"' in page.content.decode()  # the default fee of 1200 fen, shown in yuan
    assert response.status_code == 302
    rule = shipping_rule()
    assert (rule.fee, rule.free_threshold) == (800, 12800)


@pytest.mark.parametrize("who", ["alice", "carol"])
def test_merchants_and_counter_staff_cannot_edit_shop_settings(client, world, who):
    login(client, getattr(world, who))

    page = client.get(settings_url())
    response = client.post(settings_url(), {"shipping_fee": "0", "free_shipping_threshold": "0"})

    assert page.status_code == 302
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert not ShopSettings.objects.filter(shipping_fee=0).exists()
    assert shipping_rule().fee == 1200


# -- The permission policy ---------------------------------------------------------------


def test_permission_policy_checks_scope_of_instances(world, orders):
    policy = OrderViewSet().permission_policy

    assert policy.user_has_permission_for_instance(world.alice, "view", orders.mixed)
    assert not policy.user_has_permission_for_instance(world.alice, "view", orders.b_only)
    assert not policy.user_has_permission_for_instance(world.alice, "change", orders.mixed)
    assert policy.user_has_permission_for_instance(world.operator, "change", orders.b_only)
    assert set(policy.instances_user_has_permission_for(world.carol, "view")) == {orders.mixed}


def test_settings_menu_names_do_not_depend_on_the_language_the_menu_was_first_built_in():
    """Wagtail names a menu item after its label when the menu is first built; ours carry fixed names, so a
    process whose first admin request was in Chinese names them as one whose first was in English."""
    settings_menu.__dict__.pop("registered_menu_items", None)
    try:
        with translation.override("zh-hans"):
            names = {item.name for item in settings_menu.registered_menu_items}
    finally:
        settings_menu.__dict__.pop("registered_menu_items", None)
    assert {"shop-settings", "consumption-aid-settings", "product-page-settings", "site-settings"} <= names
