"""Bank transfers for bulk orders: recorded by operators, paying the bulk order when they add up to what is due,
otherwise kept and flagged; a transfer is counted once, also when two operators record at once (PostgreSQL)."""

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import Stock
from core import roles
from orders.aid.reconciliation import reconcile
from orders.institutions import transfers
from orders.institutions.lifecycle import lock, move
from orders.institutions.placement import amount_due
from orders.institutions.transfers import TransferError, clean_reference, payment_moment, record_transfer
from orders.models import (
    AidLedgerEntry,
    BulkOrder,
    InvoiceRequest,
    Membership,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentProvider,
    TransferReceipt,
)
from orders.payments.reservation import mark_paid
from tests import factories
from tests.fixtures.races import run_together
from tests.institutions.bulk_world import gift_shop, submitted
from tests.institutions.world import build_world

Status = BulkOrder.Status


def awaiting_payment(world, count: int = 3) -> BulkOrder:
    bulk = submitted(world.union, world.ann, count)
    assert bulk.status == Status.AWAITING_PAYMENT  # small enough for the union's ¥5,000 threshold
    return bulk


def held(variant) -> int:
    return sum(Stock.objects.filter(variant=variant).values_list("allocated", flat=True))


def record(bulk: BulkOrder, actor, amount: int, reference: str, **kwargs) -> TransferReceipt:
    kwargs.setdefault("received_on", timezone.localdate())
    return record_transfer(
        BulkOrder.objects.get(pk=bulk.pk), actor=actor, amount=amount, bank_reference=reference, **kwargs
    )


def ledger_balanced() -> bool:
    out = io.StringIO()
    call_command("reconcile_ledger", stdout=out)  # raises CommandError (exit 1) on any difference
    return "balanced" in out.getvalue() and reconcile().balanced


