"""The buyer's pages of a submitted bulk order: submitting, what it shows (status, total, orders, history, how to
pay), approving, rejecting and cancelling from it, in Chinese and English; other organisations see nothing."""

import pytest
from django.utils import translation

from core.money import format_fen
from orders.institutions.placement import amount_due
from orders.models import BulkOrder, Membership, Order, OrderStatus
from orders.payments.reservation import mark_paid
from tests import factories
from tests.fixtures.http import login, messages_of
from tests.institutions.bulk_world import gift_shop, recipients_draft, submitted
from tests.institutions.world import url

pytestmark = pytest.mark.django_db

Status = BulkOrder.Status


@pytest.fixture
def bank(settings):
    settings.BANK_TRANSFER_PAYEE = "德秀集市运营有限公司"
    settings.BANK_TRANSFER_BANK = "中国银行德州分行"
    settings.BANK_TRANSFER_ACCOUNT = "6217 0000 1234 5678"
    return settings


def page_url(name: str, bulk: BulkOrder, language: str) -> str:
    with translation.override(language):
        return url(name, bulk.pk)


def approver(world, username: str = "cat"):
    user = factories.make_user(username)
    Membership.objects.create(organisation=world.union, user=user, role=Membership.Role.APPROVER)
    return user


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_buyer_submits_and_sees_the_orders_and_how_to_pay_by_transfer(client, world, bank, language):
    gift_shop()
    draft = recipients_draft(world.union, world.ann, 3)
    login(client, world.ann)
    detail = client.get(page_url("storefront:bulk_detail", draft, language))
    assert page_url("storefront:bulk_submit", draft, language) in detail.content.decode()

    response = client.post(page_url("storefront:bulk_submit", draft, language))

    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.AWAITING_PAYMENT
    assert messages_of(page)
    assert draft.number in html and format_fen(draft.total) in html
    assert format_fen(amount_due(draft)) in html
    assert "6217 0000 1234 5678" in html and "中国银行德州分行" in html
    for order in Order.objects.filter(bulk_order=draft):
        assert order.number in html and order.contact_name in html
    assert ("等待付款" if language == "zh-hans" else "Awaiting payment") in html
    if language == "en":
        assert "Pay by bank transfer" in html and "Reference to quote" in html
    assert page_url("storefront:bulk_cancel", draft, language) in html
    assert page_url("storefront:bulk_approve", draft, language) not in html


def test_without_an_account_number_the_operator_sends_the_details(client, world, settings):
    settings.BANK_TRANSFER_ACCOUNT = ""
    gift_shop()
    bulk = submitted(world.union, world.ann, 2)
    html = login(client, world.ann).get(page_url("storefront:bulk_detail", bulk, "en")).content.decode()
    assert "The operator will send you the account details for the transfer." in html
    assert bulk.number in html


def test_a_bulk_order_of_one_order_links_to_paying_it_online(client, world, bank):
    gift_shop()
    single = submitted(world.union, world.ann, 1)
    several = submitted(world.union, world.ann, 2)
    login(client, world.ann)
    order = Order.objects.get(bulk_order=single)
    with translation.override("en"):
        pay = url("storefront:order_pay", order.token)
    assert pay in client.get(page_url("storefront:bulk_detail", single, "en")).content.decode()
    assert "/pay/" not in client.get(page_url("storefront:bulk_detail", several, "en")).content.decode()


def test_a_refused_submission_is_shown_as_a_message(client, world):
    gift_shop(stock=2)
    draft = recipients_draft(world.union, world.ann, 3)
    login(client, world.ann)
    response = client.post(page_url("storefront:bulk_submit", draft, "en"), follow=True)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert any("line 4" in message for message in messages_of(response))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_approver_approves_from_the_page(client, world, language):
    gift_shop()
    world.union.approval_threshold = 100_000
    world.union.save()
    bulk = submitted(world.union, world.ann, 20)
    cat = approver(world)
    # The submitter sees no decision buttons, and a post from them is refused with the reason.
    html = login(client, world.ann).get(page_url("storefront:bulk_detail", bulk, language)).content.decode()
    assert page_url("storefront:bulk_approve", bulk, language) not in html
    refused = client.post(page_url("storefront:bulk_approve", bulk, language), follow=True)
    assert messages_of(refused)
    bulk.refresh_from_db()
    assert bulk.status == Status.PENDING_APPROVAL

    html = login(client, cat).get(page_url("storefront:bulk_detail", bulk, language)).content.decode()
    assert page_url("storefront:bulk_approve", bulk, language) in html
    assert page_url("storefront:bulk_reject", bulk, language) in html
    response = client.post(page_url("storefront:bulk_approve", bulk, language), follow=True)

    assert response.status_code == 200
    bulk.refresh_from_db()
    assert bulk.status == Status.AWAITING_PAYMENT and bulk.approved_by == cat
    assert "cat" in response.content.decode()  # in the history


