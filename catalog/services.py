"""Writes to the catalogue: stock changes (always through the ledger) and search text.

Every stock change locks the affected ``Stock`` rows (in primary-key order, so two
changes touching the same rows cannot deadlock), refuses to go below zero or below
what is allocated to orders, and writes one ``StockMovement`` per row changed. A change that frees units of a
variant where it had none checks its back-in-stock alerts after the commit (``catalog.alerts``).
"""

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import alerts, notifications
from catalog.certificates import batch_certificates
from catalog.models import Batch, Certificate, Location, Product, Stock, StockMovement, Variant, new_batch_code
from catalog.search import product_search_text
from core.transactions import joined_atomic


class StockError(Exception):
    """A stock change that the rules refuse; the message is shown to the user."""


class InsufficientStock(StockError):
    pass


@dataclass(frozen=True)
class StockChange:
    variant: Variant
    location: Location
    quantity: int
    allocated_change: int = 0
    batch: Batch | None = None  # goods received as a batch: its receive movement points to it
    reference: str = ""  # this change's own reference (several orders paid together), over the call's


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise StockError(_("A reason is required for every stock change."))
    return reason[:255]


def _require_whole_number(quantity: object, *, allow_negative: bool) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise StockError(_("Quantity must be a whole number."))
    if quantity == 0 or (quantity < 0 and not allow_negative):
        raise StockError(
            _("Quantity must not be zero.") if allow_negative else _("Quantity must be a positive whole number.")
        )
    return quantity


def lock_stocks(pairs: Iterable[tuple[int, int]], *, create: bool = True) -> dict[tuple[int, int], Stock]:
    """Create missing rows (unless ``create`` is False), then lock the ``Stock`` rows for (variant_id,
    location_id) pairs by pk; a pair without a row is absent from the result.

    Must be called inside a transaction.
    """
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    if create:
        Stock.objects.bulk_create([Stock(variant_id=v, location_id=loc) for v, loc in wanted], ignore_conflicts=True)
    condition = Q()
    for variant_id, location_id in wanted:
        condition |= Q(variant_id=variant_id, location_id=location_id)
    locked = Stock.objects.select_for_update().filter(condition).order_by("pk")
    return {(s.variant_id, s.location_id): s for s in locked}


def apply_stock_changes(
    changes: Iterable[StockChange],
    *,
    kind: str,
    actor: AbstractBaseUser | None,
    reason: str,
    reference: str = "",
) -> list[StockMovement]:
    """Apply several changes atomically: all succeed with a ledger entry each, or none does.

    Every change is checked before the first row is written, so a refusal (``InsufficientStock``) leaves
    nothing to undo and needs no savepoint inside the caller's transaction (the rows stay locked to its end).
    Only a change that puts units on hand creates a missing row: one that takes units away or reserves them
    could never be met by an empty row, so the check refuses it (and a reservation costs no insert). Each row
    is written once, at its level after all the changes; each change has its movement.
    """
    changes = list(changes)
    reason = _clean_reason(reason)
    with joined_atomic():
        adds = any(change.quantity > 0 for change in changes)
        stocks = lock_stocks(((c.variant.pk, c.location.pk) for c in changes), create=adds)
        planned, levels = [], {}  # levels: each row's (on hand, allocated) after the changes checked so far
        for change in changes:
            key = (change.variant.pk, change.location.pk)
            stock = stocks.get(key) or Stock(variant_id=key[0], location_id=key[1], on_hand=0, allocated=0)
            stock.variant = change.variant  # the caller's row, with its product when loaded: no query under the lock
            before = levels.get(key, (stock.on_hand, stock.allocated))
            on_hand = before[0] + change.quantity
            allocated = before[1] + change.allocated_change
            levels[key] = (on_hand, allocated)
            if on_hand < 0 or allocated < 0 or allocated > on_hand:
                raise InsufficientStock(
                    _(
                        "Not enough stock of %(sku)s at %(location)s: %(on_hand)d on hand, "
                        "%(allocated)d allocated to orders."
                    )
                    % {
                        "sku": change.variant.sku,
                        "location": change.location.name,
                        "on_hand": before[0],
                        "allocated": before[1],
                    }
                )
            planned.append((stock, change, on_hand, allocated))
        movements, restocked, changed = [], set(), {}
        for stock, change, on_hand, allocated in planned:
            available_before = stock.on_hand - stock.allocated
            stock.on_hand, stock.allocated = on_hand, allocated
            changed.setdefault(id(stock), (stock, available_before))  # its level before the first change
            if available_before <= 0 < on_hand - allocated:
                restocked.add(stock.variant_id)  # free units where there were none: alerts may be due
            movements.append(
                StockMovement(
                    stock=stock,
                    kind=kind,
                    quantity=change.quantity,
                    allocated_change=change.allocated_change,
                    on_hand_after=on_hand,
                    allocated_after=allocated,
                    actor=actor,
                    reason=reason,
                    reference=change.reference or reference,
                    batch=change.batch,
                )
            )
        for stock, _before in changed.values():  # each row written once, at its last level (changes may share it)
            stock.save(update_fields=["on_hand", "allocated", "updated_at"])
        for stock, available_before in changed.values():  # written first: the merchant is told what is left
            notifications.stock_decreased(stock, available_before)
        alerts.restocked_after_commit(restocked)
        return StockMovement.objects.bulk_create(movements)


