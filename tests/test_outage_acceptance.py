"""Issue 13 acceptance: Redis stopped and restarted while shoppers browse, check out and Stripe pays.

Real parts on loopback: a ``redis-server`` this test starts, stops and starts again (no persistence: what was
queued in it is gone after the restart), a real ``celery -A worker worker`` on it that stays up throughout, and
a counter's own system receiving its signed webhooks. The beat is played by the test: it publishes the
sweepers' messages to the broker, as ``celery beat`` would, until the shop has caught up.

Accepted when: no page answers 5xx (the fail-closed checkout limiter's 503 "try again shortly" is by design),
every paid order is applied after recovery, every notification those payments owe is delivered exactly once,
and ``reconcile_ledger`` exits 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from cms.models import HomePage, StoryIndexPage
from config.celery import app
from orders.models import AidLedgerEntry, Order, OrderStatus, Payment, StripeEvent
from tests import factories
from tests.cms.helpers import make_story
from tests.payments.helpers import intent_event, post_event, stripe_payment
from tests.storefront.shop import checkout_data, guest_cart, make_counter, stocked_variant
from tests.worker import conftest as worker_setup
from tests.worker.helpers import set_app_conf, use_broker, wait_until
from tests.worker.receiver import Receiver
from worker.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def queued_tasks(url: str) -> int:
    """Tasks waiting in the broker's default queue, at every priority (kombu keeps one list per step)."""
    client = redis.Redis.from_url(url)
    return sum(client.llen(name) for name in ["celery", *(f"celery\x06\x16{step}" for step in (3, 6, 9))])


ROOT = Path(__file__).resolve().parents[1]
CHECKOUT = "/en/checkout/"
RETRY_AFTER = 1.0  # seconds the cache leaves a failed Redis alone (5 in production): keeps the run short
MERCHANT_EMAIL = "coop@example.com"
# What `celery beat` publishes for the recovery (settings.CELERY_BEAT_SCHEDULE): stored Stripe events, the outbox.
RECOVERY_BEAT = ("sweep-stripe-events", "sweep-outbox")


@pytest.fixture
def on_redis(redis_server, settings, transactional_db):
    """Cache, rate limiter, page cache and Celery broker of this process on the test's Redis, as in production."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": RETRY_AFTER},
        }
    }
    settings.REDIS_URL = redis_server.url
    settings.CELERY_BROKER_URL = redis_server.url
    settings.PAGE_CACHE_SECONDS = 300
    for name, value in worker_setup.FAST.items():
        setattr(settings, name, value)
    use_broker(redis_server.url)
    yield redis_server
    set_app_conf(task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER, broker_url=settings.CELERY_BROKER_URL)


class Worker(worker_setup.WorkerProcess):
    """The outbox tests' worker process, with ``freeze``/``thaw`` (SIGSTOP/SIGCONT of its process group)."""

    def freeze(self) -> None:
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGCONT)


@pytest.fixture
def worker(on_redis, tmp_path, monkeypatch):
    """A real `celery worker` on the test's Redis and database (its settings from the environment)."""
    monkeypatch.setattr(worker_setup, "BROKER_URL", on_redis.url)
    monkeypatch.setenv("CACHE_RETRY_AFTER", str(RETRY_AFTER))
    process = Worker(tmp_path)
    process.start()
    yield process
    if process.proc.poll() is None:
        process.kill()  # nothing is left in flight: no warm shutdown to wait for


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def shop(warehouse, receiver):
    """Tea oil at the warehouse and at a counter whose own system takes webhooks; public pages around it."""
    counter = make_counter(name="德百专柜", code="dz-debai", webhook_url=receiver.url)
    merchant = factories.make_merchant("秀山山茶油合作社", contact_email=MERCHANT_EMAIL)
    oil = stocked_variant((warehouse, 50), (counter, 30), price=6800, name="秀山野生山茶油", merchant=merchant)
    home = HomePage.objects.get(depth=2, locale__language_code="zh-hans")
    index = StoryIndexPage(title="商户故事", slug="stories", show_in_menus=True)
    home.add_child(instance=index)
    index.save_revision().publish()
    story = make_story(index, title="山茶油的故事", slug="camellia")
    pages = {
        "home": "/",
        "home (en)": "/en/",
        "product list": "/en/products/",
        "product search": "/en/products/?q=山茶油",
        "product page": f"/en/products/{oil.product.slug}/",
        "merchant page": f"/en/merchants/{merchant.slug}/",
        "stories": index.url,
        "story": story.url,
        "suggestions": "/en/search/suggest/?q=山茶",
        "cart": "/cart/",
        "sitemap": "/sitemap.xml",
        "healthz": "/healthz",
    }
    return {"counter": counter, "oil": oil, "pages": pages}


