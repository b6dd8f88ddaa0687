"""Bank transfers for bulk orders, recorded by an operator from the bank statement (issue 19).

Rules (``record_transfer``):
- only operators record transfers (``orders.review_organisation``, as for deciding on organisations), and never
  for an organisation they are a member of;
- the bank reference is cleaned (spaces removed, including full-width ones; upper case) and recorded once: the
  same transfer entered again, for any bulk order, is refused with a message naming where it was recorded. Two
  operators entering it at once are stopped by the bulk order's row lock (same bulk order) or by the unique
  constraint, caught in a savepoint (another bulk order): one receipt, never counted twice;
- the amount is in fen and above 0; the day the money was received is not in the future;
- only a bulk order awaiting payment, whose units are still held, takes a transfer. A draft or one awaiting
  approval is refused (it cannot be paid yet); a paid, completed, cancelled or expired one (or one whose hold has
  run out, about to expire) is refused too: the money goes back to the payer by bank;
- everything happens in one transaction under the bulk order's row lock (``lifecycle.lock``); its orders awaiting
  payment are then locked without waiting, by primary key (as ``approval`` does: an order being paid online holds
  its lock and waits for the bulk order's, so the operator is asked to try again rather than deadlock), and
  before paying them the stock rows of their goods, by primary key (as checkout and ``placement`` do). The
  receipt is stored, then the bulk order's receipts are compared with what its unpaid orders still owe
  (``placement.amount_due``; orders cancelled or expired count for nothing, as in ``placement``). While a bulk
  order awaits payment none of its receipts has been applied (once they are, it is paid and takes no more), so
  all of them count:
  - exactly the amount due: each of its orders awaiting payment is paid by one ``Payment`` (bank transfer, its
    total, succeeded when the money arrived: noon of the day received, site time, but not later than now nor
    earlier than the submission) through ``mark_paid_locked`` (stock sold, aid ledger credited at that time,
    so ``reconcile_ledger`` agrees); the last one moves the bulk order to paid and requests its invoices
    (``placement.on_order_paid``). Its review flag is cleared: the transfers now match;
  - anything else: nothing is paid; the receipt keeps the difference (due less received; negative when more was
    received) and a note, and the bulk order is flagged for review (``needs_review``). A later receipt that
    makes the sum exact pays it;
- an order whose reservation runs out while it is being paid (``mark_paid_locked`` raises ``LatePayment``) rolls
  back the payments of the whole bulk order: no order is paid, the overdue orders then expire (their units are
  released, outside the rolled-back savepoint), the receipt is kept with a note and the difference, and the bulk
  order is flagged. The operator returns by bank what cannot be applied and marks it returned
  (``mark_returned``): it counts no more, so a later transfer of the right amount pays the bulk order.
"""

import zoneinfo
from datetime import date, datetime, time

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Stock
from core.money import format_fen
from core.scopes import User
from core.text import clean_text, site_text
from core.users import acting_user
from orders.institutions.lifecycle import BulkOrderError, lock
from orders.institutions.placement import amount_due
from orders.institutions.selectors import can_review_organisations, member_organisation_ids
from orders.models import BulkOrder, Order, OrderLine, OrderStatus, Payment, PaymentProvider, TransferReceipt
from orders.payments.reservation import LatePayment, expire_order, mark_paid_locked
from orders.state import lock_order

Status = BulkOrder.Status

REFERENCE_MAX_LENGTH = TransferReceipt._meta.get_field("bank_reference").max_length
NOTE_MAX_LENGTH = TransferReceipt._meta.get_field("note").max_length
PAYER_MAX_LENGTH = TransferReceipt._meta.get_field("payer").max_length

# Written into the receipt's note in the site's language, whoever records it.
NOTE_MISMATCH = gettext_lazy("Transfers %(received)s against %(due)s due: nothing paid, to be reviewed.")
NOTE_LATE = gettext_lazy(
    "Order %(order)s ran out of time while being paid: nothing paid, its overdue orders expired; to be reviewed."
)


# What recording a transfer did, carried by the receipt ``record_transfer`` returns (``receipt.outcome``).
PAID, SHORT, OVER, LATE = "paid", "short", "over", "late"


class TransferError(BulkOrderError):
    """A transfer the rules refuse; nothing is recorded and the message is for the operator."""


def clean_reference(reference: str) -> str:
    """The bank reference as stored: every space removed (full-width ones too), upper case."""
    return "".join(clean_text(reference).split()).upper()


