"""Rules written twice, as a queryset filter or annotation and as Python, agree row for row.

Each test builds a spread of rows around the rule's edges, evaluates both sides for every row and
compares the two sets; it also checks the spread gives both answers, so agreement is not vacuous.
"""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from catalog import notifications
from catalog.certificates import certified_condition, qualifying_certificate
from catalog.models import Certificate, Location, Product, Stock, Variant
from orders.aid.certificates import (
    certificate_expired,
    expired_certificate_condition,
    hidden_for_expired_certificate,
    is_hidden_for_expired_certificate,
)
from orders.availability import available_quantities, is_sellable, sellable_variants
from orders.checkout import pickup_counters
from orders.counter.selectors import sellable_stock_at
from orders.models import AidSettings
from storefront.selectors import active_variants, filter_products, prepare_for_display, public_products, shape_products
from tests import factories
from tests.fixtures.catalog import set_stock

pytestmark = pytest.mark.django_db

# Certificate states (status, days from today to the end of validity; None for no certificate).
CERTIFICATES = {
    "none": (None, None),
    "submitted, not reviewed": (Certificate.Status.SUBMITTED, 30),
    "expired yesterday": (Certificate.Status.APPROVED, -1),
    "ends today": (Certificate.Status.APPROVED, 0),
    "valid next month": (Certificate.Status.APPROVED, 30),
    "revoked": (Certificate.Status.REVOKED, 30),
}


def certify(holder, state: str):
    status, days = CERTIFICATES[state]
    if status is not None:
        factories.make_certificate(holder, timezone.localdate() + timedelta(days=days), status=status)
    return holder


def hide_expired(on: bool) -> None:
    settings = AidSettings.load()
    settings.hide_expired_products = on
    settings.save()


def both_answers(rows, answer) -> bool:
    """Whether the spread holds rows the rule says yes to and rows it says no to."""
    answers = {bool(answer(row)) for row in rows}
    return answers == {True, False}


@pytest.fixture
def certified() -> list[Product]:
    """Every product certificate state under every merchant certificate state (36 products)."""
    products = []
    for merchant_state in CERTIFICATES:
        merchant = certify(factories.make_merchant(), merchant_state)
        products += [certify(factories.make_product(merchant), state) for state in CERTIFICATES]
    return list(Product.objects.filter(pk__in=[p.pk for p in products]).select_related("merchant"))


@pytest.fixture
def shop_variants() -> list[Variant]:
    """Active and inactive variants of published and unpublished products of active and inactive merchants,
    with no, an expired and a valid certificate on the product or on its merchant."""
    variants = []
    for merchant_active in (True, False):
        for merchant_state in ("none", "expired yesterday", "valid next month"):
            merchant = certify(factories.make_merchant(is_active=merchant_active), merchant_state)
            for published in (True, False):
                for state in ("none", "expired yesterday", "valid next month"):
                    product = certify(factories.make_product(merchant, published=published, variants=2), state)
                    product.variants.filter(sort_order=1).update(is_active=False)
                    variants += product.variants.all()
    return list(Variant.objects.filter(pk__in=[v.pk for v in variants]).select_related("product__merchant"))


# --- Certificates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("days", [0, 1])
def test_certified_condition_is_qualifying_certificate(days, certified):
    day = timezone.localdate() + timedelta(days=days)
    ids = [p.pk for p in certified]
    in_sql = set(Product.objects.filter(certified_condition(Certificate.Kind.AID, day), pk__in=ids))
    in_python = {product for product in certified if qualifying_certificate(product, day) is not None}

    assert in_sql == in_python
    assert both_answers(certified, lambda product: qualifying_certificate(product, day))


def test_expired_certificate_condition_is_certificate_expired(certified):
    in_sql = set(Product.objects.filter(expired_certificate_condition(), pk__in=[p.pk for p in certified]))
    in_python = {product for product in certified if certificate_expired(product)}

    assert in_sql == in_python
    assert both_answers(certified, certificate_expired)


