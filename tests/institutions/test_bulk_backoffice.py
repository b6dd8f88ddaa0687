"""Bulk orders in the back office: operators see every one and record bank transfers there; a member of an
organisation sees its own bulk orders only, read only; a merchant sees none."""

import pytest
from django.utils import timezone
from wagtail.admin.menu import admin_menu

from core.money import fen_to_yuan
from orders.models import BulkOrder, Order, OrderStatus, Payment, TransferReceipt
from tests import factories
from tests.fixtures.http import login, messages_of
from tests.fixtures.users import english_admin
from tests.institutions.bulk_world import gift_shop, submitted
from tests.institutions.world import url

pytestmark = pytest.mark.django_db

Status = BulkOrder.Status


@pytest.fixture
def bulk(world) -> BulkOrder:
    gift_shop()
    bulk = submitted(world.union, world.ann, 3)
    assert bulk.status == Status.AWAITING_PAYMENT
    return bulk


def menu_names(client) -> set[str]:
    """The top-level admin menu items the signed-in user is shown."""
    request = client.get(url("wagtailadmin_home")).wsgi_request
    return {item.name for item in admin_menu.menu_items_for_request(request)}


def transfer_form(amount_fen: int, reference: str, **extra) -> dict:
    return {
        "amount": fen_to_yuan(amount_fen),
        "received_on": timezone.localdate().isoformat(),
        "bank_reference": reference,
        "payer": "德州市总工会",
        "note": "",
        **extra,
    }


def test_the_operator_records_a_transfer_that_pays_the_bulk_order(client, world, bulk):
    login(client, world.operator)

    page = client.get(url("bulk_orders:inspect", bulk.pk))
    record_url = url("bulk_orders:record_transfer", bulk.pk)
    assert page.status_code == 200 and record_url in page.content.decode()
    form = client.get(record_url)
    assert form.status_code == 200 and fen_to_yuan(bulk.total) in form.content.decode().replace(",", "")

    done = client.post(record_url, transfer_form(bulk.total, "icbc 8801"), follow=True)

    assert done.redirect_chain[-1][0] == url("bulk_orders:inspect", bulk.pk)
    assert any("ICBC8801" in m and "is paid" in m for m in messages_of(done)), messages_of(done)
    bulk.refresh_from_db()
    assert bulk.status == Status.PAID
    assert set(Order.objects.filter(bulk_order=bulk).values_list("status", flat=True)) == {OrderStatus.PAID}
    content = done.content.decode()
    assert "ICBC8801" in content and "Paid" in content
    assert record_url not in content  # a paid bulk order takes no more transfers


def test_a_short_transfer_is_flagged_with_what_is_still_due_and_shown_on_the_listing(client, world, bulk):
    login(client, world.operator)

    done = client.post(
        url("bulk_orders:record_transfer", bulk.pk), transfer_form(10_000, "PART-1", note="首付"), follow=True
    )

    still_due = bulk.total - 10_000
    assert any("still due" in m and fen_to_yuan(still_due) in m.replace(",", "") for m in messages_of(done))
    assert not Payment.objects.exists()
    flagged = client.get(url("bulk_orders:index"), {"needs_review": "true"})
    assert list(flagged.context["object_list"]) == [bulk]
    assert list(client.get(url("bulk_orders:index"), {"needs_review": "false"}).context["object_list"]) == []
    listing = client.get(url("bulk_orders:index"), {"status": Status.AWAITING_PAYMENT})
    assert list(listing.context["object_list"]) == [bulk]
    assert [row.due for row in listing.context["object_list"]] == [bulk.total]
    assert list(client.get(url("bulk_orders:index"), {"status": Status.PAID}).context["object_list"]) == []


def test_the_same_reference_twice_is_refused_on_the_form(client, world, bulk):
    login(client, world.operator)
    client.post(url("bulk_orders:record_transfer", bulk.pk), transfer_form(10_000, "DUP-1"))

    again = client.post(url("bulk_orders:record_transfer", bulk.pk), transfer_form(bulk.total - 10_000, "dup-1"))

    assert again.status_code == 200
    assert "already recorded" in again.content.decode()
    assert TransferReceipt.objects.count() == 1 and not Payment.objects.exists()


