"""Submitting a bulk order places its orders through checkout and holds their units, all or nothing."""

import datetime

import pytest
from django.utils import timezone

from catalog.models import Stock
from orders.institutions.lifecycle import BulkOrderError
from orders.institutions.placement import submit
from orders.models import BulkOrder, Order, OrderStatus
from tests.fixtures.http import login
from tests.institutions.bulk_world import gift_shop, recipients_draft, submitted
from tests.institutions.world import url

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
    assert [change.to_status for change in bulk.changes.all()] == [BulkOrder.Status.SUBMITTING, bulk.status]
    assert {change.actor for change in bulk.changes.all()} == {world.ann}


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


def test_recipients_of_different_goods_each_get_their_own_priced_order(world):
    import csv
    import io

    from orders.institutions.recipients import upload_recipients
    from tests.institutions.bulk_world import HEADER

    shop = gift_shop()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(1, 7):
        item = ["union-gift", "", "1"] if i % 2 else ["", shop.oil.sku, str(i)]
        writer.writerow([f"职工{i}", f"139{i:08d}", "山东省", "德州市", "德城区", f"天衢路{i}号", *item])
    draft = BulkOrder.objects.create(
        organisation=world.union, created_by=world.ann, delivery=BulkOrder.Delivery.RECIPIENTS
    )
    assert upload_recipients(draft, buffer.getvalue().encode(), filename="r.csv", actor=world.ann).ok

    submit(draft, actor=world.ann)

    orders = Order.objects.filter(bulk_order=draft)
    assert orders.count() == 6
    assert held(shop.oil) == 3 + 2 + 4 + 6 and held(shop.oranges) == 3
    oil_only = orders.get(contact_phone="13900000004")
    assert [(line.variant_id, line.quantity, line.line_total) for line in oil_only.lines.all()] == [
        (shop.oil.pk, 4, 4 * 6800)
    ]


def test_a_price_seen_earlier_in_the_submission_is_checked_again_not_trusted(world, monkeypatch):
    """The fingerprint of the same goods is reused between parcels; when it no longer matches, checkout's fresh
    reading is taken and the parcel placed at the current price, as pricing each parcel afresh would."""
    from orders.institutions import placement

    shop = gift_shop()
    draft = recipients_draft(world.union, world.ann, 3)
    real = placement.cart_summary

    class Stale:
        def __init__(self, cart, **kwargs):
            self.fingerprint = "stale" + real(cart, **kwargs).fingerprint[5:]

    monkeypatch.setattr(placement, "cart_summary", Stale)
    submit(draft, actor=world.ann)

    assert Order.objects.filter(bulk_order=draft).count() == 3
    assert held(shop.oil) == 3


def test_submitting_reads_little_per_order(world, django_assert_max_num_queries):
    """Reads that are the same for every parcel (the site, the priced goods) are not repeated per order."""
    gift_shop()
    draft = recipients_draft(world.union, world.ann, 20)
    with django_assert_max_num_queries(20 * 32 + 40):
        submit(draft, actor=world.ann)
    assert Order.objects.filter(bulk_order=draft).count() == 20


# Long lists: placed by the worker, a chunk at a time ---------------------------------------------------------


@pytest.fixture
def small_chunks(settings, monkeypatch):
    """Lists longer than 5 go to the worker (eager in tests, run at commit), 4 orders per transaction."""
    from orders.institutions import placement

    settings.BULK_ORDER_INLINE_PARCELS = 5
    monkeypatch.setattr(placement, "CHUNK", 4)
    return placement


def test_a_long_list_is_placed_by_the_worker_after_the_submission_commits(
    client, world, small_chunks, django_capture_on_commit_callbacks
):
    shop = gift_shop()
    draft = recipients_draft(world.union, world.ann, 10)
    login(client, world.ann)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert client.post(url("storefront:bulk_submit", draft.pk)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == BulkOrder.Status.SUBMITTING and not Order.objects.exists()
    page = client.get(url("storefront:bulk_detail", draft.pk)).content.decode()
    assert "0 of 10" in page or "0 / 10" in page  # placed so far, of how many (English or Chinese)

    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()

    draft.refresh_from_db()
    assert draft.status == BulkOrder.Status.AWAITING_PAYMENT and draft.placing_token == ""
    assert Order.objects.filter(bulk_order=draft, status=OrderStatus.PENDING_PAYMENT).count() == 10
    assert held(shop.oil) == 10
    assert draft.total == sum(Order.objects.filter(bulk_order=draft).values_list("total", flat=True))


def test_a_parcel_that_cannot_be_placed_in_a_later_chunk_releases_the_earlier_ones(
    client, world, settings, small_chunks
):
    settings.BULK_ORDER_INLINE_PARCELS = 100  # placed in the request, still 4 a transaction
    shop = gift_shop(stock=10)
    draft = recipients_draft(world.union, world.ann, 12)  # chunks of 4, 4, 4: the third runs short
    login(client, world.ann)

    response = client.post(url("storefront:bulk_submit", draft.pk), follow=True)

    draft.refresh_from_db()
    assert draft.status == BulkOrder.Status.DRAFT and draft.submitted_at is None
    assert held(shop.oil) == 0 and held(shop.oranges) == 0
    placed = Order.objects.filter(bulk_order=draft)
    assert placed.count() == 8 and set(placed.values_list("status", flat=True)) == {OrderStatus.CANCELLED}
    reason = draft.changes.order_by("-pk").first().note
    assert "12" in reason  # the 11th recipient (line 12, after the header) found nothing left
    assert reason in response.content.decode()


def test_a_stalled_run_is_taken_over_and_places_everything_once(world, small_chunks, monkeypatch):
    shop = gift_shop()
    draft = recipients_draft(world.union, world.ann, 10)
    submit(draft, actor=world.ann)  # queued for the worker (not run: no commit in this test)
    draft.refresh_from_db()
    token = draft.placing_token
    real_place = small_chunks._place
    calls = {"n": 0}

    def crash_after_one_chunk(parcel, placing):
        calls["n"] += 1
        if calls["n"] > 4:
            raise RuntimeError("worker lost")
        return real_place(parcel, placing)

    monkeypatch.setattr(small_chunks, "_place", crash_after_one_chunk)
    with pytest.raises(RuntimeError):
        small_chunks.place(draft.pk, token)
    assert Order.objects.filter(bulk_order=draft, status=OrderStatus.PENDING_PAYMENT).count() == 4
    monkeypatch.setattr(small_chunks, "_place", real_place)

    assert small_chunks.resume_placements() == 0  # not stalled yet
    BulkOrder.objects.filter(pk=draft.pk).update(updated_at=timezone.now() - datetime.timedelta(minutes=10))
    assert small_chunks.resume_placements() == 1

    draft.refresh_from_db()
    assert draft.status == BulkOrder.Status.AWAITING_PAYMENT
    assert Order.objects.filter(bulk_order=draft, status=OrderStatus.PENDING_PAYMENT).count() == 10
    assert Order.objects.filter(bulk_order=draft, status=OrderStatus.CANCELLED).count() == 4
    assert held(shop.oil) == 10
    assert small_chunks.place(draft.pk, token) is False  # the old run, were it to wake up, places nothing
    assert Order.objects.filter(bulk_order=draft).count() == 14
