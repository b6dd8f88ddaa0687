"""Gift packs (礼包): the one rule that splits a pack's price back to its components, and when a pack may be
published.

**The split.** The pack price is shared out unit by unit, each unit of a component weighted by its variant's
list price (so each component gets a share in proportion to price x quantity): every unit first gets the whole
fen of its exact share, and the fen left over go one each to the units with the largest remainders, ties in
the pack's item order (then unit order). The parts therefore always sum to the pack price exactly, and every
part has a whole-fen unit price: a component whose units got different fen comes back as two parts (those
with one fen more first), e.g. three jars sharing ¥10.00 are 1 x 3.34 and 2 x 3.33.

**Publishing.** A published pack has at least one item and a price of at least one fen and at most its list
value (the programme sells packs at list value or at a discount, never at a premium).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from catalog.models import Pack, PackItem, Variant
from core.money import format_fen


@dataclass(frozen=True)
class PackPart:
    """``quantity`` units of ``variant`` in one pack, sharing ``fen`` of its price (a whole number per unit)."""

    variant: Variant
    quantity: int
    fen: int

    @property
    def unit_price(self) -> int:
        return self.fen // self.quantity


def pack_items(pack: Pack) -> list[PackItem]:
    """The pack's items in their order, with variants, products and merchants (unsaved items of a form too)."""
    if pack.pk is None:
        return list(pack.items.all())
    return list(pack.items.select_related("variant__product__merchant").order_by("sort_order", "pk"))


def list_value(items: list[PackItem]) -> int:
    """What the components cost bought one by one: the sum of variant price x quantity, in fen."""
    return sum(item.variant.price * item.quantity for item in items)


def split_price(price: int, items: list[PackItem]) -> list[PackPart]:
    """Split ``price`` (fen) over ``items`` by the rule in the module docstring; the parts sum to ``price``."""
    if price < 0:
        raise ValueError("A pack price cannot be negative.")
    total = list_value(items)
    if not items or total <= 0:
        raise ValueError("A pack needs at least one item to split its price.")
    # Per unit of each item: whole fen and remainder of price * unit price / list value.
    bases = [divmod(price * item.variant.price, total) for item in items]
    leftover = price - sum(base * item.quantity for (base, _rem), item in zip(bases, items, strict=True))
    # Units by largest remainder, ties in item order; a unit's position is (item index, unit index).
    order = sorted(range(len(items)), key=lambda i: (-bases[i][1], i))
    extra = [0] * len(items)
    for index in order:
        if leftover <= 0:
            break
        extra[index] = min(items[index].quantity, leftover)
        leftover -= extra[index]
    parts = []
    for (base, _rem), item, more in zip(bases, items, extra, strict=True):
        if more:
            parts.append(PackPart(item.variant, more, more * (base + 1)))
        if item.quantity - more:
            parts.append(PackPart(item.variant, item.quantity - more, (item.quantity - more) * base))
    return parts


def split_pack_price(pack: Pack) -> list[PackPart]:
    """The pack's price split over its components (``split_price`` of its items)."""
    return split_price(pack.price, pack_items(pack))


def check_publishable(price: int | None, items: list[PackItem]) -> None:
    """Refuse (``ValidationError``) to publish a pack without items, or priced above its list value."""
    if not items:
        raise ValidationError(_("A published gift pack needs at least one item."))
    value = list_value(items)
    if price is not None and price > value:
        raise ValidationError(
            _("The pack price %(price)s is above what its items cost one by one (%(value)s). Lower the price.")
            % {"price": format_fen(price), "value": format_fen(value)}
        )
