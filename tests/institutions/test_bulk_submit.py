"""Submitting a bulk order places its orders through checkout and holds their units, all or nothing."""

import datetime

import pytest
from django.utils import timezone

from catalog.models import Stock
from orders.institutions.lifecycle import BulkOrderError
from orders.institutions.placement import submit
from orders.models import BulkOrder, Order, OrderStatus
from tests.institutions.bulk_world import gift_shop, recipients_draft, submitted

pytestmark = pytest.mark.django_db


def held(variant) -> int:
    return sum(Stock.objects.filter(variant=variant).values_list("allocated", flat=True))


def test_recipients_become_one_order_each_with_units_held_for_days(world, settings):
    settings.BULK_ORDER_RESERVATION_HOURS = 120
    shop = gift_shop()
    bulk = submitted(world.union, world.ann, 30)
    orders = Order.objects.filter(bulk_order=bulk)
    assert orders.count() == 30
    assert set(orders.values_list("status", flat=True)) == {OrderStatus.PENDING_PAYMENT}
    assert held(shop.oil) == 30 and held(shop.oranges) == 30
    assert bulk.total == sum(orders.values_list("total", flat=True))
    first = orders.get(contact_phone="13900000001")
    assert first.street == "天衢路1号"
    assert first.lines.get(variant=shop.oil).line_total + first.lines.get(variant=shop.oranges).line_total == 10000
    assert first.expires_at - timezone.now() > datetime.timedelta(hours=119)
    # The union's threshold is ¥5,000: 30 packs (¥3,000 and shipping) or less go straight to payment.
    assert bulk.status == (
        BulkOrder.Status.AWAITING_PAYMENT if bulk.total <= 500_000 else BulkOrder.Status.PENDING_APPROVAL
    )
    assert bulk.number.startswith("JG")
    assert bulk.changes.get().actor == world.ann


def test_above_the_threshold_it_awaits_an_approver(world):
    gift_shop()
    world.union.approval_threshold = 100_000
    world.union.save()
    bulk = submitted(world.union, world.ann, 20)
    assert bulk.status == BulkOrder.Status.PENDING_APPROVAL


def test_a_recipient_that_cannot_be_served_refuses_the_whole_submission(world):
    shop = gift_shop(stock=10)
    draft = recipients_draft(world.union, world.ann, 12)  # each pack needs one of each; 10 are there
    with pytest.raises(BulkOrderError):
        submit(draft, actor=world.ann)
    draft.refresh_from_db()
    assert draft.status == BulkOrder.Status.DRAFT
    assert not Order.objects.exists()
    assert held(shop.oil) == 0 and held(shop.oranges) == 0


def test_only_a_buyer_submits_and_only_once(world):
    gift_shop()
    draft = recipients_draft(world.union, world.ann, 3)
    with pytest.raises(BulkOrderError):
        submit(draft, actor=world.ben)
    submit(draft, actor=world.ann)
    with pytest.raises(BulkOrderError):
        submit(draft, actor=world.ann)
    assert Order.objects.count() == 3
