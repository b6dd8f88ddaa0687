"""Walk-in counter sales: recorded against the counter's own stock through the ledger, priced by the server,
refused (with nothing written) when the counter cannot cover them, and visible per counter only."""

import re

import pytest
from django.utils import translation

from catalog.models import Stock, StockMovement
from orders.counter.services import CounterError, record_counter_sale
from orders.models import CounterSale
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login, messages_of
from tests.orders.helpers import cart_with, checkout, pickup_at, stock_snapshot


def sale_form(*lines, note: str = "", action: str = "record", method: str = "cash") -> dict:
    """The sale form as posted: the lines as parallel ``variant`` and ``quantity`` values, the button pressed."""
    return {
        "variant": [str(variant.pk) for variant, _quantity in lines],
        "quantity": [str(quantity) for _variant, quantity in lines],
        "payment_method": method,
        "note": note,
        action: "1",
    }


def errors_of(response) -> str:
    return " ".join(response.context["draft"].errors)


def sell(client, location, *lines, **kwargs):
    return client.post(url("counter:record_sale", location.pk), sale_form(*lines, **kwargs))


@pytest.fixture
def priced(world):
    """Two different prices, so that totals show which price was used."""
    variant_b = world.variant_b
    variant_b.price = 2580
    variant_b.save(update_fields=["price"])
    return world


def test_a_sale_takes_the_units_out_of_the_counters_stock_through_the_ledger(client, priced):
    world = priced
    login(client, world.carol)

    response = sell(client, world.counter1, (world.variant_a, 2), (world.variant_b, 1), note="老顾客")

    sale = CounterSale.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("counter:receipt", world.counter1.pk, sale.pk)
    assert re.fullmatch(r"CS\d{8}-\d{6}", sale.number)
    assert (sale.location, sale.total, sale.created_by, sale.note) == (
        world.counter1,
        2 * 1000 + 2580,
        world.carol,
        "老顾客",
    )
    assert sorted((line.sku, line.unit_price, line.quantity, line.line_total) for line in sale.lines.all()) == sorted(
        [(world.variant_a.sku, 1000, 2, 2000), (world.variant_b.sku, 2580, 1, 2580)]
    )
    assert {line.merchant for line in sale.lines.all()} == {world.merchant_a, world.merchant_b}
    assert world.stock(world.variant_a, world.counter1).on_hand == 8
    assert world.stock(world.variant_b, world.counter1).on_hand == 9
    assert world.stock(world.variant_a, world.counter2).on_hand == 7
    movements = StockMovement.objects.filter(reference=sale.number).order_by("quantity")
    assert [(m.kind, m.quantity, m.actor) for m in movements] == [
        (StockMovement.Kind.SALE, -2, world.carol),
        (StockMovement.Kind.SALE, -1, world.carol),
    ]
    assert all(world.counter1.name in m.reason and "carol" in m.reason and "老顾客" in m.reason for m in movements)
    receipt = client.get(response["Location"])
    assert f"Sale {sale.number} recorded: ¥45.80." in messages_of(receipt)
    assert sale.number in receipt.content.decode()
    assert "¥45.80" in receipt.content.decode()
    listing = client.get(url("counter:sales", world.counter1.pk))
    assert messages_of(listing) == []  # the message was shown once, on the receipt
    assert sale.number in listing.content.decode()
    assert listing.context["today"] == {"count": 1, "total": 4580}


@pytest.mark.parametrize("action", ["add_sku", "search", "step"])
def test_every_other_button_prices_the_sale_without_recording_it(client, priced, action):
    world = priced
    before = stock_snapshot()

    response = sell(login(client, world.carol), world.counter1, (world.variant_b, 3), action=action)

    assert response.status_code == 200
    assert response.context["draft"].total == 3 * 2580
    assert "¥77.40" in response.content.decode()
    assert CounterSale.objects.count() == 0
    assert stock_snapshot() == before


def test_selling_more_than_the_counter_has_is_refused_and_nothing_is_written(client, world):
    login(client, world.carol)
    before = stock_snapshot()

    response = sell(client, world.counter1, (world.variant_a, 1), (world.variant_b, 11))

    assert response.status_code == 200
    assert f"Not enough stock of {world.variant_b.sku} at {world.counter1.name}" in errors_of(response)
    assert errors_of(response) in response.content.decode()
    assert CounterSale.objects.count() == 0
    assert stock_snapshot() == before


def test_units_held_for_pickup_orders_cannot_be_sold_over_the_counter(client, world):
    checkout(cart_with((world.variant_a, 8)), pickup_at(world.counter1))
    login(client, world.carol)
    before = stock_snapshot()

    refused = sell(client, world.counter1, (world.variant_a, 3))

    assert "8 allocated to orders" in errors_of(refused)
    assert stock_snapshot() == before
    assert sell(client, world.counter1, (world.variant_a, 2)).status_code == 302
    assert world.stock(world.variant_a, world.counter1).on_hand == 8


