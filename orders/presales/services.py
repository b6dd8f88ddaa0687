"""Receiving a pre-sale's harvest, and refunding a shortfall (``catalog.presales`` opens and changes pre-sales).

``receive_harvest`` runs in two steps. First, one transaction under the pre-sale's row lock and its stock row's
lock: refuse while orders are still taken or unpaid orders hold units; choose the units to refund by the
pre-sale's policy (``shortfall_plan``); write one ``PreSaleRefund`` per line given back (unique per pre-sale and
line); set on hand to what is left of the harvest after the units kept (a ``harvest`` movement: who, why); mark
the pre-sale harvested. Then each pending ``PreSaleRefund`` is refunded through ``orders.payments.refund_order``
(no restock: the goods never came), linked to its ``Refund`` before the provider is asked (``_refund_pending``).
A repeated or concurrent call finds the pre-sale harvested and only asks for refunds still pending, so nothing is
refunded twice; ``refund_pending_presales`` (beat) asks again for those a provider refused or could not take.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.certificates import batch_certificates
from catalog.models import Batch, PreSale, StockMovement
from catalog.presales import PreSaleError, lock_presale
from catalog.services import StockChange, apply_stock_changes, lock_stocks
from core.scopes import User
from core.text import site_text
from core.users import acting_user
from orders.models import Order, OrderLine, OrderStatus, PreSaleRefund, Refund
from orders.payments.services import PaymentError, refund_order

logger = logging.getLogger(__name__)

REFUND_REASON = gettext_lazy("Pre-sale harvest shortfall refund")
HARVEST_REASON = gettext_lazy("harvest received")

# Orders whose pre-sale units are paid for and not (wholly) given back.
HOLDING_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.FULFILLING,
    OrderStatus.READY_FOR_PICKUP,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
    OrderStatus.PARTIALLY_REFUNDED,
)


@dataclass(frozen=True)
class SoldLine:
    """A paid order line of a pre-sale: its units not refunded yet, in order of purchase (``paid_at``)."""

    line: OrderLine
    units: int


@dataclass(frozen=True)
class HarvestPlan:
    """What receiving ``received`` units would do: ``refunds`` {line pk: units}, the units kept, on hand after."""

    received: int
    sold: int
    refunds: dict[int, int]
    lines: list[SoldLine]

    @property
    def kept(self) -> int:
        return min(self.received, self.sold)

    @property
    def on_hand_after(self) -> int:
        return max(self.received - self.sold, 0)

    @property
    def refunded_units(self) -> int:
        return sum(self.refunds.values())

    @property
    def refunded_orders(self) -> int:
        by_line = {sold.line.pk: sold.line.order_id for sold in self.lines}
        return len({by_line[pk] for pk in self.refunds})


def sold_lines(presale: PreSale) -> list[SoldLine]:
    """The pre-sale's paid lines with units still held (bought less refunded), earliest purchase first."""
    lines = list(
        OrderLine.objects.filter(variant_id=presale.variant_id, order__status__in=HOLDING_STATUSES)
        .select_related("order")
        .order_by("order__paid_at", "order_id", "pk")
    )
    refunded: dict[int, int] = defaultdict(int)
    refunds = Refund.objects.filter(order_id__in={line.order_id for line in lines}).exclude(
        status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]
    )
    for refund in refunds:
        for item in refund.lines:
            refunded[item["line"]] += item["quantity"]
    held = [SoldLine(line, line.quantity - refunded[line.pk]) for line in lines]
    return [sold for sold in held if sold.units > 0]


def _latest_first(lines: list[SoldLine], shortfall: int) -> dict[int, int]:
    """Whole lines from the latest purchase backwards until the shortfall is covered (the last one in part)."""
    refunds: dict[int, int] = {}
    for sold in reversed(lines):
        if shortfall <= 0:
            break
        units = min(sold.units, shortfall)
        refunds[sold.line.pk] = units
        shortfall -= units
    return refunds


