"""Submitting a bulk order: its shop orders placed through checkout, their units held, all or nothing.

Rules:
- only a buyer of the organisation submits, and only a draft; it must name something to order (lines for
  one address or a pickup, recipients for many);
- each parcel becomes one ``Order`` through ``orders.checkout.place_order`` (server prices, pack splits, the
  stock allocation and ledger, fulfilments per merchant and location): one for the address or the counter,
  one per recipient. Orders belong to the bulk order and hold their units for
  ``BULK_ORDER_RESERVATION_HOURS``;
- submitting moves the draft to ``submitting`` at once; its orders are then placed (``place``) in the request
  for at most ``BULK_ORDER_INLINE_PARCELS`` parcels, otherwise by the worker after the commit
  (``orders.place_bulk_order``), ``CHUNK`` orders per transaction, each chunk's stock rows locked first by
  primary key, as checkout does: shoppers buying the same goods wait for one chunk at most, and a
  submission cannot deadlock with them;
- all or nothing: a parcel that cannot be placed (sold out, a counter without the stock, a bad phone) ends the
  run; the orders placed for it are cancelled (their units released) and the bulk order is a draft again,
  with the reason and the recipient's line number in its history (``failed_submission``). Nothing stays held;
- each run has a token: a run that stalled (a worker lost, the broker down) is taken over by
  ``resume_placements`` (beat, every 2 minutes, after 5 quiet minutes), which cancels what the stalled run
  placed and places everything again; a run that finds another token stops;
- the total is the orders' totals (goods and shipping). Above the organisation's approval threshold (or with
  a threshold of 0) the bulk order awaits an approver; otherwise it awaits payment;
- a draft rejected once (``orders.institutions.approval``) is submitted again like any draft: fresh orders are
  placed under the same number; the earlier, cancelled ones stay linked to it and count for nothing (totals,
  what is due, when it is paid, the invoices).

A bulk order is paid when none of its orders awaits payment any more (``on_order_paid``, called by
``mark_paid``): then each merchant with goods in it gets an ``InvoiceRequest``.
"""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from catalog.models import PackItem, Stock
from core.scopes import User
from orders.checkout.details import Contact, Delivery
from orders.checkout.errors import CartChanged, CheckoutError
from orders.checkout.selectors import cart_summary
from orders.checkout.services import new_checkout_token, place_order
from orders.institutions import dispatch
from orders.institutions.bulk import can_edit
from orders.institutions.invoices import tell_invoices_requested
from orders.institutions.lifecycle import BulkOrderError, lock, move
from orders.models import BulkOrder, Cart, CartLine, CartPackLine, InvoiceRequest, Order, OrderLine, OrderStatus

Status = BulkOrder.Status
logger = logging.getLogger(__name__)
# Parcels placed per transaction: the stock rows of one chunk are locked at a time.
CHUNK = 50
# Orders that ended without being paid: those of a rejected or cancelled submission, or expired ones.
ENDED_UNPAID = (OrderStatus.CANCELLED, OrderStatus.EXPIRED)


@dataclass
class Parcel:
    """One order to place: who receives it, how, and what (variant id → quantity, pack id → quantity)."""

    contact: Contact
    delivery: Delivery
    line_number: int | None = None
    variants: dict[int, int] = field(default_factory=dict)
    packs: dict[int, int] = field(default_factory=dict)

    def add(self, variant_id: int | None, pack_id: int | None, quantity: int) -> None:
        target, key = (self.packs, pack_id) if pack_id else (self.variants, variant_id)
        target[key] = target.get(key, 0) + quantity


def bulk_number(bulk_order: BulkOrder) -> str:
    """The reference a transfer quotes: short, unique, easy to type (``JG`` for 集采, then the id)."""
    return f"JG{bulk_order.pk:07d}"


