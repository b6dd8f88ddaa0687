"""Harvest pre-sales (预售): opening one, changing it, and what is left of its plan.

A pre-sale sells a variant of its own (``PreSale.variant``, created here on the product of the variant it
pre-sells), so the cart, checkout, allocation, payment, refunds and the stock ledger treat it like any variant.
Opening writes the planned harvest into the ledger (a ``plan`` movement: on hand = planned quantity at the
pre-sale's location): checkout's allocation then guards the plan (no overselling, never negative). Receiving
the harvest and refunding a shortfall is ``orders.presales`` (it refunds orders, which catalog cannot import).
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Location, PreSale, Stock, StockMovement, Variant
from catalog.services import StockChange, StockError, apply_stock_changes, lock_stocks
from core.text import site_text

PLAN_REASON = gettext_lazy("planned harvest")
PLAN_CHANGED_REASON = gettext_lazy("planned harvest changed")


class PreSaleError(StockError):
    """A pre-sale change the rules refuse; the message is shown to the user."""


def unharvested_presale_variants() -> QuerySet[PreSale]:
    """The variant ids of pre-sales whose harvest is not in: their stock is a plan, not goods on a shelf
    (low-stock marks, back-in-stock alerts, counter sales and bulk orders skip them)."""
    return PreSale.objects.exclude(status=PreSale.Status.HARVESTED).values("variant_id")


def not_selling_presale_variants(now: datetime.datetime | None = None) -> QuerySet[PreSale]:
    """The variant ids of pre-sales not taking orders now (outside [opens_at, closes_at), or harvested)."""
    now = now or timezone.now()
    selling = Q(status=PreSale.Status.OPEN, opens_at__lte=now, closes_at__gt=now)
    return PreSale.objects.exclude(selling).values("variant_id")


def harvest_pending(variant_ids: Iterable[int] | QuerySet) -> bool:
    """Whether any of these variants (ids, or a query of them: one query in all) is a pre-sale whose harvest is
    not in: its goods cannot be prepared yet."""
    return PreSale.objects.filter(variant_id__in=variant_ids).exclude(status=PreSale.Status.HARVESTED).exists()


def presale_of(variant: Variant) -> PreSale | None:
    """The variant's pre-sale, or None (read from the cache when loaded with ``select_related("presale")``)."""
    try:
        return variant.presale
    except PreSale.DoesNotExist:
        return None


def presale_left(presale: PreSale) -> int:
    """Units of the plan still to sell: planned - allocated - sold (the free units of its stock row, whose
    on hand started at the plan and drops with each sale); 0 once closed."""
    if presale.is_closed():
        return 0
    stock = Stock.objects.filter(variant_id=presale.variant_id, location_id=presale.location_id).first()
    return max(stock.on_hand - stock.allocated, 0) if stock else 0


def _check_windows(opens_at, closes_at, ships_from, ships_until) -> None:
    if closes_at <= opens_at:
        raise PreSaleError(_("Orders must close after they open."))
    if ships_until < ships_from:
        raise PreSaleError(_("Shipping or pickup must end on or after the day it starts."))
    if ships_from < timezone.localtime(closes_at).date():
        raise PreSaleError(_("Shipping or pickup cannot start before orders close."))


