"""Gift packs sold online: one cart line, one order line per component at its share of the pack price, stock
reserved per component, the aid ledger and statements crediting each merchant its share."""

import pytest
from django.utils import timezone

from catalog.models import Pack, PackItem, StockMovement
from orders.aid.statements import statement
from orders.cart import CartError, add_pack_to_cart, add_to_cart, set_pack_quantity
from orders.checkout import SoldOut, cart_summary, pickup_counters
from orders.models import AidLedgerEntry, Cart, Order
from tests import factories
from tests.aid.helpers import pay
from tests.fixtures.races import run_together
from tests.orders.helpers import checkout, pickup_at, stock_of, stock_snapshot, stocked_variant


def make_pack(price: int, *variants_and_quantities, name: str = "中秋礼包", published: bool = True) -> Pack:
    pack = Pack.objects.create(name=name, slug=f"pack-{factories.n()}", price=price, is_published=published)
    for order, (variant, quantity) in enumerate(variants_and_quantities):
        PackItem.objects.create(pack=pack, variant=variant, quantity=quantity, sort_order=order)
    return pack


def pack_cart(pack: Pack, quantity: int = 1) -> Cart:
    cart = Cart.objects.create()
    add_pack_to_cart(cart, pack.pk, quantity)
    return cart


@pytest.fixture
def producers(db):
    return [factories.make_merchant(name) for name in ("秀山油茶合作社", "隘口土家织锦工坊", "钟灵茶叶专业合作社")]


@pytest.fixture
def warehouse(db):
    return factories.make_location(kind="warehouse", name="秀山产地仓", code="xs-wh")


@pytest.fixture
def hundred_yuan_pack(producers, warehouse):
    """¥100 for items listed at 40 + 35 + 30 = ¥105, one of each of three producers."""
    oil, brocade, tea = (
        stocked_variant((warehouse, 50), price=price, merchant=merchant)
        for price, merchant in zip((4000, 3500, 3000), producers, strict=True)
    )
    return make_pack(10000, (oil, 1), (brocade, 1), (tea, 1))


@pytest.mark.django_db
def test_a_pack_is_one_cart_line_priced_from_the_pack(hundred_yuan_pack):
    cart = pack_cart(hundred_yuan_pack, 2)

    summary = cart_summary(cart)

    assert summary.items == [] and len(summary.packs) == 1
    line = summary.packs[0]
    assert (line.name, line.quantity, line.unit_price, line.line_total, line.problem) == (
        "中秋礼包",
        2,
        10000,
        20000,
        "",
    )
    assert summary.subtotal == 20000 and summary.can_check_out
    assert sum(part.line_total for part in line.parts) == 20000


@pytest.mark.django_db
def test_ordering_a_hundred_yuan_pack_of_three_producers(hundred_yuan_pack, producers, warehouse):
    order = checkout(pack_cart(hundred_yuan_pack))

    lines = list(order.lines.order_by("pk"))
    assert [(line.merchant, line.line_total) for line in lines] == [
        (producers[0], 3810),
        (producers[1], 3333),
        (producers[2], 2857),
    ]
    assert sum(line.line_total for line in lines) == 10000 == order.subtotal
    assert {(line.pack_id, line.pack_name, line.pack_quantity) for line in lines} == {
        (hundred_yuan_pack.pk, "中秋礼包", 1)
    }
    assert sorted(f.merchant_id for f in order.fulfilments.all()) == sorted(m.pk for m in producers)
    for item in hundred_yuan_pack.items.all():
        assert stock_of(item.variant, warehouse).allocated == 1
    assert StockMovement.objects.filter(kind="allocate", reference=order.number).count() == 3
    assert not Cart.objects.get(pk=order.cart_id).pack_lines.exists()


@pytest.mark.django_db
def test_paying_a_pack_credits_each_merchant_its_share_and_statements_show_it(hundred_yuan_pack, producers):
    order = pay(checkout(pack_cart(hundred_yuan_pack, 3)))

    credits = AidLedgerEntry.objects.filter(order=order, kind=AidLedgerEntry.Kind.ORDER_PAID)
    by_merchant = {entry.merchant_id: entry.amount for entry in credits}
    assert by_merchant == {producers[0].pk: 3 * 3810, producers[1].pk: 3 * 3333, producers[2].pk: 3 * 2857}
    assert sum(by_merchant.values()) == 3 * 10000
    today = timezone.localdate()
    for merchant in producers:
        result = statement(merchant, today, today, fee_basis_points=0)
        assert result.gross == by_merchant[merchant.pk]
        assert [entry.reference for entry in result.entries] == [order.number]


@pytest.mark.django_db
def test_a_component_bought_by_the_unit_is_split_into_whole_fen_lines(producers, warehouse):
    honey = stocked_variant((warehouse, 50), price=500, merchant=producers[0])
    tea = stocked_variant((warehouse, 50), price=500, merchant=producers[1])
    pack = make_pack(1500, (honey, 3), (tea, 1))  # 2000 listed: 375 per unit, no remainder
    odd = make_pack(1000, (honey, 3))  # 333.33… per jar: one at 334, two at 333

    order = checkout(pack_cart(odd, 2))
    assert sorted((line.quantity, line.unit_price, line.line_total) for line in order.lines.all()) == [
        (2, 334, 668),
        (4, 333, 1332),
    ]
    assert order.subtotal == 2000 and stock_of(honey, warehouse).allocated == 6

    order = checkout(pack_cart(pack))
    assert sorted((line.sku, line.quantity, line.line_total) for line in order.lines.all()) == sorted(
        [(honey.sku, 3, 1125), (tea.sku, 1, 375)]
    )