def parcels(bulk_order: BulkOrder) -> list[Parcel]:
    """What the bulk order will place, one parcel per order; ``BulkOrderError`` when there is nothing."""
    if bulk_order.delivery == BulkOrder.Delivery.RECIPIENTS:
        found = []
        for recipient in bulk_order.recipients.all():
            parcel = Parcel(
                contact=Contact(name=recipient.name, phone=recipient.phone, email=""),
                delivery=Delivery(
                    method=Order.Method.DELIVERY,
                    province=recipient.province,
                    city=recipient.city,
                    district=recipient.district,
                    street=recipient.street,
                    requires_postal_code=False,
                ),
                line_number=recipient.line_number,
            )
            parcel.add(recipient.variant_id, recipient.pack_id, recipient.quantity)
            found.append(parcel)
        if not found:
            raise BulkOrderError(_("Upload the list of recipients first."))
        return found
    organisation = bulk_order.organisation
    if bulk_order.delivery == BulkOrder.Delivery.PICKUP:
        if bulk_order.counter_id is None:
            raise BulkOrderError(_("Choose a sales counter for the pickup."))
        contact = Contact(name=organisation.contact_name, phone=organisation.contact_phone, email="")
        delivery = Delivery(method=Order.Method.PICKUP, pickup_location=bulk_order.counter_id)
    else:
        address = bulk_order.address
        if address is None:
            raise BulkOrderError(_("Choose one of the organisation's addresses."))
        contact = Contact(name=address.recipient, phone=address.phone, email=organisation.contact_email)
        delivery = Delivery(
            method=Order.Method.DELIVERY,
            province=address.province,
            city=address.city,
            district=address.district,
            street=address.street,
            requires_postal_code=False,
        )
    parcel = Parcel(contact=contact, delivery=delivery)
    for line in bulk_order.lines.all():
        parcel.add(line.variant_id, line.pack_id, line.quantity)
    if not parcel.variants and not parcel.packs:
        raise BulkOrderError(_("Add at least one gift pack or product first."))
    return [parcel]


def _lock_stock(found: list[Parcel]) -> None:
    """Lock every stock row the parcels could draw on, by primary key (the order checkout locks in)."""
    variant_ids = {variant_id for parcel in found for variant_id in parcel.variants}
    pack_ids = {pack_id for parcel in found for pack_id in parcel.packs}
    if pack_ids:
        variant_ids |= set(PackItem.objects.filter(pack_id__in=pack_ids).values_list("variant_id", flat=True))
    list(Stock.objects.select_for_update().filter(variant_id__in=variant_ids).order_by("pk").values_list("pk"))


def _refusal(parcel: Parcel, exc: CheckoutError) -> BulkOrderError:
    if parcel.line_number is None:
        return BulkOrderError(str(exc))
    return BulkOrderError(_("Recipient on line %(line)d: %(error)s") % {"line": parcel.line_number, "error": str(exc)})


def _cart_for(parcel: Parcel) -> Cart:
    cart = Cart.objects.create()
    CartLine.objects.bulk_create(
        CartLine(cart=cart, variant_id=variant_id, quantity=quantity)
        for variant_id, quantity in parcel.variants.items()
    )
    CartPackLine.objects.bulk_create(
        CartPackLine(cart=cart, pack_id=pack_id, quantity=quantity) for pack_id, quantity in parcel.packs.items()
    )
    return cart


@dataclass
class _Placing:
    """What every parcel of one submission shares: the site (its shipping rule) and, per content, the
    fingerprint of the cart last priced (parcels of the same goods price alike until the stock runs low)."""

    actor: User
    note: str
    site: Site | None
    fingerprints: dict[tuple, str] = field(default_factory=dict)


def _content(parcel: Parcel) -> tuple:
    return tuple(sorted(parcel.variants.items())), tuple(sorted(parcel.packs.items()))


