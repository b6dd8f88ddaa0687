"""Writes of the counter console: handing a pickup order over against its code, and walk-in sales.

Lock order as everywhere in ``orders``: the order row, then the fulfilment row, then ``Stock`` rows
by primary key (through ``catalog.services``). Errors carry a translated message for counter staff.
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
from catalog.services import StockChange, apply_stock_changes
from core.scopes import User
from core.text import clean_text, site_text
from core.users import acting_user
from orders.aid.services import credit_counter_sale
from orders.availability import sellable_variants
from orders.events import record_order_event
from orders.fulfilment.services import complete_fulfilment
from orders.models import CounterSale, CounterSaleLine, DeliveryMethod, Fulfilment, Order, OrderEvent, OrderStatus
from orders.numbers import counter_sale_number
from orders.state import OrderError, lock_order

# Written into the order history and the ledger in the site's language, whoever acts.
NOTE_WRONG_CODE = gettext_lazy("Wrong pickup code entered (%(count)d in a row).")
NOTE_LOCKED = gettext_lazy("Wrong pickup code entered (%(count)d in a row): hand-over locked until %(until)s.")
NOTE_HANDED_OVER = gettext_lazy("Handed over against the pickup code.")
REASON_COUNTER_SALE = gettext_lazy("Walk-in sale at %(counter)s, recorded by %(user)s")

MAX_SALE_QUANTITY = 9999
MAX_NOTE_LENGTH = 500


class CounterError(OrderError):
    """A counter action that is refused; the message is meant for the counter staff."""


class HandOverLocked(CounterError):
    """Too many wrong pickup codes in a row: the hand-over waits until the lock runs out."""


class WrongPickupCode(CounterError):
    """The code given does not match the fulfilment's pickup code."""


