"""Invoices of a paid bulk order: each merchant issues its part's invoice, the organisation signs off or disputes,
an operator resolves disputes, and the last sign-off completes the bulk order (once, also when two race)."""

import io
import zipfile
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Merchant
from orders.institutions.invoices import (
    MAX_INVOICE_FILE_BYTES,
    InvoiceError,
    dispute,
    issue_invoice,
    resolve,
    sign_off,
    tell_invoices_requested,
)
from orders.models import BulkOrder, BulkOrderChange, InvoiceRequest, Membership
from orders.payments.reservation import mark_paid
from tests import factories
from tests.fixtures.races import run_together
from tests.institutions.bulk_world import gift_shop, submitted
from worker.channels import render_email
from worker.models import Notification

Status = InvoiceRequest.Status
FULLY_DIGITAL = "24372000000012345678"  # a 全电发票 number: 20 digits


def pdf(name: str = "发票.pdf", size: int = 0) -> SimpleUploadedFile:
    body = b"%PDF-1.7 invoice"
    return SimpleUploadedFile(name, body + b"0" * max(size - len(body), 0), content_type="application/pdf")


def zipped(entries: dict[str, bytes], name: str = "发票.ofd") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in entries.items():
            archive.writestr(path, data)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/ofd")


def ofd() -> SimpleUploadedFile:
    return zipped({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<ofd:Document/>"})


@dataclass
class Paid:
    bulk: BulkOrder
    oil: InvoiceRequest  # merchant A's part
    oranges: InvoiceRequest  # merchant B's part
    alice: User  # member of merchant A
    bob: User  # member of merchant B
    fay: User  # finance of the union
    amy: User  # approver only of the union


def paid_bulk(world) -> Paid:
    shop = gift_shop()
    Merchant.objects.filter(pk=shop.merchant_a.pk).update(contact_email="oil@example.com")
    Merchant.objects.filter(pk=shop.merchant_b.pk).update(contact_email="oranges@example.com")
    bulk = submitted(world.union, world.ann, 3)
    assert bulk.status == BulkOrder.Status.AWAITING_PAYMENT
    for order in bulk.orders.all():
        mark_paid(order)
    bulk.refresh_from_db()
    fay = factories.make_user("fay")
    amy = factories.make_user("amy")
    Membership.objects.create(organisation=world.union, user=fay, role=Membership.Role.FINANCE)
    Membership.objects.create(organisation=world.union, user=amy, role=Membership.Role.APPROVER)
    return Paid(
        bulk=bulk,
        oil=InvoiceRequest.objects.get(bulk_order=bulk, merchant=shop.merchant_a),
        oranges=InvoiceRequest.objects.get(bulk_order=bulk, merchant=shop.merchant_b),
        alice=factories.make_merchant_user(shop.merchant_a, "alice"),
        bob=factories.make_merchant_user(shop.merchant_b, "bob"),
        fay=fay,
        amy=amy,
    )


@pytest.fixture
def paid(world) -> Paid:
    return paid_bulk(world)


def emails(template: str) -> list[str]:
    return sorted(Notification.objects.filter(template=template).values_list("recipient", flat=True))


def fresh(invoice_request: InvoiceRequest) -> InvoiceRequest:
    return InvoiceRequest.objects.get(pk=invoice_request.pk)


# Issuing ---------------------------------------------------------------------------------------------------------


def test_a_paid_bulk_order_asks_each_merchant_for_the_invoice_of_its_goods(paid, world):
    assert paid.bulk.status == BulkOrder.Status.PAID
    assert (paid.oil.status, paid.oranges.status) == (Status.REQUESTED, Status.REQUESTED)
    assert (paid.oil.amount, paid.oranges.amount) > (0, 0)
    assert paid.oil.invoice_title == world.union.invoice_title and paid.oil.tax_number == world.union.tax_number
    assert emails("invoice_requested") == ["oil@example.com", "oranges@example.com"]


def test_the_merchant_issues_a_fully_digital_invoice_number_and_the_buyers_and_finance_hear_of_it(paid, world):
    issue_invoice(paid.oil, actor=paid.alice, invoice_number=" 2437 2000 0000 1234 5678 ")

    oil = fresh(paid.oil)
    assert (oil.status, oil.invoice_number, oil.issued_by) == (Status.ISSUED, FULLY_DIGITAL, paid.alice)
    assert oil.issued_at is not None and not oil.invoice_file
    assert emails("invoice_issued") == ["ann@example.com", "fay@example.com"]  # not the approver only, nor ben


def test_a_pdf_invoice_is_kept_in_the_private_storage_under_our_own_name(paid, settings):
    issue_invoice(paid.oil, actor=paid.alice, file=pdf("../../etc/passwd.pdf"))

    oil = fresh(paid.oil)
    assert oil.status == Status.ISSUED and oil.invoice_number == ""
    assert not oil.invoice_file.path.startswith(f"{settings.MEDIA_ROOT}/")
    assert oil.invoice_file.name.startswith("invoices/") and oil.invoice_file.name.endswith(".pdf")
    assert "passwd" not in oil.invoice_file.name and paid.bulk.number in oil.invoice_file.name
    assert oil.invoice_file.read().startswith(b"%PDF-")


def test_an_ofd_invoice_and_its_number_are_accepted_together(paid):
    issue_invoice(paid.oranges, actor=paid.bob, invoice_number="12345678", file=ofd())

    oranges = fresh(paid.oranges)
    assert oranges.status == Status.ISSUED and oranges.invoice_number == "12345678"
    assert oranges.invoice_file.name.endswith(".ofd")


def test_an_operator_issues_on_the_merchants_behalf(paid, world):
    issue_invoice(paid.oil, actor=world.operator, invoice_number="12345678")

    assert fresh(paid.oil).issued_by == world.operator


@pytest.mark.parametrize(
    ("number", "upload", "message"),
    [
        ("1234567", None, "8 to 20 digits"),
        ("123456789012345678901", None, "8 to 20 digits"),
        ("12345678A", None, "8 to 20 digits"),
        ("", None, "Give the invoice number"),
        ("", SimpleUploadedFile("invoice.pdf", b""), "empty"),
        ("", lambda: pdf(size=MAX_INVOICE_FILE_BYTES + 1), "larger than 10 MB"),
        ("", SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 a program"), "PDF or an OFD"),
        ("", SimpleUploadedFile("invoice.ofd", b"<ofd:OFD/>"), "PDF or an OFD"),
        ("", lambda: zipped({"Doc_0/OFD.xml": b"x"}), "PDF or an OFD"),  # not at the root
        ("", lambda: zipped({"invoice.pdf": b"%PDF-1.7"}), "PDF or an OFD"),  # a zip, not an OFD
        ("", SimpleUploadedFile("invoice.ofd", b"PK\x03\x04 truncated"), "PDF or an OFD"),
    ],
)
def test_bad_numbers_and_files_are_refused_and_nothing_changes(paid, number, upload, message):
    upload = upload() if callable(upload) else upload

    with pytest.raises(InvoiceError, match=message):
        issue_invoice(paid.oil, actor=paid.alice, invoice_number=number, file=upload)

    oil = fresh(paid.oil)
    assert (oil.status, oil.invoice_number, oil.invoice_file.name) == (Status.REQUESTED, "", "")


def test_a_file_of_exactly_10_mb_is_accepted(paid):
    issue_invoice(paid.oil, actor=paid.alice, file=pdf(size=MAX_INVOICE_FILE_BYTES))

    assert fresh(paid.oil).invoice_file.size == MAX_INVOICE_FILE_BYTES


@pytest.mark.parametrize("who", ["bob", "ann", "shopper"])
def test_only_the_merchants_members_and_operators_issue(paid, world, who):
    actor = getattr(paid, who, None) or getattr(world, who)

    with pytest.raises(InvoiceError, match="merchant's members or an operator"):
        issue_invoice(paid.oil, actor=actor, invoice_number="12345678")

    assert fresh(paid.oil).status == Status.REQUESTED


def test_an_issued_invoice_cannot_be_issued_again(paid):
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")

    with pytest.raises(InvoiceError, match="cannot be changed"):
        issue_invoice(paid.oil, actor=paid.alice, invoice_number="87654321")

    assert fresh(paid.oil).invoice_number == "12345678"


# Signing off -----------------------------------------------------------------------------------------------------


def test_the_last_sign_off_completes_the_bulk_order(paid, world):
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")
    issue_invoice(paid.oranges, actor=paid.bob, invoice_number="87654321")

    sign_off(paid.oil, actor=world.ann)
    paid.bulk.refresh_from_db()
    assert paid.bulk.status == BulkOrder.Status.PAID and paid.bulk.completed_at is None

    sign_off(paid.oranges, actor=paid.fay)
    paid.bulk.refresh_from_db()
    oranges = fresh(paid.oranges)
    assert (oranges.status, oranges.signed_off_by) == (Status.SIGNED_OFF, paid.fay) and oranges.signed_off_at
    assert paid.bulk.status == BulkOrder.Status.COMPLETED and paid.bulk.completed_at is not None
    change = paid.bulk.changes.get(to_status=BulkOrder.Status.COMPLETED)
    assert (change.from_status, change.actor) == (BulkOrder.Status.PAID, paid.fay)


def test_a_requested_invoice_cannot_be_signed_off(paid, world):
    with pytest.raises(InvoiceError, match="cannot be changed"):
        sign_off(paid.oil, actor=world.ann)

    assert fresh(paid.oil).status == Status.REQUESTED


@pytest.mark.parametrize("who", ["amy", "ben", "alice", "operator"])
def test_only_buyers_and_finance_of_the_organisation_sign_off_and_dispute(paid, world, who):
    actor = getattr(paid, who, None) or getattr(world, who)
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")

    with pytest.raises(InvoiceError, match="buyer or a finance member"):
        sign_off(paid.oil, actor=actor)
    with pytest.raises(InvoiceError, match="buyer or a finance member"):
        dispute(paid.oil, actor=actor, reason="少了两箱")

    assert fresh(paid.oil).status == Status.ISSUED


# Disputes --------------------------------------------------------------------------------------------------------


def test_a_dispute_needs_a_reason_and_flags_the_bulk_order(paid, world):
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")

    with pytest.raises(InvoiceError, match="what is wrong"):
        dispute(paid.oil, actor=world.ann, reason="   ")
    dispute(paid.oil, actor=world.ann, reason="发票抬头错了")

    oil = fresh(paid.oil)
    paid.bulk.refresh_from_db()
    assert (oil.status, oil.dispute_reason, oil.disputed_by) == (Status.DISPUTED, "发票抬头错了", world.ann)
    assert oil.disputed_at is not None
    assert paid.bulk.needs_review and paid.bulk.status == BulkOrder.Status.PAID
    with pytest.raises(InvoiceError, match="cannot be changed"):
        sign_off(paid.oil, actor=world.ann)


def test_only_operators_resolve_a_dispute(paid, world):
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")
    dispute(paid.oil, actor=world.ann, reason="发票抬头错了")

    for actor in (paid.alice, world.ann):
        with pytest.raises(InvoiceError, match="Only operators"):
            resolve(paid.oil, actor=actor, resolution="ok", outcome="accept")
    with pytest.raises(InvoiceError, match="how the dispute was resolved"):
        resolve(paid.oil, actor=world.operator, resolution="", outcome="accept")
    with pytest.raises(InvoiceError, match="Choose"):
        resolve(paid.oil, actor=world.operator, resolution="ok", outcome="refund")

    assert fresh(paid.oil).status == Status.DISPUTED


def test_a_reissue_clears_the_invoice_and_the_merchant_issues_a_new_one(
    paid, world, django_capture_on_commit_callbacks
):
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678", file=pdf())
    old_file = fresh(paid.oil).invoice_file
    storage, old_name = old_file.storage, old_file.name
    dispute(paid.oil, actor=world.ann, reason="发票抬头错了")

    with django_capture_on_commit_callbacks(execute=True):
        resolve(paid.oil, actor=world.operator, resolution="抬头应为德州市总工会，请重开", outcome="reissue")

    oil = fresh(paid.oil)
    assert (oil.status, oil.invoice_number, oil.invoice_file.name) == (Status.REQUESTED, "", "")
    assert oil.issued_by is None and oil.resolution == "抬头应为德州市总工会，请重开"
    assert oil.resolved_by == world.operator and oil.resolved_at is not None
    assert not storage.exists(old_name)
    # Asked when the bulk order was paid, and again with the resolution (the orange merchant once).
    assert emails("invoice_requested") == ["oil@example.com", "oil@example.com", "oranges@example.com"]

    issue_invoice(oil, actor=paid.alice, file=ofd())
    sign_off(oil, actor=world.ann)
    assert fresh(paid.oil).status == Status.SIGNED_OFF


def test_an_accepted_dispute_signs_off_and_may_complete_the_bulk_order(paid, world):
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")
    issue_invoice(paid.oranges, actor=paid.bob, invoice_number="87654321")
    sign_off(paid.oranges, actor=world.ann)
    dispute(paid.oil, actor=world.ann, reason="少了一箱")

    resolve(paid.oil, actor=world.operator, resolution="已补发一箱", outcome="accept")

    oil = fresh(paid.oil)
    paid.bulk.refresh_from_db()
    assert (oil.status, oil.signed_off_by, oil.resolution) == (Status.SIGNED_OFF, world.operator, "已补发一箱")
    assert paid.bulk.status == BulkOrder.Status.COMPLETED


def test_each_merchant_is_told_once_that_its_invoice_is_requested(paid):
    tell_invoices_requested(paid.bulk)
    tell_invoices_requested(paid.bulk)

    assert emails("invoice_requested") == ["oil@example.com", "oranges@example.com"]


def test_the_messages_render_with_the_bulk_number_and_the_amount(paid, world):
    tell_invoices_requested(paid.bulk)
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")

    for template in ("invoice_requested", "invoice_issued"):
        notification = Notification.objects.filter(template=template).first()
        subject, text, html = render_email(notification)
        assert paid.bulk.number in subject
        assert f"¥{paid.oil.amount // 100:,}." in text or f"¥{paid.oranges.amount // 100:,}." in text
        assert world.union.name in html or "秀山" in html


# Races -----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sign_offs_of_the_last_two_parts_at_once_complete_the_bulk_order_once(world):
    paid = paid_bulk(world)
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")
    issue_invoice(paid.oranges, actor=paid.bob, invoice_number="87654321")

    results = run_together(
        lambda: sign_off(InvoiceRequest.objects.get(pk=paid.oil.pk), actor=world.ann),
        lambda: sign_off(InvoiceRequest.objects.get(pk=paid.oranges.pk), actor=paid.fay),
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    paid.bulk.refresh_from_db()
    assert paid.bulk.status == BulkOrder.Status.COMPLETED
    assert BulkOrderChange.objects.filter(bulk_order=paid.bulk, to_status=BulkOrder.Status.COMPLETED).count() == 1
    assert set(InvoiceRequest.objects.filter(bulk_order=paid.bulk).values_list("status", flat=True)) == {
        Status.SIGNED_OFF
    }


@pytest.mark.django_db(transaction=True)
def test_the_same_part_signed_off_twice_at_once_is_signed_off_once(world):
    paid = paid_bulk(world)
    issue_invoice(paid.oil, actor=paid.alice, invoice_number="12345678")

    results = run_together(
        lambda: sign_off(InvoiceRequest.objects.get(pk=paid.oil.pk), actor=world.ann),
        lambda: sign_off(InvoiceRequest.objects.get(pk=paid.oil.pk), actor=paid.fay),
    )

    refused = [r for r in results if isinstance(r, InvoiceError)]
    assert len(refused) == 1 and "cannot be changed" in str(refused[0])
    assert fresh(paid.oil).signed_off_by in (world.ann, paid.fay)
    paid.bulk.refresh_from_db()
    assert paid.bulk.status == BulkOrder.Status.PAID
