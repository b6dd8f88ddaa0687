"""Approving, rejecting, cancelling and expiring a submitted bulk order: who may, what happens to its orders and
units, and that of two decisions at once exactly one wins."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.models import Stock
from orders.institutions.approval import approve, cancel, expire_overdue_bulk_orders, reject
from orders.institutions.lifecycle import BulkOrderError
from orders.institutions.placement import amount_due, submit
from orders.models import BulkOrder, InvoiceRequest, Membership, Order, OrderStatus
from orders.payments.reservation import mark_paid
from tests import factories
from tests.fixtures.races import run_together
from tests.institutions.bulk_world import gift_shop, submitted
from tests.institutions.world import build_world

Status = BulkOrder.Status


def held(variant) -> int:
    return sum(Stock.objects.filter(variant=variant).values_list("allocated", flat=True))


def member(organisation, role: str, username: str):
    user = factories.make_user(username)
    Membership.objects.create(organisation=organisation, user=user, role=role)
    return user


def needing_approval(world, count: int = 20) -> BulkOrder:
    world.union.approval_threshold = 100_000
    world.union.save()
    bulk = submitted(world.union, world.ann, count)
    assert bulk.status == Status.PENDING_APPROVAL
    return bulk


@pytest.mark.django_db
def test_another_approver_approves_and_it_awaits_payment_with_the_units_still_held(world):
    shop = gift_shop()
    cat = member(world.union, Membership.Role.APPROVER, "cat")
    bulk = needing_approval(world)

    approve(bulk, actor=cat)

    bulk.refresh_from_db()
    assert bulk.status == Status.AWAITING_PAYMENT
    assert bulk.approved_by == cat and bulk.approved_at is not None
    assert bulk.changes.last().actor == cat
    assert held(shop.oil) == 20
    assert amount_due(bulk) == bulk.total


@pytest.mark.django_db
def test_the_submitter_may_not_approve_their_own_bulk_order_even_as_an_approver(world):
    gift_shop()
    bulk = needing_approval(world)  # ann is buyer and approver
    with pytest.raises(BulkOrderError, match="another approver"):
        approve(bulk, actor=world.ann)
    with pytest.raises(BulkOrderError, match="another approver"):
        reject(bulk, actor=world.ann, reason="too much")
    bulk.refresh_from_db()
    assert bulk.status == Status.PENDING_APPROVAL


@pytest.mark.django_db
def test_only_approvers_of_that_organisation_or_operators_decide(world):
    gift_shop()
    bulk = needing_approval(world)
    buyer = member(world.union, Membership.Role.BUYER, "dan")
    finance = member(world.union, Membership.Role.FINANCE, "eve")
    other_approver = member(world.bureau, Membership.Role.APPROVER, "fay")
    for outsider in (buyer, finance, other_approver, world.ben, world.shopper):
        with pytest.raises(BulkOrderError, match="Only an approver"):
            approve(bulk, actor=outsider)
    approve(bulk, actor=world.operator)
    bulk.refresh_from_db()
    assert bulk.status == Status.AWAITING_PAYMENT and bulk.approved_by == world.operator
    with pytest.raises(BulkOrderError):
        approve(bulk, actor=world.operator)  # already approved


@pytest.mark.django_db
def test_a_rejection_needs_a_reason_releases_the_units_and_the_buyer_submits_again(world):
    shop = gift_shop()
    cat = member(world.union, Membership.Role.APPROVER, "cat")
    bulk = needing_approval(world)
    number, first_orders = bulk.number, set(Order.objects.filter(bulk_order=bulk).values_list("pk", flat=True))
    with pytest.raises(BulkOrderError, match="reason"):
        reject(bulk, actor=cat, reason="  ")

    reject(bulk, actor=cat, reason="请改为每人一桶油")

    bulk.refresh_from_db()
    assert bulk.status == Status.DRAFT and bulk.number == number
    assert bulk.changes.last().note == "请改为每人一桶油" and bulk.changes.last().actor == cat
    assert set(Order.objects.filter(pk__in=first_orders).values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    assert held(shop.oil) == 0 and held(shop.oranges) == 0

    submit(bulk, actor=world.ann)  # a draft again: fresh orders under the same number
    bulk.refresh_from_db()
    fresh = Order.objects.filter(bulk_order=bulk).exclude(pk__in=first_orders)
    assert bulk.status == Status.PENDING_APPROVAL and bulk.number == number
    assert fresh.count() == 20 and held(shop.oil) == 20
    assert bulk.total == sum(fresh.values_list("total", flat=True))
    approve(bulk, actor=cat)
    assert amount_due(bulk) == bulk.total

    for order in fresh:
        mark_paid(order)
    bulk.refresh_from_db()
    assert bulk.status == Status.PAID  # the cancelled orders of the first submission keep it waiting for nothing
    invoiced = sum(InvoiceRequest.objects.filter(bulk_order=bulk).values_list("amount", flat=True))
    assert invoiced == 20 * 10000  # the goods of the fresh orders only


@pytest.mark.django_db
def test_the_buyer_cancels_an_unpaid_bulk_order_and_its_units_are_released(world):
    shop = gift_shop()
    bulk = submitted(world.union, world.ann, 3)
    assert bulk.status == Status.AWAITING_PAYMENT
    finance = member(world.union, Membership.Role.FINANCE, "eve")
    with pytest.raises(BulkOrderError, match="Only a buyer"):
        cancel(bulk, actor=finance, reason="不要了")
    with pytest.raises(BulkOrderError, match="reason"):
        cancel(bulk, actor=world.ann, reason="")

    cancel(bulk, actor=world.ann, reason="活动取消")

    bulk.refresh_from_db()
    assert bulk.status == Status.CANCELLED
    assert set(Order.objects.filter(bulk_order=bulk).values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    assert held(shop.oil) == 0
    with pytest.raises(BulkOrderError):
        cancel(bulk, actor=world.ann, reason="again")


@pytest.mark.django_db
def test_a_bulk_order_with_an_order_paid_online_is_not_cancelled(world):
    gift_shop()
    bulk = submitted(world.union, world.ann, 2)
    mark_paid(Order.objects.filter(bulk_order=bulk).first())
    with pytest.raises(BulkOrderError, match="already paid"):
        cancel(bulk, actor=world.operator, reason="operator")
    bulk.refresh_from_db()
    assert bulk.status == Status.AWAITING_PAYMENT
    assert Order.objects.filter(bulk_order=bulk, status=OrderStatus.PENDING_PAYMENT).count() == 1


def overdue(bulk: BulkOrder, now) -> None:
    past = now - datetime.timedelta(minutes=1)
    BulkOrder.objects.filter(pk=bulk.pk).update(expires_at=past)
    Order.objects.filter(bulk_order=bulk).update(expires_at=past)


@pytest.mark.django_db
def test_bulk_orders_not_approved_or_paid_in_time_expire_and_release_their_units(world):
    shop = gift_shop()
    world.union.approval_threshold = 100_000
    world.union.save()
    waiting = submitted(world.union, world.ann, 20)  # awaiting approval
    unpaid = submitted(world.union, world.ann, 2)  # awaiting payment
    on_time = submitted(world.union, world.ann, 1)
    partly_paid = submitted(world.union, world.ann, 2)
    mark_paid(Order.objects.filter(bulk_order=partly_paid).first())
    now = timezone.now()
    for bulk in (waiting, unpaid, partly_paid):
        overdue(bulk, now)

    assert expire_overdue_bulk_orders(now) == 3
    assert expire_overdue_bulk_orders(now) == 0

    for bulk in (waiting, unpaid, partly_paid, on_time):
        bulk.refresh_from_db()
    assert (waiting.status, unpaid.status, partly_paid.status) == (Status.EXPIRED,) * 3
    assert on_time.status == Status.AWAITING_PAYMENT
    assert set(Order.objects.filter(bulk_order__in=[waiting, unpaid]).values_list("status", flat=True)) == {
        OrderStatus.EXPIRED
    }
    assert held(shop.oil) == 1  # only the order still on time holds its units
    assert partly_paid.needs_review and not unpaid.needs_review  # its paid part is for an operator to settle
    assert Order.objects.filter(bulk_order=partly_paid, status=OrderStatus.PAID).count() == 1


def test_the_expiry_runs_every_minute_as_a_registered_task():
    from config.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["expire-overdue-bulk-orders"]
    assert entry["task"] in app.tasks and entry["schedule"] <= 60


@pytest.mark.django_db(transaction=True)
def test_of_an_approval_and_a_rejection_at_once_exactly_one_wins():
    world = build_world()
    shop = gift_shop()
    cat = member(world.union, Membership.Role.APPROVER, "cat")
    bulk = needing_approval(world, 12)

    results = run_together(
        lambda: approve(BulkOrder.objects.get(pk=bulk.pk), actor=cat),
        lambda: reject(BulkOrder.objects.get(pk=bulk.pk), actor=world.operator, reason="预算不足"),
    )

    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], BulkOrderError), results
    bulk.refresh_from_db()
    assert bulk.changes.count() == 3  # submitted, its orders placed, then the one decision that won
    statuses = set(Order.objects.filter(bulk_order=bulk).values_list("status", flat=True))
    if bulk.status == Status.AWAITING_PAYMENT:
        assert statuses == {OrderStatus.PENDING_PAYMENT} and held(shop.oil) == 12
    else:
        assert bulk.status == Status.DRAFT
        assert statuses == {OrderStatus.CANCELLED} and held(shop.oil) == 0


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_approve_it_once():
    world = build_world()
    gift_shop()
    cat = member(world.union, Membership.Role.APPROVER, "cat")
    bulk = needing_approval(world, 12)

    results = run_together(
        lambda: approve(BulkOrder.objects.get(pk=bulk.pk), actor=cat),
        lambda: approve(BulkOrder.objects.get(pk=bulk.pk), actor=world.operator),
    )

    assert sum(isinstance(r, BulkOrderError) for r in results) == 1, results
    bulk.refresh_from_db()
    assert bulk.status == Status.AWAITING_PAYMENT
    assert bulk.changes.filter(to_status=Status.AWAITING_PAYMENT).count() == 1