def test_an_approver_rejects_with_a_reason_and_the_buyer_has_a_draft_again(client, world):
    gift_shop()
    world.union.approval_threshold = 100_000
    world.union.save()
    bulk = submitted(world.union, world.ann, 20)
    login(client, approver(world))
    client.post(page_url("storefront:bulk_reject", bulk, "en"), {"reason": ""})
    bulk.refresh_from_db()
    assert bulk.status == Status.PENDING_APPROVAL

    client.post(page_url("storefront:bulk_reject", bulk, "en"), {"reason": "Fewer packs, please"})

    bulk.refresh_from_db()
    assert bulk.status == Status.DRAFT
    html = login(client, world.ann).get(page_url("storefront:bulk_detail", bulk, "en")).content.decode()
    assert "Fewer packs, please" in html
    assert page_url("storefront:bulk_submit", bulk, "en") in html


def test_the_buyer_cancels_from_the_page(client, world):
    gift_shop()
    bulk = submitted(world.union, world.ann, 2)
    login(client, world.ann)
    client.post(page_url("storefront:bulk_cancel", bulk, "en"), {"reason": "活动取消"})
    bulk.refresh_from_db()
    assert bulk.status == Status.CANCELLED
    assert set(Order.objects.filter(bulk_order=bulk).values_list("status", flat=True)) == {OrderStatus.CANCELLED}


def test_many_orders_are_listed_a_page_at_a_time(client, world):
    gift_shop()
    bulk = submitted(world.union, world.ann, 60)
    login(client, world.ann)
    first = client.get(page_url("storefront:bulk_detail", bulk, "en"))
    second = client.get(page_url("storefront:bulk_detail", bulk, "en") + "?page=2")
    assert len(first.context["page_obj"]) == 50 and len(second.context["page_obj"]) == 10
    assert 'rel="next"' in first.content.decode()


def test_another_organisation_and_signed_out_visitors_see_nothing(client, world):
    gift_shop()
    world.union.approval_threshold = 100_000
    world.union.save()
    bulk = submitted(world.union, world.ann, 20)
    bureau_approver = factories.make_user("fay")
    Membership.objects.create(organisation=world.bureau, user=bureau_approver, role=Membership.Role.APPROVER)
    names = ["storefront:bulk_detail", "storefront:bulk_submit", "storefront:bulk_approve", "storefront:bulk_reject"]
    names.append("storefront:bulk_cancel")

    for name in names:
        address = page_url(name, bulk, "en")
        signed_out = client.get(address) if name == "storefront:bulk_detail" else client.post(address)
        assert signed_out.status_code == 302 and "login" in signed_out["Location"]
    login(client, bureau_approver)
    assert client.get(page_url("storefront:bulk_detail", bulk, "en")).status_code == 404
    for name in names[1:]:
        assert client.post(page_url(name, bulk, "en"), {"reason": "x"}).status_code == 404
    login(client, world.ben)
    assert client.get(page_url("storefront:bulk_detail", bulk, "en")).status_code == 404
    bulk.refresh_from_db()
    assert bulk.status == Status.PENDING_APPROVAL


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_list_shows_each_submitted_bulk_orders_number_and_total(client, world, language):
    gift_shop()
    bulk = submitted(world.union, world.ann, 2)
    with translation.override(language):
        address = url("storefront:bulk_list")
    html = login(client, world.ann).get(address).content.decode()
    assert bulk.number in html and format_fen(bulk.total) in html
    assert ("等待付款" if language == "zh-hans" else "Awaiting payment") in html


def test_once_paid_the_bulk_order_links_its_invoices_and_the_organisation_its_report(client, world):
    gift_shop()
    bulk = submitted(world.union, world.ann, 2)
    login(client, world.ann)
    invoices = url("storefront:bulk_invoices", bulk.pk)
    assert invoices not in client.get(url("storefront:bulk_detail", bulk.pk)).content.decode()

    for order in Order.objects.filter(bulk_order=bulk):
        mark_paid(order)

    assert invoices in client.get(url("storefront:bulk_detail", bulk.pk)).content.decode()
    assert client.get(invoices).status_code == 200
    organisations = client.get(url("storefront:institution_applications")).content.decode()
    assert url("storefront:institution_report", world.union.pk) in organisations
