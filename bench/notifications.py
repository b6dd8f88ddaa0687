"""Notification latency: orders paid through the Stripe webhook, delivered to a counter's system.

``setup`` (in-process, bench settings) places ``count`` pickup orders at one counter whose webhook
points at ``receiver_url``. ``measure`` signs one ``payment_intent.succeeded`` event per order, posts
them to the running site, and times each from the webhook's 200 to the counter's receiver getting
the correctly signed ``counter_prepare`` message (processed by a real Celery worker on Redis).
"""

import hashlib
import hmac
import json
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
    from orders.models import Cart

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


def measure(
    base: str, orders: list[dict], stripe_secret: str, receiver: Receiver, *, rate: float, timeout: float = 120
) -> dict:
    """Post the events at ``rate`` per second, then wait for every counter message."""
    accepted: dict[str, float] = {}
    failures = []
    start = time.perf_counter()

    def post(item: tuple[int, dict]) -> None:
        n, order = item
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
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
        list(pool.map(post, enumerate(orders)))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(receiver.arrived) < len(orders):
        time.sleep(0.2)
    latencies = sorted((receiver.arrived[n] - accepted[n]) * 1000 for n in accepted if n in receiver.arrived)
    return {
        "orders": len(orders),
        "webhooks_per_second": rate,
        "webhooks_accepted": len(accepted),
        "webhook_failures": len(failures),
        "delivered": len(latencies),
        "lost": len(orders) - len(latencies),
        "bad_signatures": receiver.bad_signatures,
        "duplicate_deliveries": sum(count - 1 for count in receiver.keys.values()),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
    }


if __name__ == "__main__":
    django.setup()
    print(json.dumps(setup(int(sys.argv[1]), sys.argv[2])))
