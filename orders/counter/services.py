"""Writes of the counter console: handing a pickup order over against its code, and walk-in sales.

Lock order as everywhere in ``orders``: the order row, then the pickup and fulfilment rows, then ``Stock``
rows by primary key (through ``catalog.services``); a counter's code field (``CounterCodeGuard``) is locked
before any of them. Errors carry a translated message for counter staff.
"""

import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.models import Location, StockMovement, Variant
from catalog.presales import harvest_pending
from catalog.services import StockChange, apply_stock_changes
from core.scopes import User
from core.text import clean_text, site_text
from core.users import acting_user
from orders.aid.services import credit_counter_sale
from orders.availability import stocked_variants
from orders.events import record_order_event
from orders.fulfilment.services import complete_pickup
from orders.models import (
    CounterCodeGuard,
    CounterPaymentMethod,
    CounterSale,
    CounterSaleLine,
    Fulfilment,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Pickup,
    Voucher,
)
from orders.numbers import counter_sale_number
from orders.state import OrderError, lock_order
from orders.vouchers.selectors import find_voucher, split_voucher
from orders.vouchers.selectors import quote as quote_voucher
from orders.vouchers.services import VoucherError, redeem_for_sale

# Written into the order history and the ledger in the site's language, whoever acts.
NOTE_WRONG_CODE = gettext_lazy("Wrong pickup code entered (%(count)d in a row).")
NOTE_LOCKED = gettext_lazy("Wrong pickup code entered (%(count)d in a row): hand-over locked until %(until)s.")
NOTE_HANDED_OVER = gettext_lazy("Handed over against the pickup code.")
REASON_COUNTER_SALE = gettext_lazy("Walk-in sale at %(counter)s, recorded by %(user)s")

# A code of a pickup handed over here this recently is answered "already handed over" by the code field.
HANDED_OVER_LATELY_HOURS = 12
MAX_SALE_QUANTITY = 9999
MAX_NOTE_LENGTH = 500


class CounterError(OrderError):
    """A counter action that is refused; the message is meant for the counter staff."""


class HandOverLocked(CounterError):
    """Too many wrong pickup codes in a row: the hand-over waits until the lock runs out."""


class WrongPickupCode(CounterError):
    """The code given does not match the pickup's code (or, typed into the counter's field, any pickup there)."""