def _place(parcel: Parcel, placing: _Placing) -> Order:
    """Place one parcel through checkout. The fingerprint of the same goods is reused: when it no longer
    matches (availability changed), checkout's refusal carries the cart as now priced and it is placed again
    with that fingerprint: the outcome of pricing every parcel afresh, with one pricing per order, not two."""
    cart = _cart_for(parcel)
    content = _content(parcel)
    fingerprint = placing.fingerprints.get(content)
    if fingerprint is None:
        fingerprint = placing.fingerprints[content] = cart_summary(cart, site=placing.site).fingerprint
    token = new_checkout_token()
    for attempt in range(2):
        try:
            return place_order(
                cart=cart,
                contact=parcel.contact,
                delivery=parcel.delivery,
                note=placing.note,
                checkout_token=token,
                expected_fingerprint=fingerprint,
                user=placing.actor,
                site=placing.site,
            )
        except CartChanged as exc:
            fresh = exc.summary.fingerprint if exc.summary is not None else fingerprint
            if type(exc) is not CartChanged or attempt or fresh == fingerprint:
                raise _refusal(parcel, exc) from exc
            fingerprint = placing.fingerprints[content] = fresh
        except CheckoutError as exc:
            raise _refusal(parcel, exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def submit(bulk_order: BulkOrder, *, actor: User) -> BulkOrder:
    """Submit a draft: it is ``submitting`` (who, when) and its orders are placed in runs of ``CHUNK`` (see the
    module): here and now for at most ``BULK_ORDER_INLINE_PARCELS`` parcels, else by the worker after commit."""
    if not can_edit(actor, bulk_order):
        raise BulkOrderError(_("Only a buyer of the organisation can submit this bulk order."))
    with transaction.atomic():
        lock(bulk_order)
        if bulk_order.status != Status.DRAFT:
            raise BulkOrderError(_("This bulk order has already been submitted."))
        count = len(parcels(bulk_order))
        token = secrets.token_hex(16)
        move(
            bulk_order,
            Status.SUBMITTING,
            actor=actor,
            number=bulk_order.number or bulk_number(bulk_order),
            submitted_by=actor,
            submitted_at=timezone.now(),
            placing_token=token,
        )
        inline = count <= settings.BULK_ORDER_INLINE_PARCELS
        if not inline:
            transaction.on_commit(lambda: publish_placement(bulk_order.pk, token))
    if inline:
        place(bulk_order.pk, token)
        bulk_order.refresh_from_db()
        if bulk_order.status == Status.DRAFT:
            raise BulkOrderError(failed_submission(bulk_order))
    return bulk_order


def failed_submission(bulk_order: BulkOrder) -> str:
    """Why the draft's last submission could not place its orders ("" if it did not fail)."""
    last = bulk_order.changes.order_by("-created_at", "-pk").first()
    if bulk_order.status != Status.DRAFT or last is None or last.from_status != Status.SUBMITTING:
        return ""
    return last.note


def placing_progress(bulk_order: BulkOrder) -> tuple[int, int]:
    """While submitting: how many of its orders are placed so far, of how many."""
    placed = Order.objects.filter(bulk_order=bulk_order, status=OrderStatus.PENDING_PAYMENT).count()
    if bulk_order.delivery == BulkOrder.Delivery.RECIPIENTS:
        return placed, bulk_order.recipients.count()
    return placed, 1


def publish_placement(bulk_order_id: int, token: str) -> None:
    """Queue the placing of a submitted bulk order; a broker that is down is logged (``resume_placements`` takes
    it up a few minutes later)."""
    from orders.tasks import place_bulk_order  # the tasks module imports this one

    try:
        place_bulk_order.delay(bulk_order_id, token)
    except Exception:
        logger.warning("Could not queue the placing of bulk order %s; it resumes later", bulk_order_id, exc_info=True)


def _still_mine(bulk_order: BulkOrder, token: str) -> bool:
    """Lock the bulk order's row; whether it is still submitting under this run's token."""
    lock(bulk_order)
    return bulk_order.status == Status.SUBMITTING and bulk_order.placing_token == token


def _cancel_placed(bulk_order: BulkOrder, actor: User | None, reason: str) -> int:
    """Cancel the orders this submission placed so far (awaiting payment), releasing their units."""
    from orders.payments.reservation import cancel_order  # which calls on_order_paid here when an order is paid

    placed = list(Order.objects.filter(bulk_order=bulk_order, status=OrderStatus.PENDING_PAYMENT).order_by("pk"))
    for order in placed:
        cancel_order(order, actor=actor, reason=reason)
    return len(placed)


def place(bulk_order_id: int, token: str) -> bool:
    """Place the orders of a submitting bulk order under the run ``token``; False if the run is no longer its own.

    Orders left awaiting payment by an interrupted run are cancelled first (their units released). Then the
    parcels are placed ``CHUNK`` at a time, one transaction each, the chunk's stock rows locked first by primary
    key: shoppers buying the same goods wait for one chunk at most, never for the whole list. A parcel that
    cannot be placed ends the run: every order placed for it is cancelled and the bulk order is a draft again,
    the reason (with the recipient's line) in its history. When every parcel is placed it awaits approval or
    payment (see the module).
    """
    bulk_order = BulkOrder(pk=bulk_order_id)
    with transaction.atomic():
        if not _still_mine(bulk_order, token):
            return False
        actor = bulk_order.submitted_by
        _cancel_placed(bulk_order, actor, _("Placing started again."))
        found = parcels(bulk_order)
    note = _("Bulk order %(number)s of %(organisation)s") % {
        "number": bulk_order.number,
        "organisation": bulk_order.organisation.name,
    }
    placing = _Placing(actor=actor, note=note[:500], site=Site.objects.filter(is_default_site=True).first())
    expires_at = timezone.now() + timedelta(hours=settings.BULK_ORDER_RESERVATION_HOURS)
    for start in range(0, len(found), CHUNK):
        chunk = found[start : start + CHUNK]
        try:
            with transaction.atomic():
                if not _still_mine(bulk_order, token):
                    return False
                _lock_stock(chunk)
                placed = [_place(parcel, placing) for parcel in chunk]
                Order.objects.filter(pk__in=[order.pk for order in placed]).update(
                    bulk_order=bulk_order, expires_at=expires_at
                )
                Cart.objects.filter(pk__in=[order.cart_id for order in placed]).delete()
                BulkOrder.objects.filter(pk=bulk_order.pk).update(updated_at=timezone.now())
        except BulkOrderError as refusal:
            _give_up(bulk_order, token, str(refusal))
            return False
    with transaction.atomic():
        if not _still_mine(bulk_order, token):
            return False
        orders = Order.objects.filter(bulk_order=bulk_order, status=OrderStatus.PENDING_PAYMENT)
        count = orders.count()
        total = orders.aggregate(total=Sum("total"))["total"] or 0
        threshold = bulk_order.organisation.approval_threshold
        to_status = Status.PENDING_APPROVAL if threshold == 0 or total > threshold else Status.AWAITING_PAYMENT
        move(
            bulk_order,
            to_status,
            actor=actor,
            note=_("%(count)d orders placed.") % {"count": count},
            total=total,
            expires_at=expires_at,
            placing_token="",
        )
    return True


def _give_up(bulk_order: BulkOrder, token: str, reason: str) -> None:
    """A parcel could not be placed: cancel what this run placed and make the bulk order a draft again."""
    with transaction.atomic():
        if not _still_mine(bulk_order, token):
            return
        _cancel_placed(bulk_order, bulk_order.submitted_by, reason)
        move(
            bulk_order,
            Status.DRAFT,
            actor=None,
            note=reason,
            total=0,
            submitted_by=None,
            submitted_at=None,
            expires_at=None,
            placing_token="",
        )


def resume_placements(*, stalled_after: timedelta = timedelta(minutes=5)) -> int:
    """Take over submissions whose run stalled (no chunk for ``stalled_after``: a worker died, the broker was down)
    and place them here under a new run; returns how many were resumed."""
    stalled = BulkOrder.objects.filter(
        status=Status.SUBMITTING, updated_at__lt=timezone.now() - stalled_after
    ).values_list("pk", flat=True)
    resumed = 0
    for pk in list(stalled):
        token = secrets.token_hex(16)
        with transaction.atomic():
            bulk_order = BulkOrder(pk=pk)
            lock(bulk_order)
            if bulk_order.status != Status.SUBMITTING:
                continue
            BulkOrder.objects.filter(pk=pk).update(placing_token=token, updated_at=timezone.now())
        resumed += place(pk, token)
    return resumed


def request_invoices(bulk_order: BulkOrder) -> list[InvoiceRequest]:
    """One invoice request per merchant with goods in the bulk order, for its goods (the lines' totals)."""
    organisation = bulk_order.organisation
    amounts = (
        OrderLine.objects.filter(order__bulk_order=bulk_order)
        .exclude(order__status__in=ENDED_UNPAID)
        .values("merchant_id")
        .annotate(amount=Sum("line_total"))
        .order_by("merchant_id")
    )
    return InvoiceRequest.objects.bulk_create(
        [
            InvoiceRequest(
                bulk_order=bulk_order,
                merchant_id=row["merchant_id"],
                amount=row["amount"],
                invoice_title=organisation.invoice_title,
                tax_number=organisation.tax_number,
            )
            for row in amounts
        ],
        ignore_conflicts=True,
    )


def on_order_paid(order: Order, *, actor: User | None = None) -> None:
    """Called in ``mark_paid``'s transaction for an order of a bulk order: once every one of its orders is paid,
    the bulk order is paid, each merchant is sent its parcels in one message and asked for its invoice."""
    if order.bulk_order_id is None:
        return
    bulk_order = lock(BulkOrder(pk=order.bulk_order_id))
    if bulk_order.status != Status.AWAITING_PAYMENT:
        return
    # Orders of an earlier, rejected submission stay linked to it, cancelled: only unpaid ones keep it waiting.
    if Order.objects.filter(bulk_order=bulk_order, status=OrderStatus.PENDING_PAYMENT).exclude(pk=order.pk).exists():
        return
    move(bulk_order, Status.PAID, actor=actor, paid_at=order.paid_at or timezone.now())
    request_invoices(bulk_order)
    dispatch.bulk_order_paid(bulk_order)
    tell_invoices_requested(bulk_order)


def payable(order: Order) -> bool:
    """Whether an order of a bulk order may be paid on its own (online): only while the bulk awaits payment."""
    return BulkOrder.objects.filter(pk=order.bulk_order_id, status=Status.AWAITING_PAYMENT).exists()


def amount_due(bulk_order: BulkOrder) -> int:
    """What is still to pay, in fen: the totals of its orders awaiting payment (some may be paid online)."""
    due = Order.objects.filter(bulk_order=bulk_order, status=OrderStatus.PENDING_PAYMENT).aggregate(due=Sum("total"))
    return due["due"] or 0


def orders_of(bulk_order: BulkOrder) -> QuerySet[Order]:
    """Every order it placed, the latest submission's first (a rejected one's stay listed, cancelled)."""
    return Order.objects.filter(bulk_order=bulk_order).order_by("-pk")