@pytest.mark.django_db
class TestRecording:
    def test_a_transfer_of_exactly_what_is_due_pays_every_order_and_the_bulk_order(self, world):
        shop = gift_shop()
        bulk = awaiting_payment(world, 3)

        receipt = record(bulk, world.operator, bulk.total, " icbc 2026 1130 0001 ", payer="德州市总工会")

        bulk.refresh_from_db()
        assert receipt.outcome == transfers.PAID and receipt.difference == 0
        assert receipt.bank_reference == "ICBC202611300001"
        assert bulk.status == Status.PAID and not bulk.needs_review
        orders = list(Order.objects.filter(bulk_order=bulk))
        assert {order.status for order in orders} == {OrderStatus.PAID}
        for order in orders:
            payment = order.payments.get()
            assert payment.provider == PaymentProvider.TRANSFER and payment.amount == order.total
            assert payment.status == Payment.Status.SUCCEEDED and payment.currency == "CNY"
            assert payment.intent_id == f"transfer-{receipt.pk}-{order.number}"
            assert payment.succeeded_at == order.paid_at
            entries = AidLedgerEntry.objects.filter(order=order)
            assert entries.count() == order.lines.count()
            assert {entry.created_at for entry in entries} == {order.paid_at}
            assert "ICBC202611300001" in order.events.filter(to_status=OrderStatus.PAID).get().note
        assert held(shop.oil) == 0 and held(shop.oranges) == 0  # the held units are sold
        assert InvoiceRequest.objects.filter(bulk_order=bulk).count() == 2  # one per merchant
        paid = bulk.changes.get(to_status=Status.PAID)
        assert paid.actor == world.operator
        assert ledger_balanced()

    def test_a_short_transfer_is_kept_and_flagged_and_the_next_one_that_makes_it_exact_pays(self, world):
        gift_shop()
        bulk = awaiting_payment(world, 3)
        first = bulk.total // 3

        short = record(bulk, world.operator, first, "B-1", note="第一笔")

        bulk.refresh_from_db()
        assert short.outcome == transfers.SHORT and short.difference == bulk.total - first
        assert short.note.startswith("第一笔")
        assert bulk.status == Status.AWAITING_PAYMENT and bulk.needs_review
        assert not Payment.objects.exists() and not AidLedgerEntry.objects.exists()

        rest = record(bulk, world.operator, bulk.total - first, "B-2")

        bulk.refresh_from_db()
        assert rest.outcome == transfers.PAID and rest.difference == 0
        assert bulk.status == Status.PAID and not bulk.needs_review  # the transfers match now
        assert Payment.objects.count() == 3
        assert AidLedgerEntry.objects.count() == OrderLine.objects.filter(order__bulk_order=bulk).count()
        assert ledger_balanced()

    def test_more_than_is_due_pays_nothing_and_flags_the_difference_as_negative(self, world):
        gift_shop()
        bulk = awaiting_payment(world, 2)

        receipt = record(bulk, world.operator, bulk.total + 500, "OVER-1")

        bulk.refresh_from_db()
        assert receipt.outcome == transfers.OVER and receipt.difference == -500
        assert bulk.needs_review and bulk.status == Status.AWAITING_PAYMENT
        assert not Payment.objects.exists()
        assert set(Order.objects.filter(bulk_order=bulk).values_list("status", flat=True)) == {
            OrderStatus.PENDING_PAYMENT
        }

    def test_what_is_due_leaves_out_orders_paid_online(self, world):
        gift_shop()
        bulk = awaiting_payment(world, 3)
        online = Order.objects.filter(bulk_order=bulk).order_by("pk").first()
        mark_paid(online, payment_reference="wx-1")
        due = amount_due(bulk)
        assert due == bulk.total - online.total

        receipt = record(bulk, world.operator, due, "REST-1")

        bulk.refresh_from_db()
        assert receipt.outcome == transfers.PAID and bulk.status == Status.PAID
        assert not online.payments.filter(provider=PaymentProvider.TRANSFER).exists()
        assert Payment.objects.filter(provider=PaymentProvider.TRANSFER).count() == 2

    def test_a_transfer_recorded_twice_or_with_the_wrong_amount_is_refused_or_flagged_never_double_counted(self, world):
        gift_shop()
        bulk = awaiting_payment(world, 2)
        other = awaiting_payment(world, 1)
        wrong = record(bulk, world.operator, bulk.total - 1, "abc 123")
        assert wrong.outcome == transfers.SHORT

        for again in ("ABC123", " a b c 1 2 3 ", "abc\u3000123"):
            with pytest.raises(TransferError, match=r"ABC123.*already recorded"):
                record(bulk, world.operator, 1, again)
        with pytest.raises(TransferError, match="already recorded"):
            record(other, world.operator, other.total, "ABC123")  # nor for another bulk order

        paying = record(bulk, world.operator, 1, "abc 124")
        assert paying.outcome == transfers.PAID
        with pytest.raises(TransferError, match="return the money"):
            record(bulk, world.operator, bulk.total, "abc 125")  # paid: no more transfers
        with pytest.raises(TransferError, match="already recorded"):
            record(bulk, world.operator, 1, "ABC124")

        assert TransferReceipt.objects.filter(bulk_order=bulk).count() == 2
        assert Payment.objects.count() == 2  # one per order, once
        assert AidLedgerEntry.objects.count() == OrderLine.objects.filter(order__bulk_order=bulk).count()
        assert ledger_balanced()

    def test_only_operators_record_transfers_and_not_for_their_own_organisation(self, world):
        gift_shop()
        bulk = awaiting_payment(world, 1)
        for user in (world.ann, world.ben, world.shopper):
            with pytest.raises(TransferError, match="Only operators"):
                record(bulk, user, bulk.total, f"REF-{user.pk}")
        Membership.objects.create(organisation=world.union, user=world.operator, role=Membership.Role.FINANCE)
        operator = type(world.operator).objects.get(pk=world.operator.pk)  # the membership cache starts afresh
        with pytest.raises(TransferError, match="member"):
            record(bulk, operator, bulk.total, "REF-OWN")
        assert not TransferReceipt.objects.exists()

    @pytest.mark.parametrize(
        ("amount", "received_on", "reference", "message"),
        [
            (0, None, "R1", "more than 0"),
            (-100, None, "R1", "more than 0"),
            (100, datetime.date(2999, 1, 1), "R1", "future"),
            (100, None, "  ", "bank reference"),
            (100, None, "X" * 65, "at most 64"),
        ],
    )
    def test_bad_input_is_refused(self, world, amount, received_on, reference, message):
        gift_shop()
        bulk = awaiting_payment(world, 1)
        with pytest.raises(TransferError, match=message):
            record(bulk, world.operator, amount, reference, received_on=received_on or timezone.localdate())
        assert not TransferReceipt.objects.exists()

    def test_a_bulk_order_not_awaiting_payment_takes_no_transfer(self, world):
        gift_shop()
        world.union.approval_threshold = 100
        world.union.save()
        pending = submitted(world.union, world.ann, 1)
        assert pending.status == Status.PENDING_APPROVAL
        with pytest.raises(TransferError, match="does not take payments yet"):
            record(pending, world.operator, pending.total, "P-1")

        world.union.approval_threshold = 500_000
        world.union.save()
        expired = awaiting_payment(world, 1)
        with transaction.atomic():
            move(lock(expired), Status.EXPIRED, actor=None, note="test")
        with pytest.raises(TransferError, match="return the money to the payer by bank"):
            record(expired, world.operator, expired.total, "E-1")

        run_out = awaiting_payment(world, 1)
        BulkOrder.objects.filter(pk=run_out.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
        with pytest.raises(TransferError, match="no longer held"):
            record(run_out, world.operator, run_out.total, "E-2")
        assert not TransferReceipt.objects.exists() and not Payment.objects.exists()

    def test_an_order_running_out_while_being_paid_rolls_back_the_whole_bulk_order_and_flags_it(self, world):
        shop = gift_shop()
        bulk = awaiting_payment(world, 3)
        orders = list(Order.objects.filter(bulk_order=bulk).order_by("pk"))
        last = orders[-1]  # the others are paid first, then rolled back
        Order.objects.filter(pk=last.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

        receipt = record(bulk, world.operator, bulk.total, "LATE-1")

        bulk.refresh_from_db()
        receipt.refresh_from_db()
        assert receipt.outcome == transfers.LATE
        assert bulk.status == Status.AWAITING_PAYMENT and bulk.needs_review
        assert last.number in receipt.note
        assert receipt.difference == (bulk.total - last.total) - bulk.total  # more received than now due
        statuses = dict(Order.objects.filter(bulk_order=bulk).values_list("pk", "status"))
        assert statuses == {
            orders[0].pk: OrderStatus.PENDING_PAYMENT,
            orders[1].pk: OrderStatus.PENDING_PAYMENT,
            last.pk: OrderStatus.EXPIRED,
        }
        assert not Payment.objects.exists() and not AidLedgerEntry.objects.exists()
        assert not InvoiceRequest.objects.exists()
        assert held(shop.oil) == 2 and held(shop.oranges) == 2  # the expired order's units are released
        assert not bulk.changes.filter(to_status=Status.PAID).exists()
        assert ledger_balanced()

    def test_the_payment_counts_from_noon_of_the_day_received_within_the_bulk_orders_life(self, world):
        gift_shop()
        bulk = awaiting_payment(world, 1)
        now = timezone.now()
        day = timezone.localdate(now) - datetime.timedelta(days=1)
        BulkOrder.objects.filter(pk=bulk.pk).update(submitted_at=now - datetime.timedelta(days=3))
        bulk.refresh_from_db()

        moment = payment_moment(day, bulk, now)
        assert timezone.localtime(moment).date() == day and timezone.localtime(moment).hour == 12
        assert payment_moment(day - datetime.timedelta(days=30), bulk, now) == bulk.submitted_at
        assert payment_moment(timezone.localdate(now), bulk, now) <= now

        record(bulk, world.operator, bulk.total, "NOON-1", received_on=day)
        order = Order.objects.get(bulk_order=bulk)
        assert order.paid_at == moment and order.payments.get().succeeded_at == moment
        assert ledger_balanced()

    def test_references_are_kept_without_spaces_in_capitals(self):
        assert clean_reference(" icbc 2026\u3000 11 30\t") == "ICBC20261130"


# -- Races on PostgreSQL -------------------------------------------------------------------------------------


def recording(bulk: BulkOrder, actor, amount: int, reference: str):
    """A racer: records the transfer on its own copy of the bulk order (its own connection)."""
    return lambda: record_transfer(
        BulkOrder.objects.get(pk=bulk.pk),
        actor=actor,
        amount=amount,
        received_on=timezone.localdate(),
        bank_reference=reference,
    )


@pytest.mark.django_db(transaction=True)
def test_two_operators_recording_the_same_transfer_at_once_record_and_pay_it_once():
    world = build_world()
    gift_shop()
    bulk = awaiting_payment(world, 3)
    second = factories.make_user("operator2", group=roles.OPERATORS)

    results = run_together(
        recording(bulk, world.operator, bulk.total, "SAME-1"),
        recording(bulk, second, bulk.total, " same-1 "),
    )

    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], TransferError), results
    assert "already recorded" in str(refused[0])
    bulk.refresh_from_db()
    assert bulk.status == Status.PAID
    assert TransferReceipt.objects.count() == 1
    assert Payment.objects.count() == 3
    assert AidLedgerEntry.objects.count() == OrderLine.objects.filter(order__bulk_order=bulk).count()
    assert bulk.changes.filter(to_status=Status.PAID).count() == 1
    assert ledger_balanced()


