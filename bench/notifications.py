"""Notification latency: orders paid through the Stripe webhook, delivered to a counter's system.

``setup`` (in-process, bench settings) places ``count`` pickup orders at one counter whose webhook
points at ``receiver_url``. ``measure`` signs one ``payment_intent.succeeded`` event per order, posts
them to the running site (at ``rate`` a second, or all at once when ``rate`` is None: a burst), and
times each from the webhook's 200 to the counter's receiver getting the correctly signed
``counter_prepare`` message (processed by a real Celery worker on Redis). ``drain`` measures the
worker alone: the events are queued while no worker runs, then one starts and empties the queue.

``python -m bench.notifications burst [count]`` runs both on their own (a few minutes, not the whole
``make bench``): a fresh database from BENCH_DATABASE_URL (with a small scaled catalogue; kept as a
template ``<name>_template`` for the next run), gunicorn, and ``celery -A worker worker --concurrency 2``.
"""

import hashlib
import hmac
import json
import os
import secrets
import statistics
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import django


def setup(count: int, receiver_url: str) -> dict:
    from catalog.models import Location, Stock
    from catalog.services import receive_stock
    from orders.availability import sellable_variants
    from orders.cart import add_to_cart
    from orders.checkout import Contact, Delivery, cart_summary, new_checkout_token, place_order
    from orders.models import Cart, Payment, PaymentProvider

    counter = Location.objects.filter(kind=Location.Kind.COUNTER, is_active=True).order_by("pk").first()
    counter.webhook_url = receiver_url
    counter.save(update_fields=["webhook_url"])
    stock = (
        Stock.objects.filter(location=counter, variant__in=sellable_variants())
        .filter(variant__product__slug__regex=r"-b[0-9]+$")
        .order_by("pk")
        .first()
    )
    receive_stock(variant=stock.variant, location=counter, quantity=count, actor=None, reason="notification bench")
    orders = []
    for n in range(count):
        cart = Cart.objects.create()
        add_to_cart(cart, stock.variant_id, 1)
        order = place_order(
            cart=cart,
            contact=Contact(name="测试顾客", phone="13800000000", email=f"bench-{n}@example.com"),
            delivery=Delivery(method="pickup", pickup_location=counter.pk),
            checkout_token=new_checkout_token(),
            expected_fingerprint=cart_summary(cart).fingerprint,
        )
        # The intent the pay page would have created (``start_payment``): the webhook finds its payment row.
        Payment.objects.create(
            order=order,
            provider=PaymentProvider.STRIPE,
            intent_id=f"pi_bench_{n}",
            attempt=1,
            amount=order.total,
            currency=order.currency,
        )
        orders.append({"number": order.number, "total": order.total})
    return {"secret": counter.webhook_secret, "orders": orders}


class Receiver(ThreadingHTTPServer):
    """The counter's system: verifies each signature and notes when each order's message arrived."""

    def __init__(self, secret: str = ""):
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.secret = secret
        self.arrived: dict[str, float] = {}
        self.keys: dict[str, int] = {}
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_address[1]}/dexiu"


class ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        now = time.perf_counter()
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server: Receiver = self.server
        expected = hmac.new(
            server.secret.encode(), f"{self.headers['X-Dexiu-Timestamp']}.".encode() + body, hashlib.sha256
        ).hexdigest()
        with server.lock:
            if not hmac.compare_digest(f"sha256={expected}", self.headers.get("X-Dexiu-Signature", "")):
                server.bad_signatures += 1
            else:
                message = json.loads(body)
                key = self.headers["Idempotency-Key"]
                server.keys[key] = server.keys.get(key, 0) + 1
                if message["event"] == "counter_prepare":
                    server.arrived.setdefault(message["data"]["order_number"], now)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _signed_event(n: int, order: dict, secret: str) -> tuple[bytes, str]:
    intent = {
        "id": f"pi_bench_{n}",
        "object": "payment_intent",
        "amount": order["total"],
        "amount_received": order["total"],
        "currency": "cny",
        "status": "succeeded",
        "payment_method_types": ["card"],
        "metadata": {"order_number": order["number"]},
    }
    event = {"id": f"evt_bench_{n}", "object": "event", "type": "payment_intent.succeeded", "data": {"object": intent}}
    payload = json.dumps(event)
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload.encode(), f"t={timestamp},v1={signature}"