def test_only_published_products_in_stock_at_this_counter_are_offered(client, world):
    hidden = factories.make_product(world.merchant_a, published=False).variants.get()
    elsewhere = factories.make_product(world.merchant_a).variants.get()
    for variant, location in ((hidden, world.counter1), (elsewhere, world.counter2)):
        Stock.objects.create(variant=variant, location=location, on_hand=5)
    Stock.objects.filter(variant=world.variant_b, location=world.counter1).update(on_hand=4, allocated=4)
    login(client, world.carol)

    draft = client.get(url("counter:record_sale", world.counter1.pk)).context["draft"]
    offered = [stock.variant_id for stock in draft.products()]

    assert offered == [world.variant_a.pk]
    for variant in (hidden, elsewhere, world.variant_b):
        response = sell(client, world.counter1, (variant, 1))
        assert "not sold at this counter" in errors_of(response)
        assert response.context["draft"].lines == []
    assert CounterSale.objects.count() == 0
    with translation.override("en"):  # a request above left its own language active
        for variant in (hidden, elsewhere):
            with pytest.raises(CounterError, match="not sold at this counter"):
                record_counter_sale(world.counter1, [(variant.pk, 1)], actor=world.carol)


def test_incomplete_lines_are_form_errors(client, world):
    login(client, world.carol)

    empty = sell(client, world.counter1)
    zero = sell(client, world.counter1, (world.variant_a, 0))
    words = sell(client, world.counter1, (world.variant_a, "two"))
    no_method = sell(client, world.counter1, (world.variant_a, 1), method="")
    bitcoin = sell(client, world.counter1, (world.variant_a, 1), method="bitcoin")

    assert "Add at least one product to the sale." in errors_of(empty)
    for response in (zero, words):
        assert "Quantity must be a whole number from 1 to 9999." in errors_of(response)
    with translation.override("en"):  # form errors are translated when read
        assert no_method.context["form"].errors["payment_method"] == ["Choose how the customer paid."]
        assert bitcoin.context["form"].errors["payment_method"]
    assert CounterSale.objects.count() == 0


def test_the_service_refuses_bad_lines_and_closed_counters(world):
    with pytest.raises(CounterError, match="at least one product"):
        record_counter_sale(world.counter1, [], actor=world.carol)
    with pytest.raises(CounterError, match="whole number"):
        record_counter_sale(world.counter1, [(world.variant_a.pk, 0)], actor=world.carol)
    with pytest.raises(CounterError, match="open counter"):
        record_counter_sale(world.warehouse, [(world.variant_a.pk, 1)], actor=world.carol)
    world.counter1.is_active = False
    world.counter1.save(update_fields=["is_active"])
    with pytest.raises(CounterError, match="open counter"):
        record_counter_sale(world.counter1, [(world.variant_a.pk, 1)], actor=world.carol)
    assert CounterSale.objects.count() == 0


def test_repeated_lines_of_one_product_are_added_up(world):
    sale = record_counter_sale(world.counter1, [(world.variant_a.pk, 1), (world.variant_a.pk, 2)], actor=world.carol)

    assert [(line.sku, line.quantity) for line in sale.lines.all()] == [(world.variant_a.sku, 3)]
    assert world.stock(world.variant_a, world.counter1).on_hand == 7


def test_sales_stay_with_their_counter(client, world):
    record_counter_sale(world.counter1, [(world.variant_a.pk, 1)], actor=world.carol)
    theirs = record_counter_sale(world.counter2, [(world.variant_b.pk, 2)], actor=world.dave)
    login(client, world.carol)

    own = client.get(url("counter:sales", world.counter1.pk))

    assert [sale.location for sale in own.context["sales"]] == [world.counter1]
    assert theirs.number not in own.content.decode()
    assert client.get(url("counter:sales", world.counter2.pk)).status_code == 404
    assert client.get(url("counter:record_sale", world.counter2.pk)).status_code == 404
    assert sell(client, world.counter2, (world.variant_b, 1)).status_code == 404
    assert CounterSale.objects.filter(location=world.counter2).count() == 1
    assert world.stock(world.variant_b, world.counter2).on_hand == 5


def test_operators_see_every_counters_sales_but_do_not_record_them(client, world):
    sale = record_counter_sale(world.counter2, [(world.variant_b.pk, 1)], actor=world.dave)
    login(client, world.operator)

    listing = client.get(url("counter:sales", world.counter2.pk))
    recording = sell(client, world.counter2, (world.variant_b, 1))

    assert sale.number in listing.content.decode()
    assert recording.status_code == 302
    assert recording["Location"] == url("wagtailadmin_home")
    assert CounterSale.objects.count() == 1


def test_merchants_have_no_counter_sales(client, world):
    login(client, world.alice)

    assert client.get(url("counter:sales", world.counter1.pk))["Location"] == url("wagtailadmin_home")
    assert sell(client, world.counter1, (world.variant_a, 1))["Location"] == url("wagtailadmin_home")
    assert CounterSale.objects.count() == 0
