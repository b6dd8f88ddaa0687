"""The catalogue's dashboard panels from real rows: a merchant's low stock and aid certificates running out,
never another merchant's; operators see every merchant's certificates; editors get neither panel."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.dashboard.selectors import expiring_certificates, low_stock
from catalog.services import adjust_stock
from core import roles
from tests import factories
from tests.fixtures.http import login
from tests.fixtures.users import english_admin

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)


def dashboard(client, user) -> str:
    response = login(client, english_admin(user)).get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return response.content.decode()


def panel_ids(html: str) -> set[str]:
    return set(re.findall(r'data-dashboard-panel="([a-z-]+)"', html))


def bring_down(world, variant, location, to: int) -> None:
    adjust_stock(
        variant=variant,
        location=location,
        quantity=to - world.stock(variant, location).on_hand,
        actor=world.operator,
        reason="盘点",
    )


def test_low_stock_lists_the_merchants_own_rows_at_or_below_the_threshold(world):
    threshold = world.product_a.low_stock_threshold  # 5
    bring_down(world, world.variant_a, world.counter1, threshold)  # at the threshold: low
    bring_down(world, world.variant_a, world.counter2, threshold + 1)  # above: not low
    bring_down(world, world.variant_b, world.counter1, 0)  # merchant B's

    rows = list(low_stock(world.alice))

    assert [(row.variant, row.location, row.available_units) for row in rows] == [
        (world.variant_a, world.counter1, threshold)
    ]
    assert [row.variant for row in low_stock(world.bob)] == [world.variant_b]
    assert list(low_stock(world.carol)) == []  # counter staff belong to no merchant


def test_low_stock_counts_units_held_for_orders_and_skips_what_is_not_on_sale(world):
    stock = world.stock(world.variant_a, world.warehouse)
    stock.allocated = stock.on_hand - 2  # 2 left to sell
    stock.save(update_fields=["allocated"])
    draft = factories.make_product(world.merchant_a, published=False)
    draft_row = draft.variants.get().stocks.create(location=world.counter1, on_hand=0)

    rows = list(low_stock(world.alice))

    assert [(row.location, row.available_units) for row in rows] == [(world.warehouse, 2)]
    assert draft_row.pk not in {row.pk for row in rows}


def test_merchant_dashboard_shows_its_low_stock_linking_to_the_adjust_form(client, world):
    bring_down(world, world.variant_a, world.counter2, 1)
    bring_down(world, world.variant_b, world.counter2, 0)

    html = dashboard(client, world.alice)

    assert 'data-dashboard-panel="low-stock" data-count="1"' in html
    assert "1 available (alert at 5)" in html
    assert reverse("stock:adjust", args=[world.stock(world.variant_a, world.counter2).pk]) in html
    assert world.product_b.name not in html
    assert "/admin/stock/?ordering=available" in html


def test_nothing_low_says_so(client, world):
    html = dashboard(client, world.bob)

    assert 'data-dashboard-panel="low-stock" data-count="0"' in html
    assert "Nothing is running low" in html


def certify(holder, days: int, number: str = "XSXF-2026-0001"):
    return factories.make_certificate(holder, TODAY + datetime.timedelta(days=days), number=number)


def test_certificates_expiring_within_60_days_or_expired_of_ones_own_merchants(world):
    certify(world.merchant_a, 30)
    certify(world.product_a, -3)  # expired
    certify(world.merchant_b, 10)
    other_a = factories.make_product(world.merchant_a)
    certify(other_a, 61)  # not yet

    alice = expiring_certificates(world.alice, today=TODAY)
    operator = expiring_certificates(world.operator, today=TODAY)

    assert [(c.holder, c.expired, c.days_left) for c in alice] == [
        (world.product_a, True, -3),
        (world.merchant_a, False, 30),
    ]
    assert [c.holder for c in expiring_certificates(world.bob, today=TODAY)] == [world.merchant_b]
    assert [c.holder for c in operator] == [world.product_a, world.merchant_b, world.merchant_a]
    assert expiring_certificates(world.carol, today=TODAY) == []


def test_certificate_panel_for_merchants_and_operators_not_editors(client, world):
    certificate = factories.make_certificate(
        world.merchant_a, timezone.localdate() + datetime.timedelta(days=20), number="XSXF-2026-0042"
    )
    editor = factories.make_user("editor", group=roles.EDITORS)

    alice = dashboard(client, world.alice)
    assert "Expires in 20 days" in alice and "XSXF-2026-0042" in alice
    assert reverse("certificate:inspect", args=[certificate.pk]) in alice  # the certificate's page
    bob = dashboard(client, world.bob)
    assert "XSXF-2026-0042" not in bob and "No aid certificate expires within the next 60 days." in bob
    operator = dashboard(client, world.operator)
    assert reverse("certificate:inspect", args=[certificate.pk]) in operator  # operators review it there
    assert "low-stock" not in panel_ids(operator)
    editor_html = dashboard(client, editor)
    assert not panel_ids(editor_html) & {"low-stock", "certificates"}
    assert "XSXF-2026-0042" not in editor_html
