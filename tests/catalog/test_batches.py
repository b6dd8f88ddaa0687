"""Batches (issue 18, part 6): stock received as a batch through the ledger, with its date, origin and the
certificate covering it; the stock ledger shows the batch and links its trace page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Batch, Certificate, StockMovement
from catalog.services import StockError, receive_batch
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login

LATER = datetime.date(2031, 6, 30)
HARVEST = datetime.date(2026, 11, 2)


def receive_form(**fields) -> dict:
    return {
        "kind": "receive",
        "quantity": "24",
        "reason": "十一月第二批到货",
        "produced_on": HARVEST.isoformat(),
        "origin": "钟灵镇凉桥村",
        **fields,
    }


def test_receiving_a_batch_writes_one_movement_with_the_batch_who_and_why(world):
    certificate = factories.make_certificate(world.merchant_a, LATER)
    stock = world.stock(world.variant_a, world.counter1)
    before = StockMovement.objects.count()

    movement = receive_batch(
        variant=world.variant_a,
        location=world.counter1,
        quantity=24,
        actor=world.alice,
        reason="十一月第二批到货",
        produced_on=HARVEST,
        origin="钟灵镇凉桥村",
        certificate=certificate,
    )

    assert StockMovement.objects.count() == before + 1
    movement = StockMovement.objects.select_related("batch").get(pk=movement.pk)
    assert (movement.kind, movement.quantity, movement.on_hand_after) == ("receive", 24, stock.on_hand + 24)
    assert (movement.actor, movement.reason) == (world.alice, "十一月第二批到货")
    batch = movement.batch
    assert (batch.variant, batch.location, batch.quantity_received) == (world.variant_a, world.counter1, 24)
    assert (batch.produced_on, batch.origin, batch.certificate) == (HARVEST, "钟灵镇凉桥村", certificate)
    assert batch.received_by == world.alice
    assert len(batch.code) == 8 and batch.code.isalnum() and batch.code.isupper()
    assert world.stock(world.variant_a, world.counter1).on_hand == stock.on_hand + 24


def test_batch_codes_are_unique_and_unlike_each_other(world):
    codes = {
        receive_batch(
            variant=world.variant_a,
            location=world.warehouse,
            quantity=1,
            actor=world.operator,
            reason="到货",
            produced_on=HARVEST,
            origin="洪安镇",
        ).batch.code
        for _ in range(20)
    }
    assert len(codes) == 20
    assert not any(set(code) & set("01OIL") for code in codes)  # nothing misread off a printed label


@pytest.mark.parametrize(
    "certificate_of",
    [
        "other merchant",  # covers merchant B's products only
        "submitted",  # not approved by an operator
        "expired",  # no longer valid today
        "mark",  # a quality mark is not an aid certificate
    ],
)
def test_a_batch_certificate_must_qualify_the_product_today(world, certificate_of):
    certificate = {
        "other merchant": lambda: factories.make_certificate(world.merchant_b, LATER),
        "submitted": lambda: factories.make_certificate(world.merchant_a, LATER, status=Certificate.Status.SUBMITTED),
        "expired": lambda: factories.make_certificate(
            world.merchant_a, timezone.localdate() - datetime.timedelta(days=1), status=Certificate.Status.EXPIRED
        ),
        "mark": lambda: factories.make_certificate(world.merchant_a, LATER, kind=Certificate.Kind.ORGANIC),
    }[certificate_of]()
    before = (StockMovement.objects.count(), Batch.objects.count())

    with pytest.raises(StockError):
        receive_batch(
            variant=world.variant_a,
            location=world.counter1,
            quantity=5,
            actor=world.operator,
            reason="到货",
            produced_on=HARVEST,
            origin="洪安镇",
            certificate=certificate,
        )

    assert (StockMovement.objects.count(), Batch.objects.count()) == before


def test_a_batch_of_a_listed_product_may_carry_its_own_certificate(world):
    own = factories.make_certificate(world.product_a, LATER, number="XS-P-0001")

    movement = receive_batch(
        variant=world.variant_a,
        location=world.counter1,
        quantity=3,
        actor=world.operator,
        reason="到货",
        produced_on=HARVEST,
        origin="洪安镇",
        certificate=own,
    )

    assert movement.batch.certificate == own


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"produced_on": "tomorrow"}, "future"),
        ({"origin": "  "}, "origin"),
        ({"quantity": 0}, "positive"),
        ({"reason": ""}, "reason"),
    ],
)
def test_a_batch_needs_a_past_date_an_origin_a_quantity_and_a_reason(world, fields, message):
    data = {
        "variant": world.variant_a,
        "location": world.counter1,
        "quantity": 5,
        "actor": world.operator,
        "reason": "到货",
        "produced_on": HARVEST,
        "origin": "洪安镇",
        **fields,
    }
    if data["produced_on"] == "tomorrow":
        data["produced_on"] = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(StockError, match=message):
        receive_batch(**data)
    assert not Batch.objects.exists()


# -- The back-office receive form --------------------------------------------------------


def test_the_receive_form_records_a_batch_with_a_qualifying_certificate(client, world):
    certificate = factories.make_certificate(world.merchant_a, LATER)
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    form = client.get(url("stock:adjust", stock.pk)).context["form"]
    assert list(form.fields["certificate"].queryset) == [certificate]
    assert form.fields["certificate"].initial == certificate

    response = client.post(url("stock:adjust", stock.pk), receive_form(certificate=certificate.pk))

    assert response.status_code == 302
    movement = StockMovement.objects.get(stock=stock, batch__isnull=False)
    assert (movement.quantity, movement.actor, movement.reason) == (24, world.alice, "十一月第二批到货")
    assert movement.batch.certificate == certificate
    assert movement.batch.origin == "钟灵镇凉桥村"


def test_the_receive_form_without_a_date_receives_no_batch(client, world):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    response = client.post(url("stock:adjust", stock.pk), receive_form(produced_on="", origin=""))

    assert response.status_code == 302
    assert StockMovement.objects.filter(stock=stock).latest("pk").batch is None
    assert not Batch.objects.exists()


def test_only_goods_received_become_a_batch(client, world):
    stock = world.stock(world.variant_a, world.counter1)
    login(client, world.alice)

    response = client.post(url("stock:adjust", stock.pk), receive_form(kind="adjust", quantity="-1"))

    assert response.status_code == 200
    assert "produced_on" in response.context["form"].errors
    assert not Batch.objects.exists()


def test_the_receive_form_is_isolated_per_merchant(client, world):
    """A merchant's member cannot receive a batch into another merchant's stock, nor attach another merchant's
    certificate to its own batch (not among the choices: the form refuses it)."""
    theirs = factories.make_certificate(world.merchant_b, LATER, number="XS-B-0001")
    own_stock = world.stock(world.variant_a, world.counter1)
    other_stock = world.stock(world.variant_b, world.counter1)
    login(client, world.alice)

    assert client.get(url("stock:adjust", other_stock.pk)).status_code == 404
    assert client.post(url("stock:adjust", other_stock.pk), receive_form()).status_code == 404
    refused = client.post(url("stock:adjust", own_stock.pk), receive_form(certificate=theirs.pk))

    assert refused.status_code == 200
    assert "certificate" in refused.context["form"].errors
    assert theirs not in refused.context["form"].fields["certificate"].queryset
    assert not Batch.objects.exists()


# -- The stock ledger ---------------------------------------------------------------------


def test_the_ledger_shows_the_batch_code_linking_its_trace_page(client, world):
    movement = receive_batch(
        variant=world.variant_a,
        location=world.counter1,
        quantity=12,
        actor=world.operator,
        reason="到货",
        produced_on=HARVEST,
        origin="洪安镇",
    )
    code = movement.batch.code

    for user in (world.alice, world.carol, world.operator):
        page = login(client, user).get(url("stock_ledger:index")).content.decode()
        # The users read the English admin: the link opens the English trace page.
        assert f'<a href="/en/trace/{code}/" data-batch-code="{code}">{code}</a>' in page
    assert code not in login(client, world.bob).get(url("stock_ledger:index")).content.decode()
    assert code not in login(client, world.dave).get(url("stock_ledger:index")).content.decode()


def test_the_ledger_reads_batches_without_a_query_per_row(client, world):
    for location in (world.counter1, world.counter2, world.warehouse):
        receive_batch(
            variant=world.variant_a,
            location=location,
            quantity=1,
            actor=world.operator,
            reason="到货",
            produced_on=HARVEST,
            origin="洪安镇",
        )
    login(client, world.operator)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url("stock_ledger:index")).content.decode()

    assert page.count("data-batch-code=") == 3
    assert not [q for q in queries.captured_queries if 'FROM "catalog_batch"' in q["sql"]]  # joined to the rows


def test_the_ledger_export_has_the_batch_code(client, world):
    movement = receive_batch(
        variant=world.variant_a,
        location=world.counter1,
        quantity=12,
        actor=world.operator,
        reason="到货",
        produced_on=HARVEST,
        origin="洪安镇",
    )

    response = login(client, world.operator).get(url("stock_ledger:index"), {"export": "csv"})

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert movement.batch.code in body