@pytest.mark.parametrize("days", [-1, 1, 31])
def test_the_certificate_rule_agrees_on_any_day_it_is_asked_about(days, certified):
    """The check for a given day (the hourly certificate check passes one) uses that day throughout."""
    day = timezone.localdate() + timedelta(days=days)
    in_sql = set(Product.objects.filter(expired_certificate_condition(today=day), pk__in=[p.pk for p in certified]))
    in_python = {product for product in certified if certificate_expired(product, today=day)}

    assert in_sql == in_python


@pytest.mark.parametrize("on", [True, False], ids=["hiding", "not-hiding"])
def test_hidden_for_expired_certificate_is_is_hidden_for_expired_certificate(on, certified):
    hide_expired(on)
    condition = hidden_for_expired_certificate()

    ids = [p.pk for p in certified]
    in_sql = set() if condition is None else set(Product.objects.filter(condition, pk__in=ids))
    in_python = {product for product in certified if is_hidden_for_expired_certificate(product)}

    assert in_sql == in_python
    assert any(certificate_expired(product) for product in certified)  # the setting alone decides
    assert bool(in_python) == on


# --- Sellable variants -------------------------------------------------------------------------------


@pytest.mark.parametrize("on", [True, False], ids=["hiding-expired", "not-hiding-expired"])
def test_sellable_variants_is_is_sellable(on, shop_variants):
    hide_expired(on)

    in_sql = set(sellable_variants().filter(pk__in=[v.pk for v in shop_variants]))
    in_python = {variant for variant in shop_variants if is_sellable(variant)}

    assert in_sql == in_python
    assert both_answers(shop_variants, is_sellable)


# --- Available stock -----------------------------------------------------------------------------------


@pytest.fixture
def places() -> dict[str, Location]:
    """Two active warehouses and counters, and one inactive of each kind."""
    warehouse, counter = Location.Kind.WAREHOUSE, Location.Kind.COUNTER
    return {
        "w1": factories.make_location(warehouse),
        "w2": factories.make_location(warehouse),
        "w-closed": factories.make_location(warehouse, is_active=False),
        "c1": factories.make_location(counter),
        "c2": factories.make_location(counter),
        "c-closed": factories.make_location(counter, is_active=False),
    }


# Stock of one variant: place → (on hand, allocated). Each entry is one product with one variant.
STOCK_SPREAD = [
    {},
    {"w1": (10, 0)},
    {"w1": (5, 5)},
    {"w1": (4, 1), "w2": (3, 0)},
    {"c1": (7, 2), "c2": (3, 0)},
    {"w1": (2, 0), "c1": (9, 1)},
    {"w1": (6, 0), "w2": (6, 0), "c1": (10, 0)},
    {"w-closed": (50, 0), "c-closed": (20, 0)},
    {"w-closed": (9, 0), "w1": (1, 0)},
    {"c1": (1, 1), "c2": (2, 2)},
    {"c1": (3, 0), "c-closed": (30, 0)},
    {"c2": (4, 0), "c-closed": (2, 2)},
]


@pytest.fixture
def stocked(places) -> list[Variant]:
    """One variant per ``STOCK_SPREAD`` entry, plus stocked variants the shop does not sell (an inactive
    one, an unpublished product's) and a product whose only stock is on its inactive variant."""
    variants = []
    for rows in STOCK_SPREAD:
        variant = factories.make_product().variants.get()
        for place, (on_hand, allocated) in rows.items():
            set_stock(variant, places[place], on_hand, allocated)
        variants.append(variant)
    inactive = factories.make_product(variants=2)
    for variant in inactive.variants.all():
        set_stock(variant, places["c1"], 4)
    inactive.variants.filter(sort_order=1).update(is_active=False)
    unpublished = factories.make_product(published=False).variants.get()
    set_stock(unpublished, places["c1"], 4)
    set_stock(unpublished, places["w1"], 4)
    only_inactive = factories.make_product(variants=2)
    only_inactive.variants.filter(sort_order=1).update(is_active=False)
    set_stock(only_inactive.variants.get(sort_order=1), places["w1"], 8)
    ids = [v.pk for v in variants] + list(
        Variant.objects.filter(product__in=[inactive, unpublished.product, only_inactive]).values_list("pk", flat=True)
    )
    return list(Variant.objects.filter(pk__in=ids).select_related("product__merchant").order_by("pk"))


