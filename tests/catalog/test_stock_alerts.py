"""Back-in-stock alerts (``catalog.alerts``): a shopper waits for a sold-out option online or at one counter, and is
told once, through the outbox, when it is back there; not when it comes back elsewhere, never on a sale."""

import re

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from catalog import alerts, tasks
from catalog.alerts import AlertError, InStock, notify_restocked, subscribe, unsubscribe
from catalog.models import Location, StockAlert, StockMovement
from catalog.services import StockChange, apply_stock_changes, receive_stock, transfer_stock
from tests import factories
from tests.fixtures.races import errors_in, run_together
from tests.fixtures.tencent_sms import TEMPLATES
from worker.models import Notification

PHONE = "13812345678"


@pytest.fixture
def variant(db):
    return factories.make_product(name="秀山土蜂蜜", name_en="Xiushan honey").variants.get()


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """Run what a block registers for after its commit (the alerts' task runs eagerly in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def receive(variant, location, quantity: int = 5) -> None:
    receive_stock(variant=variant, location=location, quantity=quantity, actor=None, reason="入库")


def sell(variant, location, quantity: int) -> None:
    apply_stock_changes(
        [StockChange(variant, location, -quantity)], kind=StockMovement.Kind.SALE, actor=None, reason="售出"
    )


def wait(variant, counter=None, *, channel="sms", contact=PHONE, language="zh-hans") -> StockAlert:
    return subscribe(variant=variant, counter=counter, channel=channel, contact=contact, language=language)


def told() -> list[tuple[str, str, str, dict]]:
    return [
        (n.channel, n.template, n.recipient, n.payload)
        for n in Notification.objects.filter(key__startswith="stock-alert-")
    ]


# --- subscribing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["13812345678", "+86 138-1234-5678", " 138 1234 5678 "])
def test_a_mainland_mobile_number_is_kept_as_eleven_digits(variant, number):
    assert wait(variant, contact=number).contact == PHONE


@pytest.mark.parametrize(
    ("channel", "contact", "message"),
    [
        ("sms", "0534-2220000", "Enter a mainland China mobile number (11 digits, starting with 1)."),
        ("sms", "12812345678", "Enter a mainland China mobile number (11 digits, starting with 1)."),
        ("email", "not-an-address", "Enter a valid e-mail address."),
        ("email", "", "Enter a valid e-mail address."),
        ("fax", PHONE, "Choose how to be told: text message or e-mail."),
    ],
)
def test_a_contact_that_does_not_fit_its_channel_is_refused(variant, channel, contact, message):
    with pytest.raises(AlertError, match=re.escape(message)):
        wait(variant, channel=channel, contact=contact)
    assert not StockAlert.objects.exists()


def test_an_e_mail_address_is_kept_in_lower_case(variant):
    assert wait(variant, channel="email", contact=" Li.Na@Example.COM ").contact == "li.na@example.com"


def test_in_stock_online_the_shopper_is_told_to_order_now(variant, warehouse, counter):
    receive(variant, warehouse)
    with pytest.raises(InStock, match=re.escape("It is in stock online: order it now.")):
        wait(variant)
    assert wait(variant, counter).location == counter  # none at the counter: one may wait there


def test_in_stock_at_the_counter_the_shopper_is_told_to_order_now(variant, counter):
    receive(variant, counter)
    with pytest.raises(InStock, match=re.escape("It is in stock at this counter: order it now.")):
        wait(variant, counter)
    assert wait(variant).location is None  # none online: one may wait for delivery


def test_allocated_units_are_not_free(variant, warehouse):
    receive(variant, warehouse, 2)
    apply_stock_changes(
        [StockChange(variant, warehouse, 0, allocated_change=2)],
        kind=StockMovement.Kind.ALLOCATE,
        actor=None,
        reason="x",
    )
    assert wait(variant).location is None


def test_only_an_active_counter_or_online_can_be_chosen(variant, warehouse):
    closed = factories.make_location(is_active=False)
    for place in (warehouse, closed):
        with pytest.raises(AlertError, match=re.escape("Choose one of our sales counters, or online.")):
            wait(variant, place)


def test_an_item_not_on_sale_cannot_be_waited_for(db):
    hidden = factories.make_product(published=False).variants.get()
    retired = factories.make_product().variants.get()
    retired.is_active = False
    retired.save()
    for variant in (hidden, retired):
        with pytest.raises(AlertError, match=re.escape("This item is not on sale.")):
            wait(variant)


def test_the_same_wish_twice_is_one_alert_and_another_place_is_another(variant, counter):
    first = wait(variant)
    assert wait(variant, contact="+86 13812345678") == first
    assert wait(variant, counter) != first
    assert StockAlert.objects.count() == 2


def test_a_contact_waits_for_at_most_twenty_items(variant, counter):
    for _ in range(alerts.MAX_PENDING_PER_CONTACT):
        wait(factories.make_product().variants.get())
    with pytest.raises(AlertError, match=re.escape("You are already waiting for 20 items")):
        wait(variant)
    assert wait(variant, contact="13900000000").contact == "13900000000"  # others are not limited by it


def test_an_unknown_language_falls_back_to_the_site_language(variant):
    assert wait(variant, language="fr").language == "zh-hans"
    assert wait(variant, counter=None, contact="13900000000", language="en").language == "en"


# --- being told --------------------------------------------------------------------------------------------------


def test_told_once_when_it_is_back_at_the_chosen_counter_and_not_when_it_is_back_elsewhere(
    variant, warehouse, counter, run_commits
):
    other = factories.make_location(name="武城专柜")
    alert = wait(variant, counter)

    with run_commits():
        receive(variant, other)
        receive(variant, warehouse)
    assert told() == []

    with run_commits():
        receive(variant, counter, 3)
    alert.refresh_from_db()
    assert alert.notified_at is not None
    assert told() == [
        ("sms", "stock_back_counter", PHONE, {"product": "秀山土蜂蜜 规格0", "counter": counter.name}),
    ]

    with run_commits():  # sold out there again and back again: the alert was used up
        sell(variant, counter, 3)
        receive(variant, counter, 3)
    assert len(told()) == 1


def test_an_online_alert_is_told_when_a_warehouse_receives_not_a_counter(variant, warehouse, counter, run_commits):
    alert = wait(variant, channel="email", contact="li@example.com", language="en")
    with run_commits():
        receive(variant, counter)
    assert told() == []

    with run_commits():
        receive(variant, warehouse)

    ((channel, template, recipient, payload),) = told()
    assert (channel, template, recipient) == ("email", "stock_back", "li@example.com")
    assert payload["product"] == "Xiushan honey 规格0"  # in the shopper's language
    assert payload["product_url"].endswith(f"/en/products/{variant.product.slug}/")
    assert payload["counter"] is None
    (message,) = mail.outbox  # delivered through the outbox after the commit
    assert message.subject == "Xiushan honey 规格0 is back in stock"
    assert payload["product_url"] in message.body
    alert.refresh_from_db()
    assert alert.notified_at is not None


def test_a_text_message_goes_through_the_provider_without_a_link(variant, counter, tencent_sms, run_commits):
    wait(variant, counter)
    with run_commits():
        receive(variant, counter)
    (sms,) = tencent_sms.sent
    assert sms.phone == f"+86{PHONE}"
    assert sms.template_id == TEMPLATES["stock_back_counter"][0]
    assert sms.params == ["秀山土蜂蜜 规格0", counter.name]
    assert not any("http" in param for param in sms.params)


def test_a_release_of_a_reservation_tells_those_waiting(variant, warehouse, run_commits):
    receive(variant, warehouse, 2)
    apply_stock_changes(
        [StockChange(variant, warehouse, 0, allocated_change=2)],
        kind=StockMovement.Kind.ALLOCATE,
        actor=None,
        reason="x",
    )
    wait(variant)
    with run_commits():  # an unpaid order expires: its units are free again
        apply_stock_changes(
            [StockChange(variant, warehouse, 0, allocated_change=-2)],
            kind=StockMovement.Kind.RELEASE,
            actor=None,
            reason="expired",
        )
    assert [template for _c, template, _r, _p in told()] == ["stock_back_online"]


def test_a_transfer_to_the_chosen_counter_tells_those_waiting_there(variant, warehouse, counter, run_commits):
    receive(variant, warehouse, 5)
    wait(variant, counter)
    with run_commits():
        transfer_stock(variant=variant, source=warehouse, destination=counter, quantity=2, actor=None, reason="调拨")
    assert [template for _c, template, _r, _p in told()] == ["stock_back_counter"]


def test_sales_and_receipts_where_there_was_stock_never_look_at_alerts(
    variant, warehouse, counter, monkeypatch, run_commits
):
    published = []
    monkeypatch.setattr(alerts, "publish", published.append)
    receive(variant, warehouse, 5)
    wait(variant, counter)
    published.clear()

    with run_commits():
        sell(variant, warehouse, 2)  # a sale: free units go down
        receive(variant, warehouse, 5)  # more where there were some: nobody waits for it there
        sell(variant, warehouse, 8)  # sold out
    assert published == []

    with run_commits():
        receive(variant, warehouse, 1)
        receive(variant, counter, 1)
    assert published == [[variant.pk]]  # one check for the whole transaction


def test_a_sale_does_not_tell_anyone(variant, warehouse, counter, run_commits):
    wait(variant, counter)
    receive(variant, warehouse, 5)
    with run_commits():
        sell(variant, warehouse, 5)
    assert told() == []
    assert StockAlert.objects.get().notified_at is None


def test_with_the_broker_down_those_waiting_are_told_all_the_same(variant, warehouse, monkeypatch, run_commits):
    def refuse(*args, **kwargs):
        raise OperationalError("broker down")

    monkeypatch.setattr(tasks.notify_restocked_task, "apply_async", refuse)
    wait(variant)
    with run_commits():
        receive(variant, warehouse)
    assert [template for _c, template, _r, _p in told()] == ["stock_back_online"]


def test_the_sweep_tells_alerts_made_ready_by_a_counter_opened_again(variant, counter, run_commits):
    alert = wait(variant, counter)
    Location.objects.filter(pk=counter.pk).update(is_active=False)  # closed for a while
    with run_commits():
        receive(variant, counter, 1)  # goods arrive at the closed counter: not on sale there
    assert told() == []
    Location.objects.filter(pk=counter.pk).update(is_active=True)  # open again: no stock change to see
    with run_commits():
        assert tasks.sweep_stock_alerts() == 1
    alert.refresh_from_db()
    assert alert.notified_at is not None
    assert len(told()) == 1


def test_telling_again_adds_nothing(variant, warehouse, run_commits):
    wait(variant)
    with run_commits():
        receive(variant, warehouse)
    assert notify_restocked([variant.pk]) == 0
    assert notify_restocked() == 0
    assert len(told()) == 1


# --- unsubscribing -----------------------------------------------------------------------------------------------


def test_an_unsubscribed_shopper_is_not_told(variant, warehouse, run_commits):
    alert = wait(variant)
    assert unsubscribe(alert.token) is True
    assert unsubscribe(alert.token) is False
    assert unsubscribe("no-such-token") is False
    assert unsubscribe("") is False
    with run_commits():
        receive(variant, warehouse)
    assert told() == []


def test_a_told_alert_stays_on_record(variant, warehouse, run_commits):
    alert = wait(variant)
    with run_commits():
        receive(variant, warehouse)
    assert unsubscribe(alert.token) is False
    assert StockAlert.objects.filter(pk=alert.pk, notified_at__isnull=False).exists()


# --- the race ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_workers_racing_tell_each_shopper_once(warehouse, monkeypatch):
    variant = factories.make_product().variants.get()
    monkeypatch.setattr(alerts, "publish", lambda variant_ids: None)  # the workers below do it
    monkeypatch.setattr(alerts, "CLAIM_BATCH", 3)  # several batches each
    waiting = [wait(variant, contact=f"139{n:08d}") for n in range(12)]
    receive(variant, warehouse, 5)

    results = run_together(lambda: notify_restocked([variant.pk]), n=4)

    assert errors_in(results) == []
    assert sum(results) == len(waiting)
    notifications = Notification.objects.filter(key__startswith="stock-alert-")
    assert sorted(notifications.values_list("recipient", flat=True)) == sorted(a.contact for a in waiting)
    assert not StockAlert.objects.filter(notified_at__isnull=True).exists()