def _clock(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def _person(actor: User | None) -> str:
    user = acting_user(actor)
    return (user.get_full_name() or user.get_username()) if user is not None else "-"


# --- Hand-over ----------------------------------------------------------------------------------


def _check_can_hand_over(order: Order, pickup: Pickup, parts: list[Fulfilment]) -> None:
    """Refuse (without counting a wrong code) a pickup that is not ready as a whole or whose order is not
    being collected."""
    if pickup.handed_over_at is not None or (parts and all(p.status == Fulfilment.Status.COMPLETED for p in parts)):
        raise CounterError(_("This order has already been handed over."))
    if not parts:
        raise CounterError(_("Nothing of this order is left to hand over."))
    if any(part.status != Fulfilment.Status.READY_FOR_PICKUP for part in parts):
        ready = sum(part.status == Fulfilment.Status.READY_FOR_PICKUP for part in parts)
        raise CounterError(
            ngettext(
                "This order is not ready for pickup yet: %(ready)d of its %(count)d part here is ready.",
                "This order is not ready for pickup yet: %(ready)d of its %(count)d parts here are ready.",
                len(parts),
            )
            % {"ready": ready, "count": len(parts)}
        )
    if order.status not in (OrderStatus.FULFILLING, OrderStatus.READY_FOR_PICKUP):
        raise CounterError(
            _("The order is %(status)s; it cannot be handed over.")
            % {"status": str(OrderStatus(order.status).label).lower()}
        )
    if harvest_pending(OrderLine.objects.filter(fulfilment__in=parts).values("variant_id")):
        raise CounterError(_("The pre-sale harvest has not been received yet."))


def _lock_threshold(failures: int, now: datetime) -> datetime | None:
    """When ``failures`` wrong codes in a row reach the limit, the time the lock runs out."""
    if failures >= settings.COUNTER_HANDOVER_MAX_FAILURES:
        return now + timedelta(minutes=settings.COUNTER_HANDOVER_LOCK_MINUTES)
    return None


def _wrong_code_refusal(failures: int, locked_until: datetime | None) -> CounterError:
    if locked_until is not None:
        return HandOverLocked(
            _("Wrong pickup code. After %(count)d wrong codes in a row, this order is locked until %(until)s.")
            % {"count": failures, "until": _clock(locked_until)}
        )
    left = settings.COUNTER_HANDOVER_MAX_FAILURES - failures
    return WrongPickupCode(
        ngettext(
            "Wrong pickup code. %(left)d more wrong code locks this order for a while.",
            "Wrong pickup code. %(left)d more wrong codes lock this order for a while.",
            left,
        )
        % {"left": left}
    )


def _record_wrong_code(pickup: Pickup, *, actor: User | None, now: datetime) -> CounterError:
    """Count a wrong code for the pickup (locking it after too many in a row), note it in the order's history;
    return the refusal."""
    failures = pickup.handover_failures + 1
    locked_until = _lock_threshold(failures, now)
    if locked_until is not None:
        note = site_text(NOTE_LOCKED, count=failures, until=_clock(locked_until))
    else:
        note = site_text(NOTE_WRONG_CODE, count=failures)
    # update(), not save(): a refused attempt changes nothing else of the pickup.
    Pickup.objects.filter(pk=pickup.pk).update(handover_failures=failures, handover_locked_until=locked_until)
    pickup.handover_failures, pickup.handover_locked_until = failures, locked_until
    record_order_event(pickup.order_id, OrderEvent.Kind.NOTE, actor=actor, note=note, at=now)
    return _wrong_code_refusal(failures, locked_until)


def _refuse_while_locked(pickup: Pickup, now: datetime) -> None:
    """Refuse while the pickup is locked; once the lock has run out, its count starts again."""
    if pickup.handover_locked_until is None:
        return
    if pickup.handover_locked_until > now:
        raise HandOverLocked(
            _("Too many wrong pickup codes: this order is locked until %(until)s.")
            % {"until": _clock(pickup.handover_locked_until)}
        )
    pickup.handover_failures, pickup.handover_locked_until = 0, None


def _hand_over_locked_order(
    order: Order, pickup_id: int, code: str, *, actor: User | None, now: datetime
) -> tuple[Pickup, CounterError | None]:
    """Holding the order's lock: lock the pickup, check it, and hand every part over on the right code (the
    count cleared); count a wrong one. Returns the pickup and the refusal to raise after the commit, if any."""
    pickup = Pickup.objects.select_for_update().select_related("location").get(pk=pickup_id, order_id=order.pk)
    parts = list(pickup.parts.exclude(status=Fulfilment.Status.CANCELLED).order_by("pk"))
    _check_can_hand_over(order, pickup, parts)
    _refuse_while_locked(pickup, now)
    if not secrets.compare_digest(pickup.code.encode(), code.encode()):
        return pickup, _record_wrong_code(pickup, actor=actor, now=now)
    if pickup.handover_failures or pickup.handover_locked_until:
        Pickup.objects.filter(pk=pickup.pk).update(handover_failures=0, handover_locked_until=None)
    complete_pickup(order, pickup, actor=actor, note=site_text(NOTE_HANDED_OVER))
    pickup.refresh_from_db()
    return pickup, None


def hand_over(pickup: Pickup, code: str, *, actor: User | None) -> Pickup:
    """Hand every part of a ready pickup to the customer who gives its code, at once; each part becomes
    completed (a recorded move), and the order too when nothing else is left.

    Refused with ``HandOverLocked`` while the pickup is locked, and without counting while any part is not
    ready yet. A wrong code is refused with ``WrongPickupCode`` but counted and noted in the order's history,
    and that record is committed even though the hand-over is refused; ``COUNTER_HANDOVER_MAX_FAILURES`` wrong
    codes in a row lock the pickup for ``COUNTER_HANDOVER_LOCK_MINUTES``. The right code clears the count.
    """
    code = clean_text(code)
    if not code:
        raise CounterError(_("Enter the customer's pickup code."))
    with transaction.atomic():
        order = lock_order(Order(pk=pickup.order_id))
        pickup, refusal = _hand_over_locked_order(order, pickup.pk, code, actor=actor, now=timezone.now())
    if refusal is not None:
        raise refusal
    return pickup


def _lock_code_field(location: Location) -> CounterCodeGuard:
    CounterCodeGuard.objects.bulk_create([CounterCodeGuard(location=location)], ignore_conflicts=True)
    return CounterCodeGuard.objects.select_for_update().get(location=location)


def _refuse_while_field_locked(guard: CounterCodeGuard, now: datetime) -> None:
    if guard.locked_until is not None and guard.locked_until > now:
        raise HandOverLocked(
            _(
                "Too many codes that match no order here: this field is locked until %(until)s. "
                "Hand the order over from its row below."
            )
            % {"until": _clock(guard.locked_until)}
        )


def _count_unknown_code(guard: CounterCodeGuard, now: datetime) -> CounterError:
    """Count a code that found nothing against the counter's field (locking it at the limit); return the refusal."""
    failures = 1 if guard.locked_until is not None else guard.failures + 1
    locked_until = _lock_threshold(failures, now)
    CounterCodeGuard.objects.filter(pk=guard.pk).update(failures=failures, locked_until=locked_until)
    return _unknown_code_refusal(failures, locked_until)


def _clear_code_field(guard: CounterCodeGuard) -> None:
    if guard.failures or guard.locked_until:
        CounterCodeGuard.objects.filter(pk=guard.pk).update(failures=0, locked_until=None)


def hand_over_by_code(location: Location, code: str, *, actor: User | None) -> Pickup:
    """Hand over the open pickup at ``location`` whose code this is (typed, or its QR scanned), every part at
    once, as ``hand_over`` does; a pickup of another counter is not found.

    A code that finds no pickup here is refused with ``WrongPickupCode`` and counted against the counter's code
    field (``CounterCodeGuard``), committed though refused: ``COUNTER_HANDOVER_MAX_FAILURES`` of them in a row
    lock the field for ``COUNTER_HANDOVER_LOCK_MINUTES`` (each pickup can still be handed over from its own
    row, with its own count). A code that finds a pickup clears the field's count; one of a pickup handed over
    here in the last ``HANDED_OVER_LATELY_HOURS`` is refused as handed over already, without counting.
    """
    code = clean_text(code)
    if not code:
        raise CounterError(_("Enter the customer's pickup code."))
    refusal: CounterError | None = None
    with transaction.atomic():
        guard = _lock_code_field(location)
        now = timezone.now()
        _refuse_while_field_locked(guard, now)
        found = (
            Pickup.objects.filter(location=location, code=code, closed_at__isnull=True)
            .values_list("pk", "order_id")
            .first()
        )
        if found is None and _handed_over_lately(location, code, now):
            # Scanned twice, or by two staff at once: say so, and it is no guess.
            raise CounterError(_("This order has already been handed over."))
        if found is None:
            refusal = _count_unknown_code(guard, now)
        else:
            _clear_code_field(guard)
            pickup_id, order_id = found
            order = lock_order(Order(pk=order_id))
            pickup, refusal = _hand_over_locked_order(order, pickup_id, code, actor=actor, now=now)
    if refusal is not None:
        raise refusal
    return pickup


def find_pickup_by_code(location: Location, code: str) -> Pickup:
    """The pickup at ``location`` a customer's code (typed, or its QR scanned) belongs to, for the console's search:
    the open one, else one handed over here in the last ``HANDED_OVER_LATELY_HOURS`` (shown as handed over).

    Guarded like the code field, since a search by code tells whether a code exists: a code that finds neither is
    refused with ``WrongPickupCode`` and counted against the counter's field (committed though refused), and the
    field locks after ``COUNTER_HANDOVER_MAX_FAILURES`` in a row (``HandOverLocked``); a code that finds an open
    pickup clears the count. Nothing is handed over.
    """
    code = clean_text(code)
    if not code:
        raise CounterError(_("Enter the customer's pickup code."))
    refusal: CounterError | None = None
    with transaction.atomic():
        guard = _lock_code_field(location)
        now = timezone.now()
        _refuse_while_field_locked(guard, now)
        pickup = Pickup.objects.filter(location=location, code=code, closed_at__isnull=True).first()
        if pickup is not None:
            _clear_code_field(guard)
        else:
            pickup = (
                Pickup.objects.filter(
                    location=location,
                    code=code,
                    handed_over_at__gte=now - timedelta(hours=HANDED_OVER_LATELY_HOURS),
                )
                .order_by("-handed_over_at")
                .first()
            )
            if pickup is None:
                refusal = _count_unknown_code(guard, now)
    if refusal is not None:
        raise refusal
    return pickup


def _handed_over_lately(location: Location, code: str, now: datetime) -> bool:
    return Pickup.objects.filter(
        location=location, code=code, handed_over_at__gte=now - timedelta(hours=HANDED_OVER_LATELY_HOURS)
    ).exists()


def _unknown_code_refusal(failures: int, locked_until: datetime | None) -> CounterError:
    if locked_until is not None:
        return HandOverLocked(
            _(
                "No order waiting here has this pickup code. After %(count)d such codes in a row, this field is "
                "locked until %(until)s."
            )
            % {"count": failures, "until": _clock(locked_until)}
        )
    left = settings.COUNTER_HANDOVER_MAX_FAILURES - failures
    return WrongPickupCode(
        ngettext(
            "No order waiting here has this pickup code. %(left)d more such code locks this field for a while.",
            "No order waiting here has this pickup code. %(left)d more such codes lock this field for a while.",
            left,
        )
        % {"left": left}
    )


# --- Counter sales ------------------------------------------------------------------------------


def _clean_sale_lines(lines: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Variant id → quantity, the quantities of repeated variants added up."""
    quantities: dict[int, int] = {}
    for variant_id, quantity in lines:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_SALE_QUANTITY:
            raise CounterError(_("Quantity must be a whole number from 1 to %(max)d.") % {"max": MAX_SALE_QUANTITY})
        if isinstance(variant_id, bool) or not isinstance(variant_id, int):
            raise CounterError(_("Choose a product for every line."))
        quantities[variant_id] = quantities.get(variant_id, 0) + quantity
    if not quantities:
        raise CounterError(_("Add at least one product to the sale."))
    if any(quantity > MAX_SALE_QUANTITY for quantity in quantities.values()):
        raise CounterError(_("Quantity must be a whole number from 1 to %(max)d.") % {"max": MAX_SALE_QUANTITY})
    return quantities


def _sale_variants(location: Location, variant_ids: list[int]) -> dict[int, Variant]:
    """The variants, if the shop sells every one from its shelves (``stocked_variants``) and the counter stocks it."""
    variants = {
        variant.pk: variant
        for variant in stocked_variants()
        .select_related("product__merchant")
        .filter(pk__in=variant_ids, stocks__location=location)
    }
    if len(variants) != len(variant_ids):
        raise CounterError(_("A chosen product is not sold at this counter. Please choose again."))
    return variants


def record_counter_sale(
    location: Location,
    lines: Iterable[tuple[int, int]],
    *,
    actor: User | None,
    payment_method: str = CounterPaymentMethod.CASH,
    note: str = "",
    voucher_code: str = "",
) -> CounterSale:
    """Record a walk-in sale of ``(variant id, quantity)`` lines at a counter, paid by ``payment_method`` (cash,
    WeChat Pay, Alipay or UnionPay: kept on the sale and on each of its aid-ledger entries), in one transaction.

    Prices are the variants' current prices. The units leave the counter's stock through the ledger
    (kind SALE, the sale number as reference); a line the counter cannot cover without touching units
    held for orders is refused with ``InsufficientStock`` and nothing is written.

    ``voucher_code`` (typed, or the QR of the shopper's voucher scanned): a consumption voucher (``orders.vouchers``)
    that must be unused, its batch active and in its dates, with eligible goods of at least its minimum spend; its
    discount is taken from the batch's budget with one conditional update before any stock row is locked, split over
    the eligible lines (``CounterSaleLine.voucher_discount``), and the customer pays ``CounterSale.customer_paid``.
    A voucher refused (``VoucherError``) writes nothing.
    """
    quantities = _clean_sale_lines(lines)
    if payment_method not in CounterPaymentMethod.values:
        raise CounterError(_("Choose how the customer paid."))
    note = clean_text(note)
    if len(note) > MAX_NOTE_LENGTH:
        raise CounterError(_("Use at most %(max)d characters.") % {"max": MAX_NOTE_LENGTH})
    if location.kind != Location.Kind.COUNTER or not location.is_active:
        raise CounterError(_("Sales can only be recorded at an open counter."))
    with transaction.atomic():
        variants = _sale_variants(location, list(quantities))
        voucher, voucher_lines = _counter_voucher(voucher_code, variants, quantities)
        sale = CounterSale.objects.create(
            number=f"NEW-{uuid.uuid4().hex}",
            location=location,
            total=sum(variants[pk].price * quantity for pk, quantity in quantities.items()),
            voucher_discount=sum(voucher_lines.values()),
            payment_method=payment_method,
            note=note,
            created_by=acting_user(actor),
        )
        sale.number = counter_sale_number(sale)
        sale.save(update_fields=["number"])
        if voucher is not None:
            # The budget is taken before the stock rows are locked (the lock order of ``place_order``).
            redeem_for_sale(voucher, sale, sale.voucher_discount)
        reason = site_text(REASON_COUNTER_SALE, counter=location.name, user=_person(actor))
        apply_stock_changes(
            [StockChange(variants[pk], location, -quantity) for pk, quantity in quantities.items()],
            kind=StockMovement.Kind.SALE,
            actor=acting_user(actor),
            reason=f"{reason}: {note}"[:255] if note else reason,
            reference=sale.number,
        )
        CounterSaleLine.objects.bulk_create(
            CounterSaleLine(
                sale=sale,
                variant=variants[pk],
                merchant=variants[pk].product.merchant,
                product_name=variants[pk].product.name,
                variant_name=variants[pk].name,
                sku=variants[pk].sku,
                unit_price=variants[pk].price,
                quantity=quantity,
                line_total=variants[pk].price * quantity,
                voucher_discount=voucher_lines.get(pk, 0),
            )
            for pk, quantity in quantities.items()
        )
        credit_counter_sale(sale)
    return sale


def _counter_voucher(
    text: str, variants: dict[int, Variant], quantities: dict[int, int]
) -> tuple[Voucher | None, dict[int, int]]:
    """The voucher of a typed or scanned code checked against the sale's goods, and its discount per variant id
    (empty without a code); ``VoucherError`` for a voucher that cannot be used."""
    if not str(text or "").strip():
        return None, {}
    voucher = find_voucher(text)
    if voucher is None:
        raise VoucherError(_("This consumption voucher does not exist."))
    goods = [(variants[pk].product, variants[pk].price * quantity) for pk, quantity in quantities.items()]
    found = quote_voucher(voucher, goods)
    if not found.usable:
        raise VoucherError(found.problem)
    discounts = split_voucher(found.discount, [(product.pk in found.eligible_products, t) for product, t in goods])
    return voucher, dict(zip(quantities, discounts, strict=True))