def _clock(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def _person(actor: User | None) -> str:
    user = acting_user(actor)
    return (user.get_full_name() or user.get_username()) if user is not None else "-"


# --- Hand-over ----------------------------------------------------------------------------------


def _check_can_hand_over(order: Order, fulfilment: Fulfilment) -> None:
    if fulfilment.method != DeliveryMethod.PICKUP:
        raise CounterError(_("Only pickup orders are handed over at a counter."))
    if fulfilment.status == Fulfilment.Status.COMPLETED:
        raise CounterError(_("This order has already been handed over."))
    if fulfilment.status != Fulfilment.Status.READY_FOR_PICKUP:
        raise CounterError(_("This order is not ready for pickup yet: mark it ready first."))
    if order.status not in (OrderStatus.FULFILLING, OrderStatus.READY_FOR_PICKUP):
        raise CounterError(
            _("The order is %(status)s; it cannot be handed over.")
            % {"status": str(OrderStatus(order.status).label).lower()}
        )


def _record_wrong_code(fulfilment: Fulfilment, *, actor: User | None, now: datetime) -> CounterError:
    """Count a wrong code (locking after too many in a row), note it in the history; return the refusal."""
    failures = fulfilment.handover_failures + 1
    limit = settings.COUNTER_HANDOVER_MAX_FAILURES
    locked_until = None
    if failures >= limit:
        locked_until = now + timedelta(minutes=settings.COUNTER_HANDOVER_LOCK_MINUTES)
        note = site_text(NOTE_LOCKED, count=failures, until=_clock(locked_until))
        refusal: CounterError = HandOverLocked(
            _("Wrong pickup code. After %(count)d wrong codes in a row, this order is locked until %(until)s.")
            % {"count": failures, "until": _clock(locked_until)}
        )
    else:
        note = site_text(NOTE_WRONG_CODE, count=failures)
        left = limit - failures
        refusal = WrongPickupCode(
            ngettext(
                "Wrong pickup code. %(left)d more wrong code locks this order for a while.",
                "Wrong pickup code. %(left)d more wrong codes lock this order for a while.",
                left,
            )
            % {"left": left}
        )
    # update(), not save(): a refused attempt is not a change of the fulfilment (updated_at stays).
    Fulfilment.objects.filter(pk=fulfilment.pk).update(handover_failures=failures, handover_locked_until=locked_until)
    fulfilment.handover_failures, fulfilment.handover_locked_until = failures, locked_until
    record_order_event(fulfilment.order_id, OrderEvent.Kind.NOTE, fulfilment=fulfilment, actor=actor, note=note, at=now)
    return refusal


def hand_over(fulfilment: Fulfilment, code: str, *, actor: User | None) -> Fulfilment:
    """Hand a ready pickup part to the customer who gives its pickup code; the part becomes completed.

    Refused with ``HandOverLocked`` while the part is locked. A wrong code is refused with
    ``WrongPickupCode`` but counted and noted in the order's history, and that record is committed
    even though the hand-over is refused; ``COUNTER_HANDOVER_MAX_FAILURES`` wrong codes in a row lock
    the part for ``COUNTER_HANDOVER_LOCK_MINUTES``. The right code clears the count and completes the
    part through ``orders.fulfilment.complete_fulfilment`` (the order completes when every part has).
    """
    code = clean_text(code)
    if not code:
        raise CounterError(_("Enter the customer's pickup code."))
    refusal: CounterError | None = None
    with transaction.atomic():
        order = lock_order(Order(pk=fulfilment.order_id))
        locked = Fulfilment.objects.select_for_update().get(pk=fulfilment.pk)
        _check_can_hand_over(order, locked)
        now = timezone.now()
        if locked.handover_locked_until is not None:
            if locked.handover_locked_until > now:
                raise HandOverLocked(
                    _("Too many wrong pickup codes: this order is locked until %(until)s.")
                    % {"until": _clock(locked.handover_locked_until)}
                )
            locked.handover_failures, locked.handover_locked_until = 0, None
        if secrets.compare_digest(locked.pickup_code.encode(), code.encode()):
            Fulfilment.objects.filter(pk=locked.pk).update(handover_failures=0, handover_locked_until=None)
            fulfilment = complete_fulfilment(locked, actor=actor, note=site_text(NOTE_HANDED_OVER))
        else:
            refusal = _record_wrong_code(locked, actor=actor, now=now)
    if refusal is not None:
        raise refusal
    return fulfilment


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
    """The variants, if the shop sells every one (``sellable_variants``) and the counter stocks it."""
    variants = {
        variant.pk: variant
        for variant in sellable_variants()
        .select_related("product__merchant")
        .filter(pk__in=variant_ids, stocks__location=location)
    }
    if len(variants) != len(variant_ids):
        raise CounterError(_("A chosen product is not sold at this counter. Please choose again."))
    return variants


def record_counter_sale(
    location: Location, lines: Iterable[tuple[int, int]], *, actor: User | None, note: str = ""
) -> CounterSale:
    """Record a walk-in sale of ``(variant id, quantity)`` lines at a counter, in one transaction.

    Prices are the variants' current prices. The units leave the counter's stock through the ledger
    (kind SALE, the sale number as reference); a line the counter cannot cover without touching units
    held for orders is refused with ``InsufficientStock`` and nothing is written.
    """
    quantities = _clean_sale_lines(lines)
    note = clean_text(note)
    if len(note) > MAX_NOTE_LENGTH:
        raise CounterError(_("Use at most %(max)d characters.") % {"max": MAX_NOTE_LENGTH})
    if location.kind != Location.Kind.COUNTER or not location.is_active:
        raise CounterError(_("Sales can only be recorded at an open counter."))
    with transaction.atomic():
        variants = _sale_variants(location, list(quantities))
        sale = CounterSale.objects.create(
            number=f"NEW-{uuid.uuid4().hex}",
            location=location,
            total=sum(variants[pk].price * quantity for pk, quantity in quantities.items()),
            note=note,
            created_by=acting_user(actor),
        )
        sale.number = counter_sale_number(sale)
        sale.save(update_fields=["number"])
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
            )
            for pk, quantity in quantities.items()
        )
        credit_counter_sale(sale)
    return sale