class Visits:
    """Every response the visitors got: (phase, what, status)."""

    def __init__(self):
        self.seen: list[tuple[str, str, int]] = []

    def get(self, phase: str, what: str, path: str, client: Client | None = None):
        response = (client or Client(raise_request_exception=False)).get(path)
        self.seen.append((phase, what, response.status_code))
        return response

    def browse(self, phase: str, pages: dict[str, str]) -> dict[str, tuple[int, str | None]]:
        """Each page from a fresh anonymous visitor: status and X-Page-Cache."""
        return {
            name: (response.status_code, response.get("X-Page-Cache"))
            for name, path in pages.items()
            for response in [self.get(phase, name, path)]
        }

    def server_errors(self) -> list[tuple[str, str, int]]:
        return [visit for visit in self.seen if visit[2] >= 500]


def open_checkout(visits: Visits, phase: str, oil, **fields) -> tuple[Client, dict[str, str]]:
    """A new shopper with one bottle in the cart, on the checkout page; the form they would send."""
    client = Client(raise_request_exception=False)
    guest_cart(client, (oil, 1))
    page = visits.get(phase, "checkout page", CHECKOUT, client)
    assert page.status_code == 200, page.content.decode()[:500]
    return client, checkout_data(page.context, **fields)


def place(visits: Visits, phase: str, oil, **fields) -> Order:
    client, form = open_checkout(visits, phase, oil, **fields)
    response = client.post(CHECKOUT, form)
    visits.seen.append((phase, "checkout", response.status_code))
    assert response.status_code == 302, response.content.decode()[:500]
    order = Order.objects.get(token=response["Location"].split("/orders/")[1].split("/")[0])  # on to its pay page
    visits.get(phase, "order status", f"/en/orders/{order.token}/", client)
    return order


def pay(order: Order, intent_id: str):
    """Stripe tells the webhook (signed with the test endpoint secret) that the order's intent succeeded."""
    return post_event(Client(raise_request_exception=False), intent_event(order, intent_id=intent_id))


def owed_notifications(order: Order) -> set[tuple[str, str, str, str]]:
    """(order, channel, template, recipient) of every message a paid order owes, from the order itself."""
    owed = {
        (order.number, Notification.Channel.EMAIL, "order_paid", order.contact_email),
        (order.number, Notification.Channel.SMS, "order_paid", order.contact_phone),
    }
    for fulfilment in order.fulfilments.select_related("location"):
        if fulfilment.method == "pickup":
            owed.add((order.number, Notification.Channel.COUNTER, "counter_prepare", ""))
            owed.add((order.number, Notification.Channel.WEBHOOK, "counter_prepare", fulfilment.location.webhook_url))
        else:
            owed.add((order.number, Notification.Channel.EMAIL, "merchant_ship", MERCHANT_EMAIL))
    return owed


def outbox() -> set[tuple[str, str, str, str]]:
    return {(n.payload.get("order_number", ""), n.channel, n.template, n.recipient) for n in Notification.objects.all()}


def run_beat() -> None:
    for name in RECOVERY_BEAT:
        app.send_task(settings.CELERY_BEAT_SCHEDULE[name]["task"])