def open_presale(
    *,
    source_variant: Variant,
    location: Location,
    planned_quantity: int,
    price: int,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    ships_from: datetime.date,
    ships_until: datetime.date,
    actor: AbstractBaseUser | None,
    shortfall_policy: str = PreSale.ShortfallPolicy.LATEST_FIRST,
    sku: str = "",
) -> PreSale:
    """Open a pre-sale of ``source_variant``: its own variant ("<name> · 预售", SKU ``<sku>-PS<n>`` unless given,
    at ``price`` fen) and the planned harvest in the ledger (``plan``: on hand = ``planned_quantity`` at
    ``location``), atomically.

    Rules: planned quantity a positive whole number; price above zero; orders close after they open; shipping
    ends on or after it starts and starts no earlier than the day orders close; the location active. Every check
    is made before the first write."""
    if isinstance(planned_quantity, bool) or not isinstance(planned_quantity, int) or planned_quantity < 1:
        raise PreSaleError(_("The planned quantity must be a positive whole number."))
    if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
        raise PreSaleError(_("The price must be above zero."))
    _check_windows(opens_at, closes_at, ships_from, ships_until)
    if not location.is_active:
        raise PreSaleError(_("Choose an active warehouse or counter."))
    if shortfall_policy not in PreSale.ShortfallPolicy.values:
        raise PreSaleError(_("Choose how a shortfall is refunded."))
    if presale_of(source_variant) is not None:
        raise PreSaleError(_("A pre-sale variant cannot be pre-sold again."))
    with transaction.atomic():
        number = PreSale.objects.filter(source_variant=source_variant).count() + 1
        sku = (sku or f"{source_variant.sku}-PS{number}")[:64]
        if Variant.objects.filter(sku=sku).exists():
            raise PreSaleError(_("This SKU is taken; choose another."))
        try:
            label = _("pre-sale")
            with transaction.atomic():
                variant = Variant.objects.create(
                    product=source_variant.product,
                    sku=sku,
                    name=f"{source_variant.name} · {label}"[:64],
                    price=price,
                    weight_grams=source_variant.weight_grams,
                    sort_order=source_variant.sort_order,
                )
        except IntegrityError:
            raise PreSaleError(_("This SKU is taken; choose another.")) from None
        presale = PreSale.objects.create(
            variant=variant,
            source_variant=source_variant,
            location=location,
            planned_quantity=planned_quantity,
            opens_at=opens_at,
            closes_at=closes_at,
            ships_from=ships_from,
            ships_until=ships_until,
            shortfall_policy=shortfall_policy,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        apply_stock_changes(
            [StockChange(variant, location, planned_quantity)],
            kind=StockMovement.Kind.PLAN,
            actor=actor,
            reason=site_text(PLAN_REASON),
            reference=f"PS-{presale.pk}",
        )
    return presale


def lock_presale(presale: PreSale) -> PreSale:
    """The pre-sale's row, locked (inside a transaction), with its variant, product and location."""
    return (
        PreSale.objects.select_for_update(of=("self",))
        .select_related("variant__product__merchant", "location", "source_variant")
        .get(pk=presale.pk)
    )


def update_presale(
    presale: PreSale,
    *,
    actor: AbstractBaseUser | None,
    planned_quantity: int | None = None,
    price: int | None = None,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime | None = None,
    ships_from: datetime.date | None = None,
    ships_until: datetime.date | None = None,
    shortfall_policy: str | None = None,
) -> PreSale:
    """Change an open pre-sale (under its row lock): its windows, price, shortfall policy (until the harvest is
    received), and its plan (a ``plan`` movement by the difference; never below what is already allocated or
    sold). Closing early is setting ``closes_at`` to now."""
    with transaction.atomic():
        presale = lock_presale(presale)
        if presale.status != PreSale.Status.OPEN:
            raise PreSaleError(_("Only an open pre-sale can be changed."))
        new = {
            "opens_at": opens_at or presale.opens_at,
            "closes_at": closes_at or presale.closes_at,
            "ships_from": ships_from or presale.ships_from,
            "ships_until": ships_until or presale.ships_until,
        }
        _check_windows(**new)
        if shortfall_policy is not None and shortfall_policy not in PreSale.ShortfallPolicy.values:
            raise PreSaleError(_("Choose how a shortfall is refunded."))
        if price is not None and (isinstance(price, bool) or not isinstance(price, int) or price <= 0):
            raise PreSaleError(_("The price must be above zero."))
        if planned_quantity is not None and planned_quantity != presale.planned_quantity:
            if isinstance(planned_quantity, bool) or not isinstance(planned_quantity, int) or planned_quantity < 1:
                raise PreSaleError(_("The planned quantity must be a positive whole number."))
            key = (presale.variant_id, presale.location_id)
            stock = lock_stocks([key])[key]
            delta = planned_quantity - presale.planned_quantity
            if stock.on_hand + delta < stock.allocated:
                raise PreSaleError(
                    _("The plan cannot go below what is already sold or held for orders (%(count)d).")
                    % {"count": presale.planned_quantity - (stock.on_hand - stock.allocated)}
                )
            apply_stock_changes(
                [StockChange(presale.variant, presale.location, delta)],
                kind=StockMovement.Kind.PLAN,
                actor=actor,
                reason=site_text(PLAN_CHANGED_REASON),
                reference=f"PS-{presale.pk}",
            )
            presale.planned_quantity = planned_quantity
        for field, value in new.items():
            setattr(presale, field, value)
        if shortfall_policy is not None:
            presale.shortfall_policy = shortfall_policy
        presale.save()
        if price is not None and price != presale.variant.price:
            Variant.objects.filter(pk=presale.variant_id).update(price=price)
            presale.variant.price = price
    return presale
