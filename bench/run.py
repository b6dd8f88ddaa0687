"""`make bench`: the whole benchmark, end to end, on loopback. Writes bench/results.json.

1. A fresh PostgreSQL database with the scaled catalogue (bench/scaled.py), Redis for the cache.
2. gunicorn with production settings (bench/settings.py: plain HTTP, no rate limits).
3. wrk, 16 connections from a separate process, against the baseline (a bare Django view rendering a
   template of similar size) and each page; ratios are page rps / baseline rps from this same run.
4. SQL queries per page; the flash sale (bench/flash_sale.py); notification latency with a real Celery
   worker on Redis (bench/notifications.py).

Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_SECONDS (per URL, default 10),
BENCH_BUYERS (200), BENCH_UNITS (50), BENCH_NOTIFICATIONS (200), BENCH_WEBHOOK_RATE (10 per second).
"""

import json
import os
import secrets
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import redis

from bench import notifications, server, wrk

HERE = Path(__file__).resolve().parent
PRODUCT = "/products/guicuo-navel-orange-gift-5kg/"
PAGES = {
    "home": ("/", 1 / 3),
    "product list": ("/products/", 1 / 2),
    "product list, filtered": ("/products/?category=citrus", 1 / 2),
    "search": ("/products/?q=" + urllib.parse.quote("脐橙"), None),
    "product detail": (PRODUCT, 1 / 2),
    "story page": ("/stories/aikou-tujia-brocade-weavers/", 1 / 3),
}
ADD_TO_CART_SCRIPT = """
wrk.method = "POST"
wrk.body = "csrfmiddlewaretoken={token}&variant={variant}&quantity=1"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "csrftoken={token}"
"""
CSRF_TOKEN = secrets.token_hex(16)  # a CSRF secret is 32 letters or digits
STRIPE_WEBHOOK_SECRET = "whsec_bench_" + secrets.token_hex(16)


def _print_table(results: dict) -> None:
    print(f"\n{'page':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7} {'target':>7} {'queries*':>8}")
    for name, row in results["pages"].items():
        target = f"{row['target']:.2f}" if row.get("target") else "-"
        queries = row.get("queries", "-")
        print(
            f"{name:28} {row['rps']:9.1f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
            f"{row['ratio']:7.3f} {target:>7} {queries!s:>8}"
        )
    sent = results.get("notifications")
    if sent:
        print(
            f"notifications: {sent['orders']} paid by webhook at {sent['webhooks_per_second']:g}/s → "
            f"{sent['delivered']} delivered, {sent['lost']} lost, "
            f"p50 {sent['p50_ms']} ms, p95 {sent['p95_ms']} ms (webhook accepted → counter received)"
        )
    print("* SQL queries when the page is rendered (a page-cache miss); a hit costs none.")
    flash = results.get("flash_sale")
    if flash:
        print(
            f"\nflash sale: {flash['buyers']} buyers for {flash['units']} units → {flash['orders_placed']} orders, "
            f"{flash['oversold_units']} oversold, {len(flash['errors'])} errors, "
            f"checkout p50 {flash['checkout_p50_ms']} ms, p95 {flash['checkout_p95_ms']} ms"
        )


def _notification_latency(env: dict[str, str], workdir: Path, base: str, count: int, rate: float) -> dict:
    receiver = notifications.Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    prepared = json.loads(server.run(env, sys.executable, "-m", "bench.notifications", str(count), receiver.url))
    receiver.secret = prepared["secret"]
    worker = server.CeleryWorker(env, workdir)
    try:
        return notifications.measure(base, prepared["orders"], STRIPE_WEBHOOK_SECRET, receiver, rate=rate)
    finally:
        worker.stop()
        receiver.shutdown()


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    buyers = int(os.environ.get("BENCH_BUYERS", "200"))
    units = int(os.environ.get("BENCH_UNITS", "50"))
    paid = int(os.environ.get("BENCH_NOTIFICATIONS", "200"))
    rate = float(os.environ.get("BENCH_WEBHOOK_RATE", "10"))
    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dexiu_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="dexiu-bench-"))
    env = server.bench_env(database_url, redis_url, workdir)
    env["ALLOWED_HOSTS"] += ",testserver"
    env["STRIPE_WEBHOOK_SECRET"] = STRIPE_WEBHOOK_SECRET

    print("Preparing the database and the scaled catalogue…", flush=True)
    server.recreate_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    server.manage(env, "migrate", "--noinput")
    print(server.run(env, sys.executable, "-m", "bench.scaled", "2000", "6000").strip(), flush=True)
    server.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    flash = json.loads(server.run(env, sys.executable, "-m", "bench.flash_sale", "setup", str(units)))
    queries = json.loads(server.run(env, sys.executable, "-m", "bench.queries", *[p for p, _ in PAGES.values()]))

    gunicorn = server.Gunicorn(env, workdir)
    results: dict = {"seconds_per_url": seconds, "connections": 16, "pages": {}}
    try:
        for path in ["/bench/baseline/", *[p for p, _ in PAGES.values()]]:
            wrk.measure(gunicorn.base + path, seconds=2)
        baseline = wrk.measure(gunicorn.base + "/bench/baseline/", seconds=seconds)
        results["pages"]["baseline"] = {**baseline.as_dict(), "ratio": 1.0}
        for name, (path, target) in PAGES.items():
            measured = wrk.measure(gunicorn.base + path, seconds=seconds)
            results["pages"][name] = {
                **measured.as_dict(),
                "path": path,
                "ratio": round(measured.rps / baseline.rps, 3),
                "target": target,
                "queries": queries[path],
            }
        script = workdir / "add_to_cart.lua"
        script.write_text(ADD_TO_CART_SCRIPT.format(token=CSRF_TOKEN, variant=flash["variant"]))
        measured = wrk.measure(gunicorn.base + "/cart/add/", seconds=seconds, script=script)
        results["pages"]["add to cart"] = {**measured.as_dict(), "ratio": round(measured.rps / baseline.rps, 3)}

        print(f"Flash sale: {buyers} buyers for {units} units…", flush=True)
        bought = json.loads(
            server.run(
                env,
                sys.executable,
                "-m",
                "bench.flash_sale",
                "buy",
                gunicorn.base,
                flash["product"],
                str(flash["variant"]),
                str(buyers),
            )
        )
        print(f"Notifications: {paid} orders paid through the webhook…", flush=True)
        results["notifications"] = _notification_latency(env, workdir, gunicorn.base, paid, rate)
    finally:
        gunicorn.stop()
    checked = json.loads(server.run(env, sys.executable, "-m", "bench.flash_sale", "verify", str(units)))
    results["flash_sale"] = {"units": units, **bought, **checked}
    results["elapsed_seconds"] = round(time.monotonic() - started)
    (HERE / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print_table(results)
    ok = (
        results["notifications"]["lost"] == 0
        and results["flash_sale"]["orders_placed"] == units
        and results["flash_sale"]["oversold_units"] == 0
        and not results["flash_sale"]["errors"]
    )
    print(f"\nresults: {HERE / 'results.json'} ({results['elapsed_seconds']} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
