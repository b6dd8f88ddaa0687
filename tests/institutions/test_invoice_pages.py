"""Invoice pages: merchants see and issue only their own in the back office, organisations see, sign off and
dispute only theirs in the shop, and the invoice file goes only to the merchant, the organisation and operators."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.admin.menu import admin_menu

from orders.institutions.invoices import dispute, issue_invoice
from orders.models import BulkOrder, InvoiceRequest
from tests.fixtures.http import login, messages_of
from tests.institutions.test_invoices import FULLY_DIGITAL, Paid, paid_bulk, pdf
from tests.institutions.world import url

pytestmark = pytest.mark.django_db

Status = InvoiceRequest.Status


@pytest.fixture
def paid(world) -> Paid:
    return paid_bulk(world)


@pytest.fixture
def issued(paid) -> Paid:
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678", file=pdf())
    return paid


def fresh(invoice_request: InvoiceRequest) -> InvoiceRequest:
    return InvoiceRequest.objects.get(pk=invoice_request.pk)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# Back office -----------------------------------------------------------------------------------------------------


def test_a_merchant_lists_only_its_own_invoice_requests(client, paid, world):
    page = login(client, paid.alice).get(url("invoices:index"))

    content = page.content.decode()
    assert page.status_code == 200
    assert list(page.context["requests"]) == [paid.oil]
    assert paid.bulk.number in content and world.union.name in content and world.union.tax_number in content
    assert f"¥{paid.oil.amount // 100:,}." in content  # the amount in yuan
    assert "秀山脐橙合作社" not in content


@pytest.mark.parametrize("name", ["detail", "file"])
def test_another_merchants_request_is_not_found(client, issued, name):
    assert login(client, issued.bob).get(url(f"invoices:{name}", issued.oil.pk)).status_code == 404


def test_another_merchant_cannot_issue_or_resolve(client, paid):
    login(client, paid.bob)

    issue = client.post(url("invoices:issue", paid.oil.pk), {"invoice_number": "12345678"})
    resolve = client.post(url("invoices:resolve", paid.oil.pk), {"outcome": "accept", "resolution": "ok"})

    assert (issue.status_code, resolve.status_code) == (404, 404)
    assert fresh(paid.oil).status == Status.REQUESTED


def test_a_merchant_uploads_its_invoice_and_downloads_it(client, paid):
    login(client, paid.alice)

    response = client.post(
        url("invoices:issue", paid.oil.pk), {"invoice_number": FULLY_DIGITAL, "file": pdf("发票.pdf")}
    )
    download = client.get(url("invoices:file", paid.oil.pk))

    assert response.status_code == 302
    oil = fresh(paid.oil)
    assert (oil.status, oil.invoice_number) == (Status.ISSUED, FULLY_DIGITAL)
    assert download.status_code == 200 and body(download).startswith(b"%PDF-")
    assert "attachment" in download["Content-Disposition"]


def test_a_wrong_file_is_refused_with_a_clear_message(client, paid):
    login(client, paid.alice)
    fake = SimpleUploadedFile("invoice.pdf", b"<html>not an invoice</html>", content_type="application/pdf")

    page = client.post(url("invoices:issue", paid.oil.pk), {"file": fake})

    assert page.status_code == 200
    assert "发票必须是PDF或OFD文件。" in page.content.decode()
    assert fresh(paid.oil).status == Status.REQUESTED


def test_operators_see_every_request_and_resolve_disputes(client, issued, world):
    dispute(issued.oil, actor=world.ann, reason="发票抬头错了")
    login(client, world.operator)

    listing = client.get(url("invoices:index"))
    detail = client.get(url("invoices:detail", issued.oil.pk))
    response = client.post(
        url("invoices:resolve", issued.oil.pk), {"outcome": "reissue", "resolution": "请按单位全称重开"}
    )

    assert set(listing.context["requests"]) == {issued.oil, issued.oranges}
    assert "发票抬头错了" in detail.content.decode() and detail.context["resolve_form"] is not None
    assert response.status_code == 302
    oil = fresh(issued.oil)
    assert (oil.status, oil.invoice_number, oil.resolution) == (Status.REQUESTED, "", "请按单位全称重开")


def test_a_merchant_sees_no_resolve_form(client, issued, world):
    dispute(issued.oil, actor=world.ann, reason="发票抬头错了")

    detail = login(client, issued.alice).get(url("invoices:detail", issued.oil.pk))

    assert detail.context["resolve_form"] is None and detail.context["issue_form"] is None


@pytest.mark.parametrize("who", ["ann", "shopper"])
def test_people_without_a_merchant_do_not_get_the_invoices_back_office(client, paid, world, who):
    response = login(client, getattr(world, who)).get(url("invoices:detail", paid.oil.pk))

    assert response.status_code in (302, 403)
    assert paid.bulk.number not in response.content.decode()


def test_the_invoices_menu_shows_to_merchants_and_operators_only(client, paid, world):
    def names(user) -> set[str]:
        request = login(client, user).get(reverse("wagtailadmin_home")).wsgi_request
        return {item.name for item in admin_menu.menu_items_for_request(request)}

    assert "invoices" in names(paid.alice) and "invoices" in names(world.operator)
    assert "invoices" not in names(world.ann)


# Shop ------------------------------------------------------------------------------------------------------------


def test_the_organisation_sees_each_merchants_part_amount_and_invoice(client, issued, world):
    page = login(client, world.ann).get(url("storefront:bulk_invoices", issued.bulk.pk))

    content = page.content.decode()
    assert page.status_code == 200
    assert {part.merchant.name for part in page.context["parts"]} == {"秀山脐橙合作社", "秀山茶油合作社"}
    assert "12345678" in content and url("storefront:bulk_invoice_file", issued.bulk.pk, issued.oil.pk) in content
    assert url("storefront:bulk_invoice_sign_off", issued.bulk.pk, issued.oil.pk) in content
    assert url("storefront:bulk_invoice_sign_off", issued.bulk.pk, issued.oranges.pk) not in content  # not issued
    assert "<table" not in content  # parts stack on a phone


@pytest.mark.parametrize("who", ["ben", "shopper"])
def test_another_organisations_bulk_order_and_invoices_are_not_found(client, issued, world, who):
    login(client, getattr(world, who))
    bulk, oil = issued.bulk.pk, issued.oil.pk

    assert client.get(url("storefront:bulk_invoices", bulk)).status_code == 404
    assert client.get(url("storefront:bulk_invoice_file", bulk, oil)).status_code == 404
    assert client.post(url("storefront:bulk_invoice_sign_off", bulk, oil)).status_code == 404
    assert client.post(url("storefront:bulk_invoice_dispute", bulk, oil), {"reason": "x"}).status_code == 404
    assert fresh(issued.oil).status == Status.ISSUED


def test_a_part_of_another_bulk_order_is_not_found_through_ones_own(client, issued, world):
    own = BulkOrder.objects.create(organisation=world.union, created_by=world.ann)

    response = login(client, world.ann).get(url("storefront:bulk_invoice_file", own.pk, issued.oil.pk))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "status"), [("ann", 200), ("fay", 200), ("amy", 200), ("operator", 200), ("alice", 404), ("ben", 404)]
)
def test_the_file_in_the_shop_goes_to_the_organisations_members_and_operators(client, issued, world, who, status):
    user = getattr(issued, who, None) or getattr(world, who)

    response = login(client, user).get(url("storefront:bulk_invoice_file", issued.bulk.pk, issued.oil.pk))

    assert response.status_code == status
    if status == 200:
        assert body(response).startswith(b"%PDF-")


def test_a_signed_out_visitor_is_sent_to_sign_in(client, issued):
    response = client.get(url("storefront:bulk_invoices", issued.bulk.pk))

    assert response.status_code == 302 and url("storefront:login") in response["Location"]


def test_signing_off_every_part_in_the_shop_completes_the_bulk_order(client, issued, world):
    issue_invoice(issued.oranges, actor=issued.bob, invoice_number="87654321")
    login(client, world.ann)

    first = client.post(url("storefront:bulk_invoice_sign_off", issued.bulk.pk, issued.oil.pk), follow=True)
    second = client.post(url("storefront:bulk_invoice_sign_off", issued.bulk.pk, issued.oranges.pk), follow=True)

    assert messages_of(first) == ["The invoice of 秀山茶油合作社 is signed off."]
    assert messages_of(second) == ["Every invoice is signed off: the bulk order is completed."]
    issued.bulk.refresh_from_db()
    assert issued.bulk.status == BulkOrder.Status.COMPLETED
    assert fresh(issued.oil).signed_off_by == world.ann


def test_an_approver_only_sees_the_invoices_but_gets_no_buttons(client, issued):
    login(client, issued.amy)

    page = client.get(url("storefront:bulk_invoices", issued.bulk.pk))
    refused = client.post(url("storefront:bulk_invoice_sign_off", issued.bulk.pk, issued.oil.pk))

    assert page.status_code == 200 and not page.context["can_sign"]
    assert url("storefront:bulk_invoice_sign_off", issued.bulk.pk, issued.oil.pk) not in page.content.decode()
    assert refused.status_code == 403
    assert fresh(issued.oil).status == Status.ISSUED


def test_a_dispute_needs_a_reason_and_is_recorded(client, issued, world):
    login(client, issued.fay)
    dispute_url = url("storefront:bulk_invoice_dispute", issued.bulk.pk, issued.oil.pk)

    empty = client.post(dispute_url, {"reason": ""})
    assert empty.status_code == 400 and fresh(issued.oil).status == Status.ISSUED
    assert "This field is required." in empty.content.decode()

    sent = client.post(dispute_url, {"reason": "少了两箱脐橙"}, follow=True)

    assert "disputed" in messages_of(sent)[0]
    oil = fresh(issued.oil)
    issued.bulk.refresh_from_db()
    assert (oil.status, oil.dispute_reason) == (Status.DISPUTED, "少了两箱脐橙") and issued.bulk.needs_review
    assert "少了两箱脐橙" in sent.content.decode()