def reconcile_ledger_exit_status() -> tuple[int, str]:
    """``manage.py reconcile_ledger`` as an operator runs it, on this test's database."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["DATABASE_URL"] = worker_setup.test_database_url()
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "reconcile_ledger"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stdout + done.stderr


def test_redis_stopped_and_restarted_while_browsing_checking_out_and_paying_loses_nothing(
    redis_server, worker, receiver, shop
):
    oil, counter, pages = shop["oil"], shop["counter"], shop["pages"]
    visits = Visits()
    started = time.monotonic()

    # --- Redis up: browsing warms the page cache; four shoppers place orders; one is paid and delivered.
    visits.browse("up", pages)  # the first visit creates the site's settings rows, which moves the cache on
    visits.browse("up", pages)
    assert visits.browse("up", pages)["product page"] == (200, "hit")
    paid_up = place(visits, "up", oil, method="pickup", pickup_location=str(counter.pk))
    paid_queued = place(visits, "up", oil)
    paid_down = place(visits, "up", oil, method="pickup", pickup_location=str(counter.pk))
    unpaid = place(visits, "up", oil)
    for order in (paid_up, paid_queued, paid_down):
        stripe_payment(order, intent_id=f"pi_{order.number}")

    assert pay(paid_up, f"pi_{paid_up.number}").status_code == 200

    def delivered_up() -> bool:
        delivered = Notification.objects.filter(status=Notification.Status.DELIVERED)
        return outbox() == owed_notifications(paid_up) and delivered.count() == Notification.objects.count()

    assert wait_until(delivered_up, 15), worker.logs()[-5000:]
    assert receiver.wait_for(1, timeout=1)

    # The worker is busy elsewhere (frozen) when the next payment arrives: its task waits in Redis.
    worker.freeze()
    time.sleep(1.5)  # the frozen consumer's pending BRPOP (1 s) has timed out: it takes nothing more
    assert pay(paid_queued, f"pi_{paid_queued.number}").status_code == 200
    assert queued_tasks(redis_server.url) >= 1, "the payment's task was not left queued"

    # --- Redis stops (what was queued in it is gone); the worker carries on without a broker.
    redis_server.stop()
    worker.thaw()
    outage_started = time.monotonic()

    webhook = pay(paid_down, f"pi_{paid_down.number}")
    assert (webhook.status_code, webhook.json()) == (200, {"received": True, "replay": False})
    retried = pay(paid_down, f"pi_{paid_down.number}")  # Stripe retries when an answer is slow: a replay
    assert (retried.status_code, retried.json()) == (200, {"received": True, "replay": True})
    assert StripeEvent.objects.get(id=f"evt_payment_intent.succeeded_pi_{paid_down.number}").processed_at is None

    for _round in range(3):
        down = visits.browse("down", pages)
        assert {name: status for name, (status, _hit) in down.items()} == dict.fromkeys(pages, 200)
        assert all(hit != "hit" for _status, hit in down.values())
    for order in (paid_up, paid_queued, paid_down, unpaid):
        assert visits.get("down", "order status", f"/en/orders/{order.token}/").status_code == 200

    shopper, form = open_checkout(visits, "down", oil)  # the cart and checkout pages still render
    orders_before = Order.objects.count()
    refused = shopper.post(CHECKOUT, form)
    assert refused.status_code == 503, "checkout during the outage neither placed the order nor said it cannot"
    assert "Please try again shortly." in refused.content.decode()
    assert refused["Retry-After"]
    assert Order.objects.count() == orders_before
    readyz = Client().get("/readyz")  # the readiness probe takes this instance out of rotation, by design
    assert readyz.status_code == 503 and readyz.json()["checks"]["redis"].startswith("down: ")
    outage_seconds = time.monotonic() - outage_started

    # --- Redis is back, empty: the beat's sweepers and the worker make good what the outage left.
    redis_server.start()
    recovery_started = time.monotonic()
    paid = [paid_up, paid_queued, paid_down]
    owed = set().union(*(owed_notifications(order) for order in paid))
    webhooks_owed = {notification for notification in owed if notification[1] == Notification.Channel.WEBHOOK}

    def caught_up() -> bool:
        run_beat()
        visits.browse("recovering", pages)
        applied = Order.objects.filter(pk__in=[o.pk for o in paid], status=OrderStatus.PAID).count() == len(paid)
        undelivered = Notification.objects.exclude(status=Notification.Status.DELIVERED).exists()
        return applied and outbox() == owed and not undelivered and len(receiver.requests) >= len(webhooks_owed)

    assert wait_until(caught_up, 40, interval=0.5), (
        f"not caught up: orders {list(Order.objects.values_list('number', 'status'))}, "
        f"outbox {list(Notification.objects.values_list('key', 'status'))}\n{worker.logs()[-5000:]}"
    )
    recovery_seconds = time.monotonic() - recovery_started

    # Every paid order is applied once: paid, its payment and Stripe event recorded, its aid credited.
    for order in paid:
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID and order.paid_at is not None
        assert order.events.filter(to_status=OrderStatus.PAID).count() == 1
        payment = order.payments.get()
        assert (payment.status, payment.amount) == (Payment.Status.SUCCEEDED, order.total)
        credits = AidLedgerEntry.objects.filter(order=order, kind=AidLedgerEntry.Kind.ORDER_PAID)
        assert sorted(credits.values_list("order_line_id", "amount")) == sorted(
            order.lines.values_list("pk", "line_total")
        )
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()
    assert not StripeEvent.objects.exclude(error="").exists()
    unpaid.refresh_from_db()
    assert unpaid.status == OrderStatus.PENDING_PAYMENT
    assert not AidLedgerEntry.objects.filter(order=unpaid).exists()

    # No notification lost, none sent twice: exactly those owed, each delivered by one attempt.
    assert outbox() == owed
    assert Notification.objects.count() == len(owed) == 11  # two pickups: 4 each; a delivery: 3
    for notification in Notification.objects.exclude(channel=Notification.Channel.COUNTER):
        assert list(notification.attempt_log.values_list("outcome", flat=True)) == ["delivered"], notification.key
    time.sleep(0.5)  # a second post of a webhook would show now
    webhook_keys = sorted(request.headers["Idempotency-Key"] for request in receiver.requests)
    assert webhook_keys == sorted(
        Notification.objects.filter(channel=Notification.Channel.WEBHOOK).values_list("key", flat=True)
    )
    assert len(webhook_keys) == len(webhooks_owed)

    # Browsing never met a server error; the page cache and the checkout limiter are back with Redis.
    time.sleep(RETRY_AFTER)
    visits.browse("recovered", pages)
    back = visits.browse("recovered", pages)
    assert back["product page"] == (200, "hit") and back["story"] == (200, "hit")
    assert visits.server_errors() == []
    assert place(visits, "recovered", oil).status == OrderStatus.PENDING_PAYMENT
    assert Client().get("/readyz").status_code == 200

    # The aid ledger matches the money.
    out = StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert "balanced" in out.getvalue()
    status, output = reconcile_ledger_exit_status()
    assert status == 0, output
    assert "balanced" in output

    assert outage_seconds < 20 and recovery_seconds < 30 and time.monotonic() - started < 60