def test_an_amount_with_more_than_two_decimals_is_a_form_error(client, world, bulk):
    login(client, world.operator)

    response = client.post(url("bulk_orders:record_transfer", bulk.pk), transfer_form(0, "R-1", amount="12.345"))

    assert response.status_code == 200 and response.context["form"].errors["amount"]
    assert not TransferReceipt.objects.exists()


def test_a_member_sees_their_organisations_bulk_order_read_only(client, world, bulk):
    login(client, world.ann)

    listing = client.get(url("bulk_orders:index"))
    page = client.get(url("bulk_orders:inspect", bulk.pk))
    record = client.get(url("bulk_orders:record_transfer", bulk.pk))
    post = client.post(url("bulk_orders:record_transfer", bulk.pk), transfer_form(bulk.total, "MEMBER-1"))

    assert list(listing.context["object_list"]) == [bulk]
    assert "bulk-orders" in menu_names(client)
    assert page.status_code == 200
    assert page.context["record_url"] == "" and len(page.context["orders"]) == 3
    assert record.status_code == 403 and post.status_code == 403
    assert not TransferReceipt.objects.exists()


def test_the_bureaus_finance_member_cannot_see_the_unions_bulk_order(client, world, bulk):
    login(client, world.ben)

    listing = client.get(url("bulk_orders:index"))
    searched = client.get(url("bulk_orders:index"), {"q": bulk.number})

    assert listing.status_code == 200 and list(listing.context["object_list"]) == []
    assert list(searched.context["object_list"]) == []
    assert bulk.number not in listing.content.decode()
    assert client.get(url("bulk_orders:inspect", bulk.pk)).status_code == 404
    assert client.get(url("bulk_orders:record_transfer", bulk.pk)).status_code == 404
    assert client.post(url("bulk_orders:record_transfer", bulk.pk), transfer_form(bulk.total, "X")).status_code == 404


def test_a_merchant_sees_no_bulk_order(client, world, bulk):
    merchant_user = english_admin(factories.make_merchant_user(factories.make_merchant("另一家合作社")))
    login(client, merchant_user)

    assert client.get(url("bulk_orders:index")).status_code == 404
    assert client.get(url("bulk_orders:inspect", bulk.pk)).status_code == 404
    assert client.get(url("bulk_orders:record_transfer", bulk.pk)).status_code == 404
    assert "bulk-orders" not in menu_names(client)  # no menu item either


def test_the_operator_sees_every_bulk_order_and_finds_one_by_organisation(client, world, bulk):
    login(client, world.operator)

    listing = client.get(url("bulk_orders:index"))
    found = client.get(url("bulk_orders:index"), {"q": "总工会"})

    assert list(listing.context["object_list"]) == [bulk]
    assert list(found.context["object_list"]) == [bulk]
    assert "bulk-orders" in menu_names(client)


def test_the_operator_marks_a_transfer_returned_on_the_page_and_no_one_else_can(client, world, bulk):
    from orders.institutions.transfers import record_transfer

    receipt = record_transfer(
        bulk, actor=world.operator, amount=bulk.total + 100, received_on=timezone.localdate(), bank_reference="OVER-1"
    )
    return_url = url("bulk_orders:return_transfer", receipt.pk)
    login(client, world.ben)  # the bureau's finance member: not their organisation
    assert client.post(return_url, {"return_note": "x"}).status_code == 404
    login(client, world.ann)  # the union's member: read only
    assert return_url not in client.get(url("bulk_orders:inspect", bulk.pk)).content.decode()
    assert client.post(return_url, {"return_note": "x"}).status_code == 403

    login(client, world.operator)
    assert return_url in client.get(url("bulk_orders:inspect", bulk.pk)).content.decode()
    done = client.post(return_url, {"return_note": "工行退汇 RT-77"}, follow=True)

    receipt.refresh_from_db()
    assert receipt.returned_by == world.operator and receipt.return_note == "工行退汇 RT-77"
    assert any("OVER-1" in message for message in messages_of(done))
    assert "工行退汇 RT-77" in done.content.decode()
    bulk.refresh_from_db()
    assert not bulk.needs_review
