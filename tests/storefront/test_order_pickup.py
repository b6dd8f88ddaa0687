"""The paid pickup order's page: at the top, per counter, the pickup code large and its QR (inline SVG drawn on the
server), the progress 已付款 → 备货中 → 可取货 → 已取货 and what happens next; nothing of it before payment."""

import re

import pytest
from bs4 import BeautifulSoup, Tag

from orders.counter.services import hand_over
from orders.fulfilment import mark_fulfilment_ready
from orders.fulfilment.pickups import open_pickups
from orders.models import Fulfilment, Order
from orders.payments import mark_paid
from tests import factories
from tests.orders.helpers import cart_with, checkout, pickup_at
from tests.storefront.shop import make_counter, stocked_variant


@pytest.fixture
def counter(db):
    return make_counter(name="德百专柜", address="德城区东风中路1号")


@pytest.fixture
def order(counter) -> Order:
    """Navel oranges from one producer and a brocade scarf from another, both collected at one counter."""
    oranges = stocked_variant((counter, 5), merchant=factories.make_merchant("贵措脐橙种植场"), name="秀山脐橙")
    scarf = stocked_variant((counter, 5), merchant=factories.make_merchant("隘口土家织锦坊"), name="土家织锦围巾")
    return checkout(cart_with((oranges, 1), (scarf, 1)), pickup_at(counter))


def page(client, order: Order, language: str = "en") -> BeautifulSoup:
    prefix = "/en" if language == "en" else ""
    response = client.get(f"{prefix}/orders/{order.token}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def cards(soup: BeautifulSoup) -> list[Tag]:
    return soup.select("section.pickup")


def steps(card: Tag) -> list[tuple[str, str]]:
    """(label, state) of each step of the card's stepper."""
    return [
        (item.select_one(".stepper__label").get_text(strip=True), item["class"][1].removeprefix("stepper__step--"))
        for item in card.select("li.stepper__step")
    ]


def test_nothing_of_the_pickup_before_payment(client, order):
    soup = page(client, order)

    assert cards(soup) == []
    assert soup.select("svg.qr") == []
    assert order.pickups.get().code not in soup.get_text()


def test_paid_order_shows_one_code_and_its_qr_at_the_top_for_two_producers(client, order, counter):
    mark_paid(order)
    code = order.pickups.get().code

    soup = page(client, order)

    (card,) = cards(soup)
    assert card.find_previous("h1") is not None  # under the order's heading …
    assert card.find_next("h2", id="items-heading") is not None  # … before everything else
    assert card.select_one(".pickup__heading").get_text(strip=True) == f"Pickup at {counter.name}"
    assert card.select_one(".pickup__code").get_text(strip=True) == code
    assert len(re.findall(rf"\b{code}\b", soup.get_text())) == 1  # one code, shown once
    (qr,) = card.select("svg.qr")
    assert qr["role"] == "img" and code in qr["aria-label"]
    assert qr["viewbox"] == "0 0 29 29"  # a version-1 QR code, four modules of quiet zone
    assert not soup.select("img[src*=qr], script[src*=qr]")  # drawn on the server, nothing fetched
    assert steps(card) == [
        ("Paid", "done"),
        ("Being prepared", "current"),
        ("Ready to collect", "todo"),
        ("Collected", "todo"),
    ]
    assert card.select_one("[aria-current=step]").get_text(strip=True) == "Being prepared"
    assert card.select_one(".pickup__next").get_text(strip=True) == (
        f"{counter.name} is preparing your order; we will text you when everything is ready to collect."
    )


def test_one_part_ready_of_two_is_still_being_prepared(client, order):
    mark_paid(order)
    mark_fulfilment_ready(order.fulfilments.first(), actor=None)

    (card,) = cards(page(client, order))

    assert [state for _label, state in steps(card)] == ["done", "current", "todo", "todo"]
    assert "1 of 2 parts are ready at 德百专柜; we will text you when everything is." in card.get_text()
    assert card.select_one(".pickup__code") is not None


def test_every_part_ready_asks_the_customer_to_come_with_the_code(client, order):
    mark_paid(order)
    for part in order.fulfilments.order_by("pk"):
        mark_fulfilment_ready(part, actor=None)

    (card,) = cards(page(client, order))

    assert [state for _label, state in steps(card)] == ["done", "done", "current", "todo"]
    assert card.select_one(".pickup__next").get_text(strip=True) == (
        "Everything is ready: come to 德百专柜 (open 09:00–21:00) and show this code or its QR code."
    )
    assert card.select_one(".pickup__code").get_text(strip=True) == order.pickups.get().code


def test_after_the_hand_over_every_step_is_done_and_the_code_is_gone(client, order):
    mark_paid(order)
    for part in order.fulfilments.order_by("pk"):
        mark_fulfilment_ready(part, actor=None)
    pickup = order.pickups.get()
    hand_over(pickup, pickup.code, actor=None)

    soup = page(client, order)

    (card,) = cards(soup)
    assert [state for _label, state in steps(card)] == ["done"] * 4
    assert card.select_one(".pickup__code") is None and card.select("svg") == []
    assert card.select_one(".pickup__next").get_text(strip=True).startswith("Collected at 德百专柜 on ")


def test_an_order_at_two_counters_shows_a_code_for_each(client, order, counter):
    mark_paid(order)
    other = make_counter(name="乐陵专柜")
    second = open_pickups(order, [other])[other.pk]
    Fulfilment.objects.filter(pk=order.fulfilments.last().pk).update(location=other, pickup=second)

    found = cards(page(client, order))

    assert [card.select_one(".pickup__code").get_text(strip=True) for card in found] == [
        order.pickups.get(location=counter).code,
        second.code,
    ]
    assert len({card.select_one("svg.qr")["aria-label"] for card in found}) == 2


def test_the_chinese_page_shows_the_code_and_qr_too(client, order):
    mark_paid(order)

    soup = page(client, order, "zh-hans")

    assert soup.html["lang"] == "zh-hans"
    (card,) = cards(soup)
    assert card.select_one(".pickup__code").get_text(strip=True) == order.pickups.get().code
    assert card.select_one("svg.qr") is not None
    assert "德百专柜" in card.select_one(".pickup__heading").get_text()
    assert card.select_one(".stepper__step--current .stepper__label").get_text(strip=True)


def test_a_delivery_order_has_no_pickup_card(client, warehouse):
    variant = stocked_variant((warehouse, 3))
    order = mark_paid(checkout(cart_with((variant, 1))))

    assert cards(page(client, order)) == []