def test_the_available_annotation_is_available_quantities(stocked):
    active = [v for v in stocked if v.is_active]

    in_sql = dict(active_variants().filter(pk__in=[v.pk for v in active]).values_list("pk", "available"))
    in_python = available_quantities([v.pk for v in active])

    assert in_sql == in_python
    assert both_answers(active, lambda v: in_python[v.pk])


@pytest.mark.parametrize("place", ["c1", "c2", "c-closed", "w1"])
def test_sellable_stock_at_a_place_is_stock_available_of_sellable_variants(place, places, stocked):
    location = places[place]
    rows = list(Stock.objects.filter(location=location).select_related("variant__product__merchant"))

    in_sql = set(sellable_stock_at(location))
    in_python = {stock for stock in rows if stock.available > 0 and is_sellable(stock.variant)}

    assert in_sql == in_python
    assert both_answers(rows, lambda stock: stock in in_python)


def counters_holding(variant: Variant, quantity: int) -> set[Location]:
    return {
        stock.location
        for stock in Stock.objects.filter(variant=variant).select_related("location")
        if stock.location.is_counter and stock.location.is_active and stock.available >= quantity
    }


@pytest.mark.parametrize("quantity", [1, 3, 5, 8])
def test_pickup_counters_are_the_active_counters_with_that_many_available(quantity, stocked):
    active = [v for v in stocked if v.is_active]
    for variant in active:
        assert set(pickup_counters({variant.pk: quantity})) == counters_holding(variant, quantity), variant.sku
    for first, second in pairwise(active):  # a cart of two: counters holding both
        both = counters_holding(first, quantity) & counters_holding(second, 1)
        assert set(pickup_counters({first.pk: quantity, second.pk: 1})) == both, (first.sku, second.sku)
    assert both_answers(active, lambda v: counters_holding(v, quantity))


def test_the_in_stock_filter_lists_what_the_product_pages_do_not_call_sold_out(stocked):
    public = public_products().filter(pk__in={v.product_id for v in stocked})

    in_sql = set(filter_products(public, {"in_stock": True}))
    shown = prepare_for_display(shape_products(public, renditions=False))
    in_python = {product for product in shown if product.availability.status != "sold_out"}

    assert in_sql == in_python
    assert both_answers(shown, lambda product: product.availability.status != "sold_out")


def test_low_stock_rows_are_the_rows_stock_decreased_calls_low(places, monkeypatch):
    """``stock_decreased`` (after a change) and ``low_stock_rows`` (the daily sweep) find the same rows."""
    rows = []
    for threshold in (0, 5):
        variant = factories.make_product(low_stock_threshold=threshold).variants.get()
        for place, (on_hand, allocated) in zip(places, [(0, 0), (5, 0), (6, 0), (8, 3), (8, 2), (3, 3)], strict=True):
            rows.append(set_stock(variant, places[place], on_hand, allocated))
    rows = list(Stock.objects.filter(pk__in=[s.pk for s in rows]).select_related("variant__product"))
    called_low = []
    monkeypatch.setattr(notifications, "low_stock", lambda stock, **kwargs: called_low.append(stock))

    for stock in rows:
        notifications.stock_decreased(stock, available_before=stock.available + 1)

    assert set(notifications.low_stock_rows().filter(pk__in=[s.pk for s in rows])) == set(called_low)
    assert both_answers(rows, lambda stock: stock in called_low)