def _pro_rata(lines: list[SoldLine], received: int, sold: int) -> dict[int, int]:
    """Each line keeps floor(units * received / sold); the units left over go one each by largest remainder,
    earlier purchases first among equal remainders. The rest of each line is refunded."""
    keep = {s.line.pk: s.units * received // sold for s in lines}
    left = received - sum(keep.values())
    by_remainder = sorted(enumerate(lines), key=lambda item: (-(item[1].units * received % sold), item[0]))
    for _index, s in by_remainder[:left]:
        keep[s.line.pk] += 1
    return {s.line.pk: s.units - keep[s.line.pk] for s in lines if s.units > keep[s.line.pk]}


def shortfall_plan(presale: PreSale, received: int, *, policy: str | None = None) -> HarvestPlan:
    """What receiving ``received`` units would refund, by ``policy`` (the pre-sale's own by default): nothing
    when the harvest covers what was sold, else the shortfall's units chosen latest first or pro rata."""
    if isinstance(received, bool) or not isinstance(received, int) or received < 0:
        raise PreSaleError(_("The harvested quantity must be a whole number of zero or more."))
    lines = sold_lines(presale)
    sold = sum(s.units for s in lines)
    refunds: dict[int, int] = {}
    if received < sold:
        policy = policy or presale.shortfall_policy
        if policy == PreSale.ShortfallPolicy.PRO_RATA:
            refunds = _pro_rata(lines, received, sold)
        else:
            refunds = _latest_first(lines, sold - received)
    return HarvestPlan(received=received, sold=sold, refunds=refunds, lines=lines)


def _record_harvest(presale: PreSale, quantity: int, actor: User | None) -> HarvestPlan:
    """The first step, under the pre-sale's lock (taken by the caller): checks, refund rows, stock, status."""
    now = timezone.now()
    if now < presale.closes_at:
        raise PreSaleError(_("Orders are still being taken: close the pre-sale first (set its closing time to now)."))
    key = (presale.variant_id, presale.location_id)
    stock = lock_stocks([key])[key]
    if stock.allocated:
        raise PreSaleError(
            _(
                "%(count)d units are held by unpaid orders: wait until they are paid or expire, "
                "or cancel them, then receive the harvest."
            )
            % {"count": stock.allocated}
        )
    plan = shortfall_plan(presale, quantity)
    PreSaleRefund.objects.bulk_create(
        [PreSaleRefund(presale=presale, order_line_id=pk, quantity=units) for pk, units in plan.refunds.items()]
    )
    batch = None
    if quantity > 0:
        certificate = batch_certificates(presale.variant.product).first()
        merchant = presale.variant.product.merchant
        batch = Batch.objects.create(
            variant=presale.variant,
            location=presale.location,
            produced_on=timezone.localdate(),
            origin=f"{merchant.get_township_display()}{merchant.village}"[:128],
            certificate=certificate,
            quantity_received=quantity,
            received_by=acting_user(actor),
        )
    change = plan.on_hand_after - stock.on_hand
    if change:
        apply_stock_changes(
            [StockChange(presale.variant, presale.location, change, batch=batch)],
            kind=StockMovement.Kind.HARVEST,
            actor=acting_user(actor),
            reason=site_text(HARVEST_REASON),
            reference=f"PS-{presale.pk}",
        )
    presale.status = PreSale.Status.HARVESTED
    presale.received_quantity = quantity
    presale.received_by = acting_user(actor)
    presale.received_at = now
    presale.save(update_fields=["status", "received_quantity", "received_by", "received_at"])
    return plan


def _units_left(order: Order) -> dict[int, int]:
    """The order's lines with units not refunded yet: {line pk: units}."""
    refunded: dict[int, int] = defaultdict(int)
    for refund in order.refunds.exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED]):
        for item in refund.lines:
            refunded[item["line"]] += item["quantity"]
    left = {line.pk: line.quantity - refunded[line.pk] for line in order.lines.all()}
    return {pk: units for pk, units in left.items() if units > 0}