@pytest.mark.django_db(transaction=True)
def test_the_same_reference_for_two_bulk_orders_at_once_is_recorded_once():
    world = build_world()
    gift_shop()
    first, second = awaiting_payment(world, 1), awaiting_payment(world, 1)

    results = run_together(
        recording(first, world.operator, first.total, "DUP-9"),
        recording(second, world.operator, second.total, "DUP-9"),
    )

    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], TransferError), results
    assert TransferReceipt.objects.count() == 1
    assert Payment.objects.count() == 1
    paid = BulkOrder.objects.filter(pk__in=[first.pk, second.pk], status=Status.PAID)
    assert paid.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_partial_transfers_at_once_that_add_up_pay_the_bulk_order_exactly_once():
    world = build_world()
    gift_shop()
    bulk = awaiting_payment(world, 4)
    half = bulk.total // 2

    results = run_together(
        recording(bulk, world.operator, half, "PART-A"),
        recording(bulk, world.operator, bulk.total - half, "PART-B"),
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(r.outcome for r in results) == [transfers.PAID, transfers.SHORT]
    bulk.refresh_from_db()
    assert bulk.status == Status.PAID and not bulk.needs_review
    assert TransferReceipt.objects.filter(bulk_order=bulk).count() == 2
    assert Payment.objects.count() == 4
    assert set(Order.objects.filter(bulk_order=bulk).values_list("status", flat=True)) == {OrderStatus.PAID}
    assert AidLedgerEntry.objects.count() == OrderLine.objects.filter(order__bulk_order=bulk).count()
    assert bulk.changes.filter(to_status=Status.PAID).count() == 1
    assert ledger_balanced()


@pytest.mark.django_db(transaction=True)
def test_a_transfer_while_one_of_its_orders_is_being_paid_online_asks_to_try_again_without_waiting():
    world = build_world()
    gift_shop()
    bulk = awaiting_payment(world, 2)
    order = Order.objects.filter(bulk_order=bulk).order_by("pk").first()
    locked, release = threading.Event(), threading.Event()

    def paying_online() -> None:  # holds the order's lock as mark_paid does, until released
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=order.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    payer = threading.Thread(target=paying_online)
    payer.start()
    assert locked.wait(30)
    try:
        with pytest.raises(TransferError, match="being paid at this moment"):
            record(bulk, world.operator, bulk.total, "BUSY-1")
    finally:
        release.set()
        payer.join(30)
    assert not TransferReceipt.objects.exists()

    assert record(bulk, world.operator, bulk.total, "BUSY-1").outcome == transfers.PAID  # once it is done


@pytest.mark.django_db
class TestReturning:
    def test_an_overpayment_sent_back_counts_no_more_and_the_right_transfer_then_pays(self, world):
        gift_shop()
        bulk = awaiting_payment(world, 3)
        over = record(bulk, world.operator, bulk.total + 5000, "BOC-OVER-1")
        assert over.outcome == transfers.OVER
        # Without returning it, the right amount cannot match any more: the receipts exceed what is due.
        assert record(bulk, world.operator, bulk.total, "BOC-RIGHT-0").outcome == transfers.OVER
        for receipt in TransferReceipt.objects.filter(bulk_order=bulk):
            transfers.mark_returned(receipt, actor=world.operator, note="中行退汇 TH001")
        bulk.refresh_from_db()
        assert transfers.received_total(bulk) == 0 and not bulk.needs_review
        returned = TransferReceipt.objects.get(bank_reference="BOC-OVER-1")
        assert (returned.returned_by, returned.return_note) == (world.operator, "中行退汇 TH001")

        paid = record(bulk, world.operator, bulk.total, "BOC-RIGHT-1")

        bulk.refresh_from_db()
        assert paid.outcome == transfers.PAID and bulk.status == Status.PAID
        assert Payment.objects.filter(order__bulk_order=bulk).count() == 3  # each order paid once
        assert ledger_balanced()

    def test_only_a_transfer_that_paid_nothing_is_returned_once_by_an_operator_saying_why(self, world):
        gift_shop()
        bulk = awaiting_payment(world, 2)
        short = record(bulk, world.operator, 100, "CCB-SHORT")
        with pytest.raises(TransferError, match="Only operators"):
            transfers.mark_returned(short, actor=world.ann, note="x")
        with pytest.raises(TransferError, match="Say why"):
            transfers.mark_returned(short, actor=world.operator, note="  ")
        transfers.mark_returned(short, actor=world.operator, note="退汇")
        with pytest.raises(TransferError, match="already"):
            transfers.mark_returned(short, actor=world.operator, note="again")
        bulk.refresh_from_db()
        paying = record(bulk, world.operator, bulk.total, "CCB-FULL")
        assert paying.outcome == transfers.PAID
        with pytest.raises(TransferError, match="refund them instead"):
            transfers.mark_returned(paying, actor=world.operator, note="不应退汇")
        assert TransferReceipt.objects.get(pk=paying.pk).returned_at is None
