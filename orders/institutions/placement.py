"""Submitting a bulk order: its shop orders placed through checkout, their units held, all or nothing.

Rules:
- only a buyer of the organisation submits, and only a draft; it must name something to order (lines for
  one address or a pickup, recipients for many);
- each parcel becomes one ``Order`` through ``orders.checkout.place_order`` (server prices, pack splits, the
  stock allocation and ledger, fulfilments per merchant and location): one for the address or the counter,
  one per recipient. Orders belong to the bulk order and hold their units for
  ``BULK_ORDER_RESERVATION_HOURS``;
- everything happens in one transaction: a parcel that cannot be placed (sold out, a counter without the
  stock, a bad phone) refuses the submission with the recipient's line number, and nothing is held;
- the stock rows every parcel may use are locked first, by primary key, as checkout does, so a submission
  and shoppers' checkouts cannot deadlock;
- the total is the orders' totals (goods and shipping). Above the organisation's approval threshold (or with
  a threshold of 0) the bulk order awaits an approver; otherwise it awaits payment;
- a draft rejected once (``orders.institutions.approval``) is submitted again like any draft: fresh orders are
  placed under the same number; the earlier, cancelled ones stay linked to it and count for nothing (totals,
  what is due, when it is paid, the invoices).

A bulk order is paid when none of its orders awaits payment any more (``on_order_paid``, called by
``mark_paid``): then each merchant with goods in it gets an ``InvoiceRequest``.
"""

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
    """Place the draft's orders and hold their units; it then awaits approval or payment (see the module)."""
    if not can_edit(actor, bulk_order):
        raise BulkOrderError(_("Only a buyer of the organisation can submit this bulk order."))
    with transaction.atomic():
        lock(bulk_order)
        if bulk_order.status != Status.DRAFT:
            raise BulkOrderError(_("This bulk order has already been submitted."))
        found = parcels(bulk_order)
        _lock_stock(found)
        number = bulk_order.number or bulk_number(bulk_order)
        note = _("Bulk order %(number)s of %(organisation)s") % {
            "number": number,
            "organisation": bulk_order.organisation.name,
        }
        placing = _Placing(actor=actor, note=note[:500], site=Site.objects.filter(is_default_site=True).first())
        placed = [_place(parcel, placing) for parcel in found]
        now = timezone.now()
        expires_at = now + timedelta(hours=settings.BULK_ORDER_RESERVATION_HOURS)
        Order.objects.filter(pk__in=[order.pk for order in placed]).update(bulk_order=bulk_order, expires_at=expires_at)
        Cart.objects.filter(pk__in=[order.cart_id for order in placed]).delete()
        total = sum(order.total for order in placed)
        threshold = bulk_order.organisation.approval_threshold
        to_status = Status.PENDING_APPROVAL if threshold == 0 or total > threshold else Status.AWAITING_PAYMENT
        move(
            bulk_order,
            to_status,
            actor=actor,
            note=_("%(count)d orders placed.") % {"count": len(placed)},
            number=number,
            total=total,
            submitted_by=actor,
            submitted_at=now,
            expires_at=expires_at,
        )
    return bulk_order


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