@pytest.mark.django_db
def test_a_sold_out_component_refuses_the_pack_with_a_clear_message(producers, warehouse):
    oil = stocked_variant((warehouse, 10), price=4000, merchant=producers[0])
    brocade = stocked_variant((warehouse, 1), price=3500, merchant=producers[1])
    pack = make_pack(7000, (oil, 1), (brocade, 1))
    cart = pack_cart(pack)

    with pytest.raises(CartError, match="Only 1 of 中秋礼包 left"):
        set_pack_quantity(cart, cart.pack_lines.get().pk, 2)
    # Someone else buys the last brocade after this shopper saw the cart.
    fingerprint = cart_summary(cart).fingerprint
    checkout(_cart_of(brocade, 1))
    before = stock_snapshot()

    with pytest.raises(SoldOut, match="gift pack 中秋礼包 is sold out"):
        checkout(cart, fingerprint=fingerprint)

    assert stock_snapshot() == before
    assert Order.objects.count() == 1
    assert cart_summary(cart).packs[0].problem.endswith("in this pack: Sold out.")
    with pytest.raises(CartError, match="中秋礼包 is sold out"):
        add_pack_to_cart(Cart.objects.create(), pack.pk, 1)


def _cart_of(variant, quantity: int) -> Cart:
    cart = Cart.objects.create()
    add_to_cart(cart, variant.pk, quantity)
    return cart


@pytest.mark.django_db
def test_a_variant_both_in_the_cart_and_in_a_pack_needs_stock_for_both(producers, warehouse):
    oil = stocked_variant((warehouse, 3), price=4000, merchant=producers[0])
    tea = stocked_variant((warehouse, 10), price=3000, merchant=producers[1])
    pack = make_pack(6000, (oil, 1), (tea, 1))
    cart = pack_cart(pack, 2)
    add_to_cart(cart, oil.pk, 2)  # 2 + 2 oils wanted, 3 in stock

    summary = cart_summary(cart)

    assert not summary.can_check_out and summary.packs[0].problem
    before = stock_snapshot()
    with pytest.raises(SoldOut):
        checkout(cart)
    assert stock_snapshot() == before


@pytest.mark.django_db
def test_pickup_is_offered_only_at_counters_holding_every_component(producers):
    both = factories.make_location(name="德百专柜", code="dz-1")
    one = factories.make_location(name="乐陵专柜", code="dz-2")
    oil = stocked_variant((both, 5), (one, 5), price=4000, merchant=producers[0])
    tea = stocked_variant((both, 5), price=3000, merchant=producers[1])
    cart = pack_cart(make_pack(6000, (oil, 1), (tea, 1)))

    assert list(pickup_counters(cart_summary(cart).quantities)) == [both]
    order = checkout(cart, pickup_at(both))
    assert {f.location_id for f in order.fulfilments.all()} == {both.pk}
    assert stock_of(tea, both).allocated == 1


@pytest.mark.django_db
def test_unpublished_or_unsellable_packs_cannot_be_added(producers, warehouse):
    oil = stocked_variant((warehouse, 5), price=4000, merchant=producers[0])
    hidden = stocked_variant((warehouse, 5), price=3000, merchant=producers[1], published=False)
    for pack in (make_pack(5000, (oil, 1), published=False), make_pack(5000, (oil, 1), (hidden, 1))):
        with pytest.raises(CartError, match="not available"):
            add_pack_to_cart(Cart.objects.create(), pack.pk, 1)
    with pytest.raises(CartError, match="not available"):
        add_pack_to_cart(Cart.objects.create(), "99999", 1)


@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_for_packs_whose_scarce_component_has_five_units():
    warehouse = factories.make_location(kind="warehouse")
    producers = [factories.make_merchant() for _ in range(3)]
    oil = stocked_variant((warehouse, 100), price=4000, merchant=producers[0])
    scarce = stocked_variant((warehouse, 5), price=3500, merchant=producers[1])
    tea = stocked_variant((warehouse, 100), price=3000, merchant=producers[2])
    pack = make_pack(10000, (oil, 1), (scarce, 1), (tea, 1))
    carts = [pack_cart(pack) for _ in range(20)]
    fingerprints = [cart_summary(cart).fingerprint for cart in carts]

    results = run_together(
        *[lambda c=cart, f=fp: checkout(c, fingerprint=f) for cart, fp in zip(carts, fingerprints, strict=True)]
    )

    orders = [r for r in results if isinstance(r, Order)]
    assert [r for r in results if not isinstance(r, Order | SoldOut)] == []
    assert len(orders) == 5 == Order.objects.count()
    assert (stock_of(scarce, warehouse).on_hand, stock_of(scarce, warehouse).allocated) == (5, 5)
    assert stock_of(oil, warehouse).allocated == 5 == stock_of(tea, warehouse).allocated
    assert all(order.subtotal == 10000 and order.lines.count() == 3 for order in orders)
