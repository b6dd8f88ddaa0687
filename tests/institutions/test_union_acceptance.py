"""Issue 19's acceptance: a union buys 300 gift packs for its members, end to end, on PostgreSQL.

The union's buyer uploads 300 recipients for a gift pack and submits; an approver (not the buyer) approves;
an operator records the bank transfer (a first, wrong amount is flagged and pays nothing; the same bank
reference again is refused); every order is paid once, each merchant hears of its parcels through the outbox
(one message per bulk order, not 300) and uploads its invoice; the buyer signs both parts off and the bulk
order is complete. The aid ledger (institution channel), the merchants' statements and ``reconcile_ledger``
agree with the money to the fen.
"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog.models import Stock
from orders.aid.reconciliation import reconcile
from orders.aid.statements import statement
from orders.institutions.approval import approve
from orders.institutions.invoices import issue_invoice, sign_off
from orders.institutions.lifecycle import BulkOrderError
from orders.institutions.placement import amount_due
from orders.institutions.transfers import record_transfer
from orders.models import (
    AidChannel,
    AidLedgerEntry,
    BulkOrder,
    InvoiceRequest,
    Membership,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
)
from tests import factories
from tests.fixtures.http import login
from tests.institutions.bulk_world import gift_shop, recipients_csv
from tests.institutions.world import url
from worker.channels import render_email
from worker.models import Notification

pytestmark = pytest.mark.django_db

RECIPIENTS = 300


def test_a_union_buys_300_gift_packs_from_upload_to_sign_off(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.BULK_ORDER_RESERVATION_HOURS = 120
    shop = gift_shop(stock=400)
    merchant_a_user = factories.make_merchant_user(shop.merchant_a)
    merchant_b_user = factories.make_merchant_user(shop.merchant_b)
    chen = factories.make_user("chen")  # the union's approver, who did not build the order
    Membership.objects.create(organisation=world.union, user=chen, role=Membership.Role.APPROVER)

    # The buyer drafts the bulk order and uploads 300 recipients through the shop.
    login(client, world.ann)
    created = client.post(url("storefront:bulk_new"), {"organisation": world.union.pk, "delivery": "recipients"})
    assert created.status_code == 302
    bulk = BulkOrder.objects.get(organisation=world.union)
    upload = client.post(
        url("storefront:bulk_upload", bulk.pk),
        {"file": SimpleUploadedFile("职工名单.csv", recipients_csv(RECIPIENTS))},
    )
    assert upload.status_code == 302
    assert bulk.recipients.count() == RECIPIENTS

    # Submitted: 300 orders, 300 packs' units held; ¥30,000 of packs is above the union's ¥5,000 threshold.
    # A list this long is placed by the worker after the submission commits (eager here), 50 orders at a time.
    with django_capture_on_commit_callbacks(execute=True):
        submitted = client.post(url("storefront:bulk_submit", bulk.pk))
    assert submitted.status_code == 302
    bulk.refresh_from_db()
    assert bulk.status == BulkOrder.Status.PENDING_APPROVAL
    orders = Order.objects.filter(bulk_order=bulk)
    assert orders.count() == RECIPIENTS
    assert sum(Stock.objects.filter(variant=shop.oil).values_list("allocated", flat=True)) == RECIPIENTS
    goods = sum(OrderLine.objects.filter(order__bulk_order=bulk).values_list("line_total", flat=True))
    assert goods == RECIPIENTS * shop.pack.price
    assert bulk.total == sum(orders.values_list("total", flat=True)) == amount_due(bulk)

    # The buyer cannot approve their own order; the approver can.
    with pytest.raises(BulkOrderError):
        approve(bulk, actor=world.ann)
    approve(bulk, actor=chen)
    assert bulk.status == BulkOrder.Status.AWAITING_PAYMENT

    # A transfer short by ¥1 is kept and flagged, and pays nothing; the same bank reference again is refused.
    today = timezone.localdate()
    short = record_transfer(
        bulk, actor=world.operator, amount=bulk.total - 100, received_on=today, bank_reference="HX2026113000001"
    )
    bulk.refresh_from_db()
    assert short.difference == 100 and bulk.needs_review and bulk.status == BulkOrder.Status.AWAITING_PAYMENT
    assert not orders.filter(status=OrderStatus.PAID).exists()
    with pytest.raises(BulkOrderError):
        record_transfer(bulk, actor=world.operator, amount=100, received_on=today, bank_reference="hx 2026113000001")
    # The missing yuan arrives as a second transfer: now the receipts match and every order is paid, once.
    record_transfer(bulk, actor=world.operator, amount=100, received_on=today, bank_reference="HX2026113000002")
    bulk.refresh_from_db()
    assert bulk.status == BulkOrder.Status.PAID
    assert orders.filter(status=OrderStatus.PAID).count() == RECIPIENTS
    assert Payment.objects.filter(order__bulk_order=bulk, provider="transfer").count() == RECIPIENTS
    assert sum(Stock.objects.filter(variant=shop.oil).values_list("allocated", flat=True)) == 0

    # Each merchant hears of its 300 parcels in one message through the outbox.
    for merchant in (shop.merchant_a, shop.merchant_b):
        messages = Notification.objects.filter(template="merchant_bulk_ship", payload__merchant=merchant.name)
        assert messages.count() >= 1
        assert all(message.payload["parcel_count"] == RECIPIENTS for message in messages)
    assert not Notification.objects.filter(template="merchant_ship").exists()
    subject, text, _html = render_email(messages.first())
    assert bulk.number in subject and "300" in subject
    first = orders.get(contact_phone="13900000001")
    assert first.number in text and "天衢路1号" in text

    # Each merchant invoices its part; the buyer checks goods and invoice and signs both off.
    requests = {request.merchant_id: request for request in InvoiceRequest.objects.filter(bulk_order=bulk)}
    assert set(requests) == {shop.merchant_a.pk, shop.merchant_b.pk}
    assert sum(request.amount for request in requests.values()) == goods
    pdf = SimpleUploadedFile("发票.pdf", b"%PDF-1.7 invoice", content_type="application/pdf")
    issue_invoice(requests[shop.merchant_a.pk], actor=merchant_a_user, file=pdf)
    issue_invoice(requests[shop.merchant_b.pk], actor=merchant_b_user, invoice_number="26372000000012345678")
    for request in requests.values():
        request.refresh_from_db()
        sign_off(request, actor=world.ann)
    bulk.refresh_from_db()
    assert bulk.status == BulkOrder.Status.COMPLETED and bulk.completed_at is not None

    # The ledger: one institution credit per order line, summing to the goods; statements and reconciliation agree.
    entries = AidLedgerEntry.objects.filter(order__bulk_order=bulk)
    assert set(entries.values_list("channel", flat=True)) == {AidChannel.INSTITUTION}
    assert entries.count() == OrderLine.objects.filter(order__bulk_order=bulk).count()
    assert sum(entries.values_list("amount", flat=True)) == goods
    for merchant in (shop.merchant_a, shop.merchant_b):
        owed = statement(merchant, today - datetime.timedelta(days=1), today, fee_basis_points=0)
        assert owed.gross == requests[merchant.pk].amount
    assert requests[shop.merchant_a.pk].amount + requests[shop.merchant_b.pk].amount == goods
    result = reconcile()
    assert result.balanced, result.differences
    received = sum(bulk.transfers.values_list("amount", flat=True))
    shipping = sum(orders.values_list("shipping_fee", flat=True))
    assert received == bulk.total == goods + shipping
    assert result.total("payments") - result.total("shipping_captured") == goods
