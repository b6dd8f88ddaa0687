"""The aid ledger's institution channel: an organisation's bulk orders are credited (and refunded) as institutional
purchases, apart from the online shop and the counters, in every report that groups by channel."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.aid.export import COLUMNS as EXPORT_COLUMNS
from orders.aid.reconciliation import reconcile
from orders.models import AidChannel, AidLedgerEntry, BulkOrder, Order, OrderLine
from orders.payments.reservation import mark_paid
from orders.payments.services import refund_order
from tests.aid.helpers import order_of, pay
from tests.institutions.bulk_world import gift_shop, submitted

pytestmark = pytest.mark.django_db


def bulk_orders_of(bulk_order: BulkOrder) -> list[Order]:
    return list(Order.objects.filter(bulk_order=bulk_order).order_by("pk"))


def goods(bulk_order: BulkOrder) -> int:
    return sum(OrderLine.objects.filter(order__bulk_order=bulk_order).values_list("line_total", flat=True))


@pytest.fixture
def shop(db):
    return gift_shop()


def test_a_paid_bulk_order_is_credited_as_institutional_purchases(world, shop):
    bulk_order = submitted(world.union, world.ann, 3)
    assert bulk_order.status == BulkOrder.Status.AWAITING_PAYMENT
    for order in bulk_orders_of(bulk_order):
        mark_paid(order)
    shopper_order = pay(order_of((shop.oil, 1)))

    bulk_order.refresh_from_db()
    assert bulk_order.status == BulkOrder.Status.PAID
    entries = AidLedgerEntry.objects.filter(order__bulk_order=bulk_order)
    assert entries.count() == 6  # three parcels of a pack of two products
    assert set(entries.values_list("channel", flat=True)) == {AidChannel.INSTITUTION}
    assert sum(entries.values_list("amount", flat=True)) == goods(bulk_order)
    assert set(AidLedgerEntry.objects.filter(order=shopper_order).values_list("channel", flat=True)) == {
        AidChannel.ONLINE
    }


def test_a_refund_of_a_bulk_order_debits_the_institution_channel(world, shop):
    bulk_order = submitted(world.union, world.ann, 2)
    first, _second = (pay(order) for order in bulk_orders_of(bulk_order))
    line = first.lines.order_by("pk").first()

    refund_order(first, actor=world.operator, reason="职工调离，退一件", lines={line.pk: 1})

    (debit,) = AidLedgerEntry.objects.filter(kind=AidLedgerEntry.Kind.ORDER_REFUND)
    assert (debit.channel, debit.order_id, debit.amount) == (AidChannel.INSTITUTION, first.pk, -line.unit_price)
    institution = AidLedgerEntry.objects.filter(channel=AidChannel.INSTITUTION)
    assert sum(institution.values_list("amount", flat=True)) == goods(bulk_order) - line.unit_price


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_channel_report_export_and_reconciliation_show_institutional_purchases(client, world, shop):
    bulk_order = submitted(world.union, world.ann, 2)
    bulk = [pay(order) for order in bulk_orders_of(bulk_order)]
    refund_order(bulk[0], actor=world.operator, reason="退一件", lines={bulk[0].lines.order_by("pk").first().pk: 1})
    shopper = pay(order_of((shop.oranges, 2)))
    today = timezone.localdate().isoformat()
    institution_net = goods(bulk_order) - bulk[0].lines.order_by("pk").first().unit_price
    online_net = sum(shopper.lines.values_list("line_total", flat=True))
    client.force_login(world.operator)

    response = client.get(
        reverse("aid:report"),
        {"group_by": "channel", "date_from": today, "date_to": today, "certification": "all", "export": "csv"},
    )
    rows = {row[0]: row for row in read_csv(response)[1:]}
    assert rows["Institutional purchase"][3] == f"{institution_net / 100:.2f}"
    assert rows["Online shop"][3] == f"{online_net / 100:.2f}"

    filtered = client.get(
        reverse("aid:report"),
        {"group_by": "month", "date_from": today, "date_to": today, "channel": "institution", "export": "csv"},
    )
    assert read_csv(filtered)[1][3] == f"{institution_net / 100:.2f}"

    export = read_csv(client.get(reverse("aid:export"), {"date_from": today, "date_to": today, "format": "csv"}))
    keys = [key for key, _heading in EXPORT_COLUMNS]  # the file's headings are in the site's language
    channel, row_type, net = keys.index("channel"), keys.index("row_type"), keys.index("net")
    lines = [row for row in export[1:] if row[row_type] == "line"]
    assert {row[channel] for row in lines} == {"online", "institution"}
    channel_totals = {row[channel]: row[net] for row in export[1:] if row[row_type] == "channel_total"}
    assert list(channel_totals) == ["online", "institution"]  # in the order the channels are declared
    assert channel_totals["institution"] == f"{institution_net / 100:.2f}"

    result = reconcile(timezone.localdate(), timezone.localdate())
    assert result.balanced, result.differences
    assert result.credits - result.debits == institution_net + online_net
