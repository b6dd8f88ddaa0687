"""QR labels of a batch in the counter console (issue 18, part 6): counter staff print labels only for batches
received at their counter, operators for any; the batches page lists the counter's own."""

import datetime

import pytest

from catalog.services import receive_batch
from tests.catalog.admin_world import url
from tests.fixtures.http import login

HARVEST = datetime.date(2026, 11, 2)


def receive(world, location, variant=None):
    return receive_batch(
        variant=variant or world.variant_a,
        location=location,
        quantity=6,
        actor=world.operator,
        reason="到货",
        produced_on=HARVEST,
        origin="洪安镇",
    ).batch


@pytest.fixture
def batches(world):
    return {
        "counter1": receive(world, world.counter1),
        "counter2": receive(world, world.counter2, world.variant_b),
        "warehouse": receive(world, world.warehouse),
    }


def test_counter_staff_print_labels_for_their_counters_batches(client, world, batches):
    batch = batches["counter1"]

    response = login(client, world.carol).get(url("counter:batch_labels", world.counter1.pk, batch.pk))

    assert response.status_code == 200
    assert response.content.decode().count('class="batch-label"') == 6  # one per pack received, by default


def test_counter_staff_of_another_counter_cannot_print_a_batchs_labels(client, world, batches):
    login(client, world.dave)  # staffs counter 2
    batch = batches["counter1"]

    through_own_counter = client.get(url("counter:batch_labels", world.counter2.pk, batch.pk))
    through_its_counter = client.get(url("counter:batch_labels", world.counter1.pk, batch.pk))
    warehouse_batch = client.get(url("counter:batch_labels", world.counter2.pk, batches["warehouse"].pk))

    assert through_own_counter.status_code == 404
    assert through_its_counter.status_code == 404
    assert warehouse_batch.status_code == 404


def test_merchants_without_counter_access_are_refused(client, world, batches):
    response = login(client, world.alice).get(url("counter:batch_labels", world.counter1.pk, batches["counter1"].pk))

    assert response.status_code in (302, 403)


def test_operators_print_labels_for_any_batch(client, world, batches):
    login(client, world.operator)

    for batch in batches.values():
        assert client.get(url("counter:batch_labels", world.counter1.pk, batch.pk)).status_code == 200


def test_the_label_count_is_bounded(client, world, batches):
    login(client, world.carol)
    batch = batches["counter1"]

    for asked, shown in (("0", 1), ("-3", 1), ("9999", 200), ("abc", 6), ("2", 2)):
        response = client.get(url("counter:batch_labels", world.counter1.pk, batch.pk), {"count": asked})
        assert response.content.decode().count('class="batch-label"') == shown, asked


def test_the_batches_page_lists_the_counters_own_batches(client, world, batches):
    page = login(client, world.carol).get(url("counter:batches", world.counter1.pk)).content.decode()

    assert batches["counter1"].code in page
    assert url("counter:batch_labels", world.counter1.pk, batches["counter1"].pk) in page
    assert batches["counter2"].code not in page and batches["warehouse"].code not in page
    assert login(client, world.dave).get(url("counter:batches", world.counter1.pk)).status_code == 404