def payment_moment(received_on: date, bulk_order: BulkOrder, now: datetime | None = None) -> datetime:
    """When the money counts as arrived: noon of the day received (site time), not later than now nor earlier
    than the bulk order's submission (its orders did not exist before)."""
    now = now or timezone.now()
    noon = datetime.combine(received_on, time(12), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    moment = min(noon, now)
    if bulk_order.submitted_at is not None:
        moment = max(moment, bulk_order.submitted_at)
    return moment


def _check_actor(actor: User, bulk_order: BulkOrder) -> None:
    if not can_review_organisations(actor):
        raise TransferError(_("Only operators may record bank transfers."))
    if bulk_order.organisation_id in member_organisation_ids(actor):
        raise TransferError(_("You cannot record a transfer for an organisation you are a member of."))


def _already_recorded(reference: str) -> TransferError | None:
    found = TransferReceipt.objects.filter(bank_reference=reference).select_related("bulk_order").first()
    if found is None:
        return None
    return TransferError(
        _(
            "The transfer %(reference)s is already recorded (bulk order %(number)s, %(amount)s received on "
            "%(date)s): a transfer is counted once."
        )
        % {
            "reference": reference,
            "number": found.bulk_order,
            "amount": format_fen(found.amount),
            "date": found.received_on.isoformat(),
        }
    )


def _check_status(bulk_order: BulkOrder) -> None:
    if bulk_order.status == Status.AWAITING_PAYMENT:
        if bulk_order.expires_at is not None and bulk_order.expires_at <= timezone.now():
            raise TransferError(
                _(
                    "The units of this bulk order are no longer held: it expires and takes no payment. Return the "
                    "money to the payer by bank."
                )
            )
        return
    if bulk_order.status in (Status.DRAFT, Status.SUBMITTING, Status.PENDING_APPROVAL):
        raise TransferError(
            _("This bulk order is %(status)s: it does not take payments yet. Nothing was recorded.")
            % {"status": bulk_order.get_status_display()}
        )
    raise TransferError(
        _("This bulk order is %(status)s and takes no more payments: return the money to the payer by bank.")
        % {"status": bulk_order.get_status_display()}
    )


def _check_input(amount: object, received_on: object, reference: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise TransferError(_("The amount must be more than 0."))
    if not isinstance(received_on, date) or isinstance(received_on, datetime):
        raise TransferError(_("Give the day the money was received."))
    if received_on > timezone.localdate():
        raise TransferError(_("The day received cannot be in the future."))
    if not reference:
        raise TransferError(_("Give the bank reference of the transfer."))
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise TransferError(_("The bank reference has at most %(count)d characters.") % {"count": REFERENCE_MAX_LENGTH})


def _store(bulk_order: BulkOrder, **fields) -> TransferReceipt:
    """The receipt, or ``TransferError`` when its reference was recorded meanwhile (the unique constraint)."""
    try:
        with transaction.atomic():
            return TransferReceipt.objects.create(bulk_order=bulk_order, **fields)
    except IntegrityError:
        refusal = _already_recorded(fields["bank_reference"])
        if refusal is None:
            raise
        raise refusal from None


def _with_note(receipt: TransferReceipt, remark: str) -> None:
    receipt.note = " ".join(part for part in (receipt.note, remark) if part)[:NOTE_MAX_LENGTH]


def _flag(bulk_order: BulkOrder, receipt: TransferReceipt, remark: str) -> None:
    """Keep the receipt with what is still due and why, and flag the bulk order; nothing is paid."""
    received = received_total(bulk_order)
    receipt.difference = amount_due(bulk_order) - received
    _with_note(receipt, remark)
    receipt.save(update_fields=["difference", "note"])
    bulk_order.needs_review = True
    bulk_order.save(update_fields=["needs_review", "updated_at"])


def received_total(bulk_order: BulkOrder) -> int:
    """What the bulk order's transfers add up to, in fen (those returned to the payer count no more)."""
    kept = TransferReceipt.objects.filter(bulk_order=bulk_order, returned_at__isnull=True)
    return kept.aggregate(total=Sum("amount"))["total"] or 0


def mark_returned(receipt: TransferReceipt, *, actor: User, note: str) -> TransferReceipt:
    """An operator records that a transfer was sent back to the payer by bank, saying why; it counts no more.

    Only a transfer that paid nothing: its bulk order awaits payment (the transfers did not match), or was
    cancelled or expired. A transfer of a paid bulk order paid its orders: those are refunded, not returned.
    With no transfer left counting, the bulk order's review flag is cleared.
    """
    _check_actor(actor, receipt.bulk_order)
    note = clean_text(note)[:NOTE_MAX_LENGTH]
    if not note:
        raise TransferError(_("Say why the transfer was returned (for example the bank's return reference)."))
    with transaction.atomic():
        bulk = lock(receipt.bulk_order)
        receipt = TransferReceipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.returned_at is not None:
            raise TransferError(_("This transfer is already marked as returned."))
        if bulk.status not in (Status.AWAITING_PAYMENT, Status.CANCELLED, Status.EXPIRED):
            raise TransferError(
                _("Bulk order %(number)s is %(status)s: its transfers paid its orders; refund them instead.")
                % {"number": bulk, "status": bulk.get_status_display()}
            )
        receipt.returned_by = acting_user(actor)
        receipt.returned_at = timezone.now()
        receipt.return_note = note
        receipt.save(update_fields=["returned_by", "returned_at", "return_note"])
        if bulk.needs_review and received_total(bulk) == 0:
            bulk.needs_review = False
            bulk.save(update_fields=["needs_review", "updated_at"])
    return receipt


def _pay(order: Order, receipt: TransferReceipt, *, actor: User, moment: datetime) -> None:
    """Pay one order (locked) from the receipt: its payment, then ``mark_paid_locked`` (may raise LatePayment)."""
    attempt = order.payments.filter(provider=PaymentProvider.TRANSFER).count() + 1
    Payment.objects.create(
        order=order,
        provider=PaymentProvider.TRANSFER,
        intent_id=f"transfer-{receipt.pk}-{order.number}",
        attempt=attempt,
        amount=order.total,
        currency="CNY",
        status=Payment.Status.SUCCEEDED,
        method_type="bank_transfer",
        succeeded_at=moment,
    )
    mark_paid_locked(order, actor=actor, payment_reference=receipt.bank_reference, paid_at=moment)


def _pending_orders_locked(bulk_order: BulkOrder) -> list[Order]:
    """Its orders awaiting payment, locked without waiting, by primary key (see the module)."""
    try:
        return list(
            Order.objects.select_for_update(nowait=True)
            .filter(bulk_order=bulk_order, status=OrderStatus.PENDING_PAYMENT)
            .order_by("pk")
        )
    except OperationalError as exc:
        raise TransferError(
            _("One of its orders is being paid at this moment. Nothing was recorded: try again in a minute.")
        ) from exc


def _lock_stock(orders: list[Order]) -> None:
    """Lock every stock row the orders' units are held in, by primary key, before paying any of them: paying
    one order after another would otherwise lock them in an order another payment may cross."""
    variant_ids = set(OrderLine.objects.filter(order__in=orders).values_list("variant_id", flat=True))
    list(Stock.objects.select_for_update().filter(variant_id__in=variant_ids).order_by("pk").values_list("pk"))


def record_transfer(
    bulk: BulkOrder,
    *,
    actor: User,
    amount: int,
    received_on: date,
    bank_reference: str,
    payer: str = "",
    note: str = "",
) -> TransferReceipt:
    """Record a bank transfer for the bulk order and pay it when its transfers match what is due (module rules).

    Returns the receipt, with ``receipt.bulk_order`` the bulk order as it now is and ``receipt.outcome`` what
    happened: ``PAID``; ``SHORT`` or ``OVER`` (nothing paid, flagged; ``receipt.difference`` is what is still due,
    negative when more was received); ``LATE`` (an order ran out of time: nothing paid, flagged).
    ``TransferError`` refuses, with nothing recorded.
    """
    _check_actor(actor, bulk)
    reference = clean_reference(bank_reference)
    _check_input(amount, received_on, reference)
    refusal = _already_recorded(reference)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        lock(bulk)
        refusal = _already_recorded(reference)  # entered by another operator while we waited for the lock
        if refusal is not None:
            raise refusal
        _check_status(bulk)
        pending = _pending_orders_locked(bulk)
        receipt = _store(
            bulk,
            amount=amount,
            received_on=received_on,
            bank_reference=reference,
            payer=clean_text(payer)[:PAYER_MAX_LENGTH],
            note=clean_text(note)[:NOTE_MAX_LENGTH],
            recorded_by=acting_user(actor),
            recorded_at=timezone.now(),
        )
        due, received = amount_due(bulk), received_total(bulk)
        if received != due:
            _flag(bulk, receipt, site_text(NOTE_MISMATCH, received=format_fen(received), due=format_fen(due)))
            receipt.outcome = SHORT if receipt.difference > 0 else OVER
            return receipt
        _lock_stock(pending)
        moment = payment_moment(received_on, bulk)
        paying: Order | None = None
        try:
            with transaction.atomic():
                for paying in pending:
                    lock_order(paying)
                    _pay(paying, receipt, actor=actor, moment=moment)
        except LatePayment:
            # Every payment of the bulk order is rolled back, with the expiry ``mark_paid_locked`` wrote: its
            # overdue orders expire here, outside the rolled-back savepoint, and it is flagged.
            for order in Order.objects.filter(bulk_order=bulk, status=OrderStatus.PENDING_PAYMENT).order_by("pk"):
                expire_order(order)
            _flag(bulk, receipt, site_text(NOTE_LATE, order=paying.number))
            receipt.outcome = LATE
            return receipt
        lock(bulk)
        if bulk.status != Status.PAID:  # no order awaits payment any more: the hook must have moved it
            raise RuntimeError(f"bulk order {bulk.pk} not paid after its transfer {receipt.pk}")
        if bulk.needs_review:
            bulk.needs_review = False
            bulk.save(update_fields=["needs_review", "updated_at"])
    receipt.outcome = PAID
    return receipt
