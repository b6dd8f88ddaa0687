"""Flash sale: many buyers, each with their own HTTP session, check out one variant with few units.

``setup`` (in-process, bench settings) makes a product whose only variant has ``units`` at the origin
warehouse; ``buy`` (plain HTTP, no Django) runs the buyers; ``verify`` counts orders and stock.
"""

import http.cookiejar
import json
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import django

SKU = "BENCH-FLASH-1"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN = re.compile(r'name="(checkout_token|fingerprint)" value="([^"]*)"')


def setup(units: int) -> dict:
    from catalog.models import Category, Location, Merchant, Product, Variant
    from catalog.services import receive_stock

    merchant = Merchant.objects.order_by("pk").first()
    product, _ = Product.objects.update_or_create(
        slug="bench-flash-sale",
        defaults={
            "merchant": merchant,
            "category": Category.objects.order_by("pk").first(),
            "name": "限时抢购 · 秀山脐橙",
            "is_published": True,
        },
    )
    variant, _ = Variant.objects.get_or_create(product=product, sku=SKU, defaults={"name": "5kg", "price": 5900})
    warehouse = Location.objects.get(kind=Location.Kind.WAREHOUSE)
    receive_stock(variant=variant, location=warehouse, quantity=units, actor=None, reason="flash sale bench")
    return {"variant": variant.pk, "product": product.slug}


class Buyer:
    """One shopper: own cookies, own cart."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """Status, body and final URL (redirects followed)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.geturl()

    def buy(self, product: str, variant: int, start: threading.Barrier) -> tuple[str, float]:
        _, page, _ = self.request(f"/products/{product}/")
        token = CSRF_INPUT.search(page).group(1)
        self.request("/cart/add/", {"csrfmiddlewaretoken": token, "variant": variant, "quantity": 1})
        status, page, _ = self.request("/checkout/")
        if status != 200 or "checkout_token" not in page:
            return f"checkout page {status}", 0.0
        hidden = dict(HIDDEN.findall(page))
        form = {
            "csrfmiddlewaretoken": CSRF_INPUT.search(page).group(1),
            "name": "抢购测试",
            "phone": "13800000000",
            "email": f"buyer-{id(self)}@example.com",
            "method": "delivery",
            "province": "山东省",
            "city": "德州市",
            "district": "德城区",
            "street": "东风中路 1 号",
            "postal_code": "253000",
            **hidden,
        }
        start.wait()
        began = time.perf_counter()
        status, page, url = self.request("/checkout/", form)
        elapsed = (time.perf_counter() - began) * 1000
        if status == 200 and "/orders/" in url:
            return "ordered", elapsed
        if status == 409:
            return "sold out", elapsed
        return f"error {status}", elapsed


def buy(base: str, product: str, variant: int, buyers: int) -> dict:
    start = threading.Barrier(buyers)
    outcomes: list[tuple[str, float]] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            outcome = Buyer(base).buy(product, variant, start)
        except Exception as error:  # every failure is counted, not raised
            outcome = (f"error {type(error).__name__}", 0.0)
            start.abort()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(ms for kind, ms in outcomes if kind in ("ordered", "sold out"))
    kinds = [kind for kind, _ in outcomes]
    return {
        "buyers": buyers,
        "ordered_responses": kinds.count("ordered"),
        "sold_out": kinds.count("sold out"),
        "errors": [kind for kind in kinds if kind not in ("ordered", "sold out")],
        "checkout_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "checkout_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
    }


def verify(units: int) -> dict:
    from django.db.models import Sum

    from catalog.models import Stock
    from orders.models import OrderLine

    sold = OrderLine.objects.filter(sku=SKU).aggregate(n=Sum("quantity"))["n"] or 0
    stock = Stock.objects.get(variant__sku=SKU, location__kind="warehouse")
    return {
        "orders_placed": OrderLine.objects.filter(sku=SKU).values("order").distinct().count(),
        "units_sold": sold,
        "oversold_units": max(0, sold - units),
        "stock_on_hand": stock.on_hand,
        "stock_allocated": stock.allocated,
    }


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "buy":
        base, product, variant, buyers = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(buy(base, product, variant, buyers)))
    else:
        django.setup()
        units = int(sys.argv[2])
        print(json.dumps(setup(units) if command == "setup" else verify(units)))
