"""Builders for the pre-sale tests: a pre-sale open now, paid orders against it, closing it."""

from datetime import timedelta

from django.utils import timezone

from catalog.models import PreSale
from catalog.presales import open_presale
from tests import factories
from tests.aid.helpers import pay
from tests.orders.helpers import cart_with, checkout


def make_presale(planned: int = 50, *, location=None, merchant=None, price: int = 6800, **extra) -> PreSale:
    """A pre-sale of a new product's variant, taking orders now (opened an hour ago, closing in a day)."""
    source = factories.make_product(merchant, price=price + 1000).variants.get()
    now = timezone.now()
    fields = {
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=1),
        "ships_from": (now + timedelta(days=10)).date(),
        "ships_until": (now + timedelta(days=20)).date(),
        **extra,
    }
    return open_presale(
        source_variant=source,
        location=location or factories.make_location(kind="warehouse"),
        planned_quantity=planned,
        price=price,
        actor=None,
        **fields,
    )


def buy(presale: PreSale, quantity: int, *, paid: bool = True, delivery=None):
    """An order of ``quantity`` pre-sale units (paid by default)."""
    cart = cart_with((presale.variant, quantity))
    order = checkout(cart, delivery) if delivery is not None else checkout(cart)
    return pay(order) if paid else order


def close(presale: PreSale) -> PreSale:
    """Orders close now (as an operator closing it early would, without the form's checks)."""
    PreSale.objects.filter(pk=presale.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    presale.refresh_from_db()
    return presale