def receive_stock(
    *,
    variant: Variant,
    location: Location,
    quantity: int,
    actor: AbstractBaseUser | None,
    reason: str,
    reference: str = "",
) -> StockMovement:
    """Goods arrive at a location: on hand goes up."""
    quantity = _require_whole_number(quantity, allow_negative=False)
    (movement,) = apply_stock_changes(
        [StockChange(variant, location, quantity)],
        kind=StockMovement.Kind.RECEIVE,
        actor=actor,
        reason=reason,
        reference=reference,
    )
    return movement


def _unused_batch_code() -> str:
    for _attempt in range(5):
        code = new_batch_code()
        if not Batch.objects.filter(code=code).exists():
            return code
    raise StockError(_("Could not draw a new batch code; try again."))  # pragma: no cover (31**8 codes)


def receive_batch(
    *,
    variant: Variant,
    location: Location,
    quantity: int,
    actor: AbstractBaseUser | None,
    reason: str,
    produced_on: datetime.date,
    origin: str,
    certificate: Certificate | None = None,
    reference: str = "",
) -> StockMovement:
    """Goods arrive at a location as a new batch: the ``Batch`` (a fresh code, the date it was harvested or made,
    its origin, the certificate covering it) and its one receive movement, atomically.

    Rules: the stock ledger's (a positive whole quantity, a reason, the stock row locked); the date not after
    today; an origin; the certificate, if any, one of ``catalog.certificates.batch_certificates`` for the
    product today (an approved aid certificate covering it and valid now), else ``StockError``. Every check is
    made before the first write.
    """
    quantity = _require_whole_number(quantity, allow_negative=False)
    reason = _clean_reason(reason)
    origin = (origin or "").strip()
    if not origin:
        raise StockError(_("Say where the batch comes from (its origin)."))
    if produced_on is None or produced_on > timezone.localdate():
        raise StockError(_("The harvest or production date cannot be in the future."))
    if certificate is not None and not batch_certificates(variant.product).filter(pk=certificate.pk).exists():
        raise StockError(_("This certificate does not cover this product today: choose a valid one or none."))
    with joined_atomic():
        batch = Batch.objects.create(
            code=_unused_batch_code(),
            variant=variant,
            location=location,
            produced_on=produced_on,
            origin=origin[:128],
            certificate=certificate,
            quantity_received=quantity,
            received_by=actor if actor is not None and actor.is_authenticated else None,
        )
        (movement,) = apply_stock_changes(
            [StockChange(variant, location, quantity, batch=batch)],
            kind=StockMovement.Kind.RECEIVE,
            actor=actor,
            reason=reason,
            reference=reference,
        )
    return movement


def adjust_stock(
    *,
    variant: Variant,
    location: Location,
    quantity: int,
    actor: AbstractBaseUser | None,
    reason: str,
    kind: str = StockMovement.Kind.ADJUST,
) -> StockMovement:
    """Add or remove units (breakage, shrinkage, found goods); never below what is allocated."""
    if kind not in {StockMovement.Kind.ADJUST, StockMovement.Kind.CORRECTION, StockMovement.Kind.RETURN}:
        raise StockError(_("This kind of change cannot be made by hand."))
    quantity = _require_whole_number(quantity, allow_negative=True)
    (movement,) = apply_stock_changes([StockChange(variant, location, quantity)], kind=kind, actor=actor, reason=reason)
    return movement


def set_stock_level(
    *,
    variant: Variant,
    location: Location,
    on_hand: int,
    actor: AbstractBaseUser | None,
    reason: str,
    reference: str = "",
) -> StockMovement | None:
    """Record a stock count: correct on hand to the counted figure (no entry if unchanged)."""
    if isinstance(on_hand, bool) or not isinstance(on_hand, int) or on_hand < 0:
        raise StockError(_("A counted quantity must be a whole number of zero or more."))
    with transaction.atomic():
        stock = lock_stocks([(variant.pk, location.pk)])[(variant.pk, location.pk)]
        delta = on_hand - stock.on_hand
        if delta == 0:
            return None
        (movement,) = apply_stock_changes(
            [StockChange(variant, location, delta)],
            kind=StockMovement.Kind.CORRECTION,
            actor=actor,
            reason=reason,
            reference=reference,
        )
        return movement


def transfer_stock(
    *,
    variant: Variant,
    source: Location,
    destination: Location,
    quantity: int,
    actor: AbstractBaseUser | None,
    reason: str,
) -> tuple[StockMovement, StockMovement]:
    """Move units between locations: one entry out, one entry in, sharing a reference."""
    quantity = _require_whole_number(quantity, allow_negative=False)
    if source.pk == destination.pk:
        raise StockError(_("Choose two different locations for a transfer."))
    reference = f"TR-{uuid.uuid4().hex[:12].upper()}"
    with transaction.atomic():
        lock_stocks([(variant.pk, source.pk), (variant.pk, destination.pk)])
        (out,) = apply_stock_changes(
            [StockChange(variant, source, -quantity)],
            kind=StockMovement.Kind.TRANSFER_OUT,
            actor=actor,
            reason=reason,
            reference=reference,
        )
        (into,) = apply_stock_changes(
            [StockChange(variant, destination, quantity)],
            kind=StockMovement.Kind.TRANSFER_IN,
            actor=actor,
            reason=reason,
            reference=reference,
        )
    return out, into


def refresh_search_text(product_ids: Iterable[int]) -> None:
    """Recompute the segmented search text of the given products (``catalog.search.product_search_text``)."""
    products = Product.objects.filter(pk__in=list(product_ids)).select_related("merchant", "category")
    for product in products:
        text = product_search_text(product)
        if text != product.search_text:
            Product.objects.filter(pk=product.pk).update(search_text=text)