def post_events(
    base: str, orders: list[dict], stripe_secret: str, *, rate: float | None, first: int = 0
) -> tuple[dict, list]:
    """Post one signed event per order at ``rate`` a second (all at once if None); when each was accepted.

    Events are numbered from ``first`` (their ids must differ from one call to the next)."""
    accepted: dict[str, float] = {}
    failures = []
    start = time.perf_counter()

    def post(item: tuple[int, dict]) -> None:
        n, order = item
        if rate:
            time.sleep(max(0.0, start + (n - first) / rate - time.perf_counter()))
        body, header = _signed_event(n, order, stripe_secret)
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{base}/stripe/webhook/",
            data=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            if response.status == 200:
                accepted[order["number"]] = time.perf_counter()
            else:
                failures.append(response.status)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(post, enumerate(orders, start=first)))
    return accepted, failures


def _wait_for(receiver: Receiver, orders: list[dict], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(receiver.arrived) < len(orders):
        time.sleep(0.05)


def measure(
    base: str, orders: list[dict], stripe_secret: str, receiver: Receiver, *, rate: float | None, timeout: float = 120
) -> dict:
    """Post the events at ``rate`` per second (a burst if None), then wait for every counter message."""
    first_post = time.perf_counter()
    accepted, failures = post_events(base, orders, stripe_secret, rate=rate)
    _wait_for(receiver, orders, timeout)
    latencies = sorted((receiver.arrived[n] - accepted[n]) * 1000 for n in accepted if n in receiver.arrived)
    last = max((receiver.arrived[n] for n in accepted if n in receiver.arrived), default=first_post)
    return {
        "orders": len(orders),
        "webhooks_per_second": rate or "burst",
        "posting_seconds": round(max(accepted.values(), default=first_post) - first_post, 2),
        "orders_per_second": round(len(latencies) / (last - first_post), 1) if latencies else None,
        "webhooks_accepted": len(accepted),
        "webhook_failures": len(failures),
        "delivered": len(latencies),
        "lost": len(orders) - len(latencies),
        "bad_signatures": receiver.bad_signatures,
        "duplicate_deliveries": sum(count - 1 for count in receiver.keys.values()),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
    }


def drain(
    orders: list[dict], receiver: Receiver, started: float, database_url: str, redis_url: str, timeout: float = 120
) -> dict:
    """The worker alone: every event was queued before it started at ``started``; how fast it paid them all (the
    counters' messages), how long until every message of theirs was delivered (e-mails included), and until every
    task queued was done (the events' own tasks, most finding their payment applied by a batch)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(o["number"] not in receiver.arrived for o in orders):
        time.sleep(0.05)
    arrived = [receiver.arrived[o["number"]] for o in orders if o["number"] in receiver.arrived]
    seconds = max(arrived, default=started) - started
    everything = wait_until_all_sent(database_url, timeout) - started
    tasks_done = wait_until_queue_empty(redis_url, timeout) - started
    return {
        "orders": len(orders),
        "delivered": len(arrived),
        "lost": len(orders) - len(arrived),
        "seconds": round(seconds, 2),
        "orders_per_second": round(len(arrived) / seconds, 1) if arrived and seconds > 0 else None,
        "all_messages_seconds": round(everything, 2),
        "orders_per_second_all_messages": round(len(arrived) / everything, 1) if arrived and everything > 0 else None,
        "all_tasks_seconds": round(tasks_done, 2),
        "orders_per_second_all_tasks": round(len(arrived) / tasks_done, 1) if arrived and tasks_done > 0 else None,
    }


def wait_until_queue_empty(redis_url: str, timeout: float = 120) -> float:
    """When the broker held no task (queued, in any priority's list, or taken and not acknowledged)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while True:
        now = time.perf_counter()
        queues = [key for key in client.scan_iter(match="celery*") if client.type(key) == b"list"]
        if not sum(client.llen(key) for key in queues) + client.hlen("unacked"):
            return now
        if time.monotonic() > deadline:
            raise RuntimeError(f"tasks still queued after {timeout} s")
        time.sleep(0.02)


def wait_until_all_sent(database_url: str, timeout: float = 120) -> float:
    """When no notification was left to send (pending or being sent), polling the database; raises past timeout."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        while True:
            now = time.perf_counter()
            waiting = conn.execute(
                "SELECT count(*) FROM worker_notification WHERE status IN ('pending', 'sending')"
            ).fetchone()[0]
            if not waiting:
                return now
            if time.monotonic() > deadline:
                raise RuntimeError(f"{waiting} notifications still unsent after {timeout} s")
            time.sleep(0.05)


def _fresh_database(url: str) -> bool:
    """Copy the template database if there is one (True), else recreate ``url`` empty (False)."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        has_template = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"{name}_template"]).fetchone()
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{name}_template"' if has_template else ""))
        return bool(has_template)


def _keep_as_template(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_template"')
        conn.execute(f'CREATE DATABASE "{name}_template" TEMPLATE "{name}"')


def run_burst(count: int, database_url: str | None = None, redis_url: str | None = None) -> dict:
    """A burst of ``count`` webhooks with the worker running, then ``count`` events drained by a fresh worker.

    ``database_url`` is dropped and made again (from its template when there is one); ``redis_url``'s database is
    emptied."""
    import tempfile
    from pathlib import Path

    import redis

    from bench import server

    database_url = database_url or os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dexiu_bench_worker"
    )
    redis_url = redis_url or os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
    stripe_secret = "whsec_bench_" + secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix="dexiu-burst-"))
    env = {**server.bench_env(database_url, redis_url, workdir), "STRIPE_WEBHOOK_SECRET": stripe_secret}
    if not _fresh_database(database_url):
        server.manage(env, "migrate", "--noinput")
        server.run(env, sys.executable, "-m", "bench.scaled", "200", "600", timeout=3600)
        server.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        _keep_as_template(database_url)
    else:
        server.manage(env, "migrate", "--noinput")  # a template kept by an earlier version of the code
    redis.Redis.from_url(redis_url).flushdb()
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    prepared = json.loads(server.run(env, sys.executable, "-m", "bench.notifications", str(2 * count), receiver.url))
    receiver.secret = prepared["secret"]
    server.analyze(database_url)  # the statistics autovacuum keeps in production (it may be off here)
    burst_orders, drain_orders = prepared["orders"][:count], prepared["orders"][count:]
    gunicorn = server.Gunicorn(env, workdir)
    results: dict = {"load_average_before": os.getloadavg()}
    try:
        worker = server.CeleryWorker(env, workdir)
        try:
            first_post = time.perf_counter()
            results["burst"] = measure(gunicorn.base, burst_orders, stripe_secret, receiver, rate=None)
            results["burst"]["all_messages_seconds"] = round(wait_until_all_sent(database_url) - first_post, 2)
        finally:
            worker.stop()
        _accepted, failures = post_events(gunicorn.base, drain_orders, stripe_secret, rate=None, first=count)
        (workdir / "drain").mkdir()
        worker = server.CeleryWorker(env, workdir / "drain")
        started = time.perf_counter()  # from the worker's "ready" (its start-up is not its throughput)
        try:
            results["drain"] = {
                **drain(drain_orders, receiver, started, database_url, redis_url),
                "webhook_failures": len(failures),
            }
        finally:
            worker.stop()
    finally:
        gunicorn.stop()
        receiver.shutdown()
    results["duplicate_deliveries"] = sum(n - 1 for n in receiver.keys.values())
    results["bad_signatures"] = receiver.bad_signatures
    results["load_average_after"] = os.getloadavg()
    results["workdir"] = str(workdir)
    return results


if __name__ == "__main__":
    if sys.argv[1] == "burst":
        print(json.dumps(run_burst(int(sys.argv[2]) if len(sys.argv) > 2 else 200), indent=2))
    else:
        django.setup()
        print(json.dumps(setup(int(sys.argv[1]), sys.argv[2])))
