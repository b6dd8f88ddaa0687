"""The home and impact pages on a 360 px phone: nothing wider than the screen, the impact page's figure
cards two to a row, the programme's figures under their own label apart from the platform's ledger, and
axe finds no serious or critical problem."""

import pytest

from tests.e2e.actions import no_overflow, serious_violations
from tests.e2e.site import Site

PHONE = {"width": 360, "height": 780}
# Some sales at a counter no other journey uses, so the impact page has figures and breakdowns to lay out.
SELL_AT_A_COUNTER = """
from catalog.models import Location, Stock
from orders.counter.services import record_counter_sale
counter = Location.objects.filter(kind="counter", is_active=True).order_by("-pk").first()
stocks = Stock.objects.filter(location=counter, on_hand__gte=5, allocated=0).order_by("pk")[:3]
record_counter_sale(counter, [(stock.variant_id, 1) for stock in stocks], actor=None)
"""


@pytest.fixture(scope="module")
def with_sales(site: Site) -> Site:
    site.manage("shell", "-c", SELL_AT_A_COUNTER)
    return site


@pytest.mark.parametrize("path", ["/", "/impact/"])
def test_home_and_impact_fit_a_360_px_phone(page, with_sales, path):
    page.set_viewport_size(PHONE)
    response = page.goto(path)
    assert response is not None and response.status == 200
    no_overflow(page)
    programme = page.locator("section.programme-figures")
    assert programme.locator("h2").is_visible() and programme.locator("figcaption").is_visible()
    assert "1.6亿元" in programme.inner_text()
    assert serious_violations(page) == []


def test_the_impact_pages_ledger_cards_sit_two_to_a_row_on_a_phone(page, with_sales):
    page.set_viewport_size(PHONE)
    page.goto("/impact/")
    ledger = page.locator("section.impact-ledger")
    assert "1.6亿元" not in ledger.inner_text()
    lead, *cards = ledger.locator(".figure-card").all()
    boxes = [card.bounding_box() for card in cards]
    assert lead.bounding_box()["width"] > 2 * boxes[0]["width"]  # the total spans the row
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"]  # then two to a row
    assert ledger.locator(".impact-breakdown").count() == 4
