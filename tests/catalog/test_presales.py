"""Harvest pre-sales in the catalogue (``catalog.presales``): the plan in the ledger, the order window, the plan
kept apart from ordinary stock, and the product page (windows, what is left, refreshed after a sale)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from catalog.alerts import sellable_variants as alert_variants
from catalog.models import PreSale, Stock, StockMovement
from catalog.notifications import low_stock_rows
from catalog.presales import PreSaleError, open_presale, presale_left, update_presale
from orders.availability import is_sellable, sellable_variants
from orders.cart import CartError, add_to_cart
from orders.checkout import cart_summary
from orders.counter.selectors import sellable_stock_at
from orders.institutions.bulk import sellable_variants as bulk_variants
from orders.models import Cart
from orders.presales.services import receive_harvest
from storefront.availability import stamp_presale_edges
from tests import factories
from tests.orders.helpers import cart_with, pickup_at
from tests.orders.presale_helpers import buy, close, make_presale


def window(**days):
    now = timezone.now()
    return {
        "opens_at": now + timedelta(days=days.get("opens", -1)),
        "closes_at": now + timedelta(days=days.get("closes", 1)),
        "ships_from": (now + timedelta(days=days.get("ships", 10))).date(),
        "ships_until": (now + timedelta(days=days.get("ships", 10) + 5)).date(),
    }


@pytest.mark.django_db
def test_opening_a_presale_makes_its_variant_and_writes_the_plan_into_the_ledger():
    user = factories.make_user()
    source = factories.make_product(price=9800).variants.get()
    warehouse = factories.make_location(kind="warehouse")

    presale = open_presale(
        source_variant=source, location=warehouse, planned_quantity=50, price=6800, actor=user, **window()
    )

    variant = presale.variant
    assert (variant.product_id, variant.price, variant.sku) == (source.product_id, 6800, f"{source.sku}-PS1")
    assert variant.name == f"{source.name} · pre-sale"
    stock = Stock.objects.get(variant=variant, location=warehouse)
    assert (stock.on_hand, stock.allocated) == (50, 0)
    (movement,) = StockMovement.objects.filter(stock=stock)
    assert (movement.kind, movement.quantity, movement.actor) == ("plan", 50, user)
    assert movement.reference == f"PS-{presale.pk}"
    assert presale_left(presale) == 50


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"planned_quantity": 0}, "positive whole number"),
        ({"price": 0}, "above zero"),
        ({**window(opens=1, closes=1)}, "close after they open"),
        ({"ships_from": timezone.localdate() + timedelta(days=9), "ships_until": timezone.localdate()}, "on or after"),
        ({**window(ships=0)}, "before orders close"),
    ],
)
def test_a_presale_with_a_bad_plan_or_window_is_refused_and_writes_nothing(fields, message):
    source = factories.make_product().variants.get()
    values = {"planned_quantity": 10, "price": 500, **window(), **fields}
    with pytest.raises(PreSaleError, match=message):
        open_presale(source_variant=source, location=factories.make_location(kind="warehouse"), actor=None, **values)
    assert not PreSale.objects.exists()
    assert not StockMovement.objects.exists()


@pytest.mark.django_db
def test_a_presale_variant_sells_only_inside_its_order_window():
    early = make_presale(5, **window(opens=1, closes=2, ships=3))
    open_now = make_presale(5)
    for presale in (early, open_now):
        presale.variant.refresh_from_db()

    assert not is_sellable(early.variant)
    assert is_sellable(open_now.variant)
    assert set(sellable_variants().filter(pk__in=[early.variant.pk, open_now.variant.pk])) == {open_now.variant}
    with pytest.raises(CartError):
        add_to_cart(Cart.objects.create(), early.variant.pk, 1)

    cart = cart_with((open_now.variant, 1))
    close(open_now)
    open_now.variant.refresh_from_db()
    assert not is_sellable(open_now.variant)
    assert not cart_summary(cart).items[0].sellable  # checkout then refuses it as no longer available
    with pytest.raises(CartError):
        add_to_cart(Cart.objects.create(), open_now.variant.pk, 1)


@pytest.mark.django_db
def test_the_plan_is_not_ordinary_stock_before_the_harvest():
    counter = factories.make_location()
    presale = make_presale(3, location=counter)
    presale.variant.product.low_stock_threshold = 5
    presale.variant.product.save()

    assert not sellable_stock_at(counter).filter(variant=presale.variant).exists()  # no walk-in sales
    assert not bulk_variants().filter(pk=presale.variant.pk).exists()
    assert not alert_variants().filter(pk=presale.variant.pk).exists()
    assert not low_stock_rows().filter(variant=presale.variant).exists()

    buy(presale, 1, delivery=pickup_at(counter))
    receive_harvest(close(presale), 3, actor=None)
    assert low_stock_rows().filter(variant=presale.variant).exists()
    assert alert_variants().filter(pk=presale.variant.pk).exists()


@pytest.mark.django_db
def test_the_plan_can_change_but_not_below_what_is_sold():
    presale = make_presale(10)
    buy(presale, 4)
    buy(presale, 2, paid=False)
    with pytest.raises(PreSaleError, match=r"already sold or held for orders \(6\)"):
        update_presale(presale, actor=None, planned_quantity=5)
    update_presale(presale, actor=None, planned_quantity=8, shortfall_policy=PreSale.ShortfallPolicy.PRO_RATA)
    presale.refresh_from_db()
    assert (presale.planned_quantity, presale.shortfall_policy) == (8, "pro_rata")
    assert presale_left(presale) == 2
    assert list(
        StockMovement.objects.filter(kind="plan", stock__variant=presale.variant).values_list("quantity", flat=True)
    ) == [-2, 10]


@pytest.mark.django_db
def test_the_product_page_shows_the_windows_and_what_is_left_refreshed_after_a_sale(
    settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 300
    settings.FRAGMENT_CACHE_SECONDS = 300
    presale = make_presale(50)
    url = f"/en/products/{presale.variant.product.slug}/"
    page = Client().get(url).content.decode()
    assert "Pre-sale" in page
    assert timezone.localtime(presale.closes_at).strftime("%Y-%m-%d %H:%M") in page
    assert presale.ships_from.isoformat() in page
    assert "50 units" in page  # planned, and all of it left

    with django_capture_on_commit_callbacks(execute=True):
        buy(presale, 3, paid=False)
    page = Client().get(url).content.decode()
    assert 'class="presale__left">47 units<' in page

    chinese = Client().get(f"/products/{presale.variant.product.slug}/").content.decode()
    assert "data-presale" in chinese  # the strings' Chinese comes with the translations


@pytest.mark.django_db
def test_after_the_window_the_page_says_the_presale_has_ended():
    presale = close(make_presale(5))
    page = Client().get(f"/en/products/{presale.variant.product.slug}/").content.decode()
    assert "The pre-sale has ended." in page
    assert "presale__left" not in page


@pytest.mark.django_db
def test_pages_are_stamped_when_an_order_window_opens_or_closes():
    now = timezone.now()
    presale = make_presale(5, opens_at=now - timedelta(seconds=30))  # opened half a minute ago
    assert stamp_presale_edges(now) == 1
    assert stamp_presale_edges(now) == 0  # each edge once
    PreSale.objects.filter(pk=presale.pk).update(closes_at=now + timedelta(seconds=20))
    assert stamp_presale_edges(now + timedelta(seconds=60)) == 1