# A refund row still to be made: never asked, or asked of a provider that refused it or could not be reached.
PENDING = Q(refund__isnull=True) | Q(refund__status=Refund.Status.FAILED)


class _TakenMeanwhile(Exception):
    """Another caller linked the row to its refund first: this one writes nothing."""


def _refund_pending(presale: PreSale, actor: User | None) -> int:
    """Make each of the pre-sale's pending refund rows' refund, once; returns how many were asked now.

    Each is made through ``refund_order`` outside any transaction, so its ``Refund`` row (with its idempotency
    key) is committed before the provider is asked, and linked to the refund row in that same transaction by a
    conditional update (``claim``): of two callers, the second links nothing and writes nothing. A provider that
    refuses or cannot be reached leaves the refund failed and the row pending, for ``refund_pending_presales``
    (beat) to ask again; the others go on."""
    done = 0
    for pk in PreSaleRefund.objects.filter(PENDING, presale=presale).values_list("pk", flat=True):
        try:
            done += _refund_row(pk, actor)
        except PaymentError as error:
            logger.warning("Pre-sale %s: refund row %s not refunded now (%s); retried later", presale.pk, pk, error)
    return done


def _refund_row(pk: int, actor: User | None) -> int:
    row = PreSaleRefund.objects.select_related("order_line__order").get(pk=pk)
    order = row.order_line.order

    def claim(refund: Refund) -> None:
        if not PreSaleRefund.objects.filter(PENDING, pk=pk).update(refund=refund):
            raise _TakenMeanwhile

    whole = _units_left(order) == {row.order_line_id: row.quantity}
    try:
        refund_order(
            order,
            actor=actor,
            reason=site_text(REFUND_REASON),
            # Nothing of the order left to deliver: its shipping goes back too (the whole remainder).
            lines=None if whole else {row.order_line_id: row.quantity},
            restock=False,
            claim=claim,
        )
    except _TakenMeanwhile:
        return 0
    return 1


def pending_refunds(presale: PreSale) -> int:
    """The pre-sale's shortfall refunds not made yet (a provider refused or was away)."""
    return PreSaleRefund.objects.filter(PENDING, presale=presale).count()


def refund_pending_presales() -> int:
    """Ask again for every harvested pre-sale's refunds still pending (beat); how many were asked now."""
    harvested = PreSale.objects.filter(
        status=PreSale.Status.HARVESTED, pk__in=PreSaleRefund.objects.filter(PENDING).values("presale_id")
    )
    return sum(_refund_pending(presale, None) for presale in harvested)


def receive_harvest(presale: PreSale, quantity: int, *, actor: User | None) -> HarvestPlan | None:
    """The harvest of ``presale`` arrived: ``quantity`` units (0 for none). Returns the plan carried out, or
    None when the harvest had been received before (then only refunds still pending are made).

    Rules: refused while orders are taken (``closes_at`` not passed) or unpaid orders hold units; a shortfall
    (fewer units than sold) is refunded by the pre-sale's policy, each line once, the shopper told through the
    outbox by the refund; on hand ends at the units beyond those sold (0 after a shortfall), never negative.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise PreSaleError(_("The harvested quantity must be a whole number of zero or more."))
    plan = None
    with transaction.atomic():
        locked = lock_presale(presale)
        if locked.status != PreSale.Status.HARVESTED:
            plan = _record_harvest(locked, quantity, actor)
    _refund_pending(locked, actor)
    presale.refresh_from_db()
    return plan


def refunded_units(presale: PreSale) -> int:
    """Units the pre-sale gave back for its shortfall."""
    return PreSaleRefund.objects.filter(presale=presale).aggregate(total=Sum("quantity"))["total"] or 0
