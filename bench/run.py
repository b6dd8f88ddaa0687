"""`make bench`: the whole benchmark, end to end, on loopback. Writes bench/results.json.

1. A fresh PostgreSQL database with the scaled catalogue (bench/scaled.py), analysed (``VACUUM ANALYZE``: the
   planner's statistics, which autovacuum keeps in production but which a database built just now lacks where
   autovacuum is off, as on the CI machine), Redis for the cache.
2. gunicorn with production settings (bench/settings.py: plain HTTP, no rate limits).
3. wrk, 16 connections from a separate process, against the baseline (a bare Django view rendering a
   template of similar size) and each page; ratios are page rps / baseline rps from this same run. The
   baseline is measured at the start and again before each mix run without buyers, and the ratios are to
   the median of those measurements: on this shared machine one measurement moved between 698 and 1,146
   requests a second within one run, and a single one would move every ratio with it.
4. Realistic traffic (bench/mix.py, bench/mix.lua): a seeded mix of URLs from the whole catalogue in both
   languages, run (a) with the page cache off (a second gunicorn with PAGE_CACHE_SECONDS=0; first with its
   fragments cold (a0), then after every URL was asked once), (b) with the cache on while buyers check
   out over HTTP at BENCH_BUY_RATE a second (after a reference run without checkouts), (c) as a signed-in
   shopper with one item in the cart; then a few URLs of each kind one at a time without the cache, to
   tell which kinds cost most to render.
5. SQL queries per page; the flash sale (bench/flash_sale.py); notification latency with a real Celery
   worker on Redis, then a burst of payment webhooks and the worker's throughput draining queued payments,
   on a database of its own (BENCH_DATABASE_URL + ``_worker``; bench/notifications.py).

Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_SECONDS (per URL and per mix run, default 10),
BENCH_PRODUCTS (2000; variants are 3 times as many), BENCH_MIX_URLS (5000), BENCH_BUY_RATE (2 per second),
BENCH_BUYERS (200), BENCH_UNITS (50), BENCH_NOTIFICATIONS (200), BENCH_WEBHOOK_RATE (10 per second).
"""

import itertools
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import redis

from bench import mix, notifications, server, wrk

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
MIX_SCRIPT = HERE / "mix.lua"
MIX_WARM_UP_SECONDS = 2  # before each mix run, on URLs of its own
BASELINE_SECONDS = 5  # the baseline measured again before each mix run
_MIX_STARTS = itertools.count()
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
    worker = results.get("worker")
    if worker:
        burst, drain = worker["burst"], worker["drain"]
        print(
            f"worker (2 processes): a burst of {burst['orders']} paid webhooks → counter p50 {burst['p50_ms']} ms, "
            f"p95 {burst['p95_ms']} ms, {burst['lost']} lost, "
            f"every message sent after {burst['all_messages_seconds']} s; "
            f"draining {drain['orders']} queued payments: {drain['orders_per_second']} paid orders/s to the counters "
            f"(target ≥ 100), {drain['orders_per_second_all_messages']}/s with every e-mail sent, "
            f"{drain['orders_per_second_all_tasks']}/s to the last task done, "
            f"{drain['lost']} lost, {worker['duplicate_deliveries']} delivered twice"
        )
    _print_mix({**results["mix"], "baseline": results.get("baseline")} if results.get("mix") else None)
    flash = results.get("flash_sale")
    if flash:
        print(
            f"\nflash sale: {flash['buyers']} buyers for {flash['units']} units → {flash['orders_placed']} orders, "
            f"{flash['oversold_units']} oversold, {len(flash['errors'])} errors, "
            f"checkout p50 {flash['checkout_p50_ms']} ms, p95 {flash['checkout_p95_ms']} ms"
        )


def _print_mix(realistic: dict | None) -> None:
    if not realistic:
        return
    urls = realistic["urls"]
    print(
        f"\nrealistic traffic: {urls['urls']} URLs ({urls['distinct']} distinct) over {urls['products']} products, "
        f"{urls['english_share']:.0%} under /en/, {realistic['seconds']} s a run after {MIX_WARM_UP_SECONDS} s warm-up"
    )
    print(f"{'run':42} {'req/s':>9} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8} {'hit rate':>8} {'errors':>7} {'404':>5}")
    for name, row in realistic["runs"].items():
        print(
            f"{name:42} {row['rps']:9.1f} {row['ratio']:7.3f} {row['p50_ms']:8.1f} {row['p99_ms']:8.1f} "
            f"{row['hit_rate']:8.1%} {row['errors']:7d} {row['counts'].get('s404', 0):5d}"
        )
    bought = realistic.get("checkouts")
    if bought:
        print(
            f"checkouts during (b): {bought['ordered']} orders in {bought['seconds']:g} s "
            f"({bought['orders_per_second']:g}/s, asked {bought['rate']:g}/s), errors {bought['errors'] or 0}, "
            f"whole purchase p50 {bought['buy_p50_ms']} ms, p95 {bought['buy_p95_ms']} ms"
        )
    primed = realistic.get("primed")
    if primed:
        print(
            f"before (a) and the cache-on runs every distinct URL was asked once ({primed['urls']} in "
            f"{primed['seconds']:g} s, {primed['not_200']} not 200), as on a shop that has been open a while"
        )
    kinds = realistic.get("kinds")
    if kinds:
        print("cost per URL kind, cache off, one request at a time (median / slowest ms, share of the mix):")
        for kind, row in kinds.items():
            bad = f"  NOT 200: {', '.join(row['not_200'])}" if row["not_200"] else ""
            share = urls["kinds"].get(kind, 0) / urls["urls"]
            print(
                f"  {kind:28} {row['median_ms']:7.1f} {row['max_ms']:7.1f} {share:6.1%}  slowest {row['slowest']}{bad}"
            )
    print("hit rate: X-Page-Cache hits / all responses; errors: non-2xx/3xx and socket errors (404s included).")
    baseline = realistic.get("baseline")
    if baseline:
        print(
            f"ratios are to the baseline's median, {baseline['rps']:g} req/s, of its measurements in this run "
            f"(at the start, then before each mix run but (b)): {', '.join(f'{rps:g}' for rps in baseline['samples'])}"
        )


def _mix_wrk(base: str, urls: Path, seconds: int, cookie: str = "") -> wrk.Result:
    """One wrk run of the mix, starting where no earlier run started (bench/mix.lua)."""
    start = next(_MIX_STARTS) * len(urls.read_text(encoding="utf-8").splitlines()) // 8
    return wrk.measure(base + "/", seconds=seconds, script=MIX_SCRIPT, script_args=[str(urls), cookie, str(start)])


class Baseline:
    """The bare view's requests a second, measured several times in the run; ratios are to their median."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    def measure(self, base: str, seconds: int = BASELINE_SECONDS) -> wrk.Result:
        wrk.measure(base + "/bench/baseline/", seconds=1)
        measured = wrk.measure(base + "/bench/baseline/", seconds=seconds)
        self.samples.append(round(measured.rps, 1))
        return measured

    @property
    def rps(self) -> float:
        return statistics.median(self.samples)


def _mix_run(base: str, urls: Path, seconds: int, baseline: Baseline | None, cookie: str = "") -> dict:
    """One mix run, with ``baseline`` measured on the same server just before it (the ratio is set at the end)."""
    if baseline is not None:
        baseline.measure(base)
    _mix_wrk(base, urls, MIX_WARM_UP_SECONDS, cookie)
    measured = _mix_wrk(base, urls, seconds, cookie)
    counts = measured.counts
    responses = sum(counts.get(k, 0) for k in ("s2xx", "s3xx", "s404", "s4xx", "s5xx"))
    return {
        **measured.as_dict(),
        "hit_rate": round(counts.get("hits", 0) / responses, 3) if responses else 0.0,
    }


def _mix_cache_on(base: str, prepared: dict, seconds: int, baseline: Baseline, buy_rate: float) -> dict:
    """(b) with a reference run without checkouts first, and (c); on the server with the page cache."""
    urls = Path(prepared["file"])
    runs, realistic = {}, {"primed": mix.prime(base, mix.read(urls))}
    runs["(b0) cache on, no checkouts (reference)"] = _mix_run(base, urls, seconds, baseline)
    buyers = mix.Checkouts(base, prepared["buy"], buy_rate).start()
    try:
        # No baseline now: the buyers would slow it too.
        runs[f"(b) cache on, {buy_rate:g} checkouts/s"] = _mix_run(base, urls, seconds, None)
    finally:
        realistic["checkouts"] = buyers.stop()
    shopper = prepared["shopper"]
    cookie = mix.login(base, shopper["username"], shopper["password"], variant=prepared["buy"][0][1])
    runs["(c) signed-in shopper, cache on"] = _mix_run(base, urls, seconds, baseline, cookie)
    return {"runs": runs, **realistic}


def _mix_cache_off(env: dict[str, str], workdir: Path, prepared: dict, seconds: int, baseline: Baseline) -> dict:
    """(a) on a second gunicorn with PAGE_CACHE_SECONDS=0, then the cost of each kind of URL.

    Fragments are kept per host (pages print absolute URLs), and this server's port makes a new host: its
    first run meets every fragment cold (a0, what earlier passes reported as (a)). Then every distinct URL
    is asked once, as before the cache-on runs, and (a) is the shop that has been open a while."""
    urls = Path(prepared["file"])
    gunicorn = server.Gunicorn({**env, "PAGE_CACHE_SECONDS": "0"}, workdir, log="gunicorn-cache-off.log")
    try:
        cold = _mix_run(gunicorn.base, urls, seconds, baseline)
        mix.prime(gunicorn.base, mix.read(urls))
        run = _mix_run(gunicorn.base, urls, seconds, baseline)
        kinds = mix.probe(gunicorn.base, mix.read(urls))
    finally:
        gunicorn.stop()
    return {"run": run, "cold": cold, "kinds": kinds}


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
    products = int(os.environ.get("BENCH_PRODUCTS", "2000"))
    mix_urls = int(os.environ.get("BENCH_MIX_URLS", "5000"))
    buy_rate = float(os.environ.get("BENCH_BUY_RATE", "2"))
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="dexiu-bench-"))
    env = server.bench_env(database_url, redis_url, workdir)
    env["ALLOWED_HOSTS"] += ",testserver"
    env["STRIPE_WEBHOOK_SECRET"] = STRIPE_WEBHOOK_SECRET

    print("Preparing the database and the scaled catalogue…", flush=True)
    server.recreate_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    server.manage(env, "migrate", "--noinput")
    scaled = server.run(env, sys.executable, "-m", "bench.scaled", str(products), str(3 * products), timeout=3600)
    print(scaled.strip(), flush=True)
    server.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    server.manage(env, "warm_cards")  # as after a deploy (and each night, from the beat)
    flash = json.loads(server.run(env, sys.executable, "-m", "bench.flash_sale", "setup", str(units)))
    mixed = server.run(env, sys.executable, "-m", "bench.mix", "setup", str(workdir / "mix.tsv"), str(mix_urls))
    prepared = json.loads(mixed)
    queries = json.loads(server.run(env, sys.executable, "-m", "bench.queries", *[p for p, _ in PAGES.values()]))
    server.analyze(database_url)  # statistics, as on a shop that has been open (autovacuum may be off here)

    gunicorn = server.Gunicorn(env, workdir)
    baseline = Baseline()
    results: dict = {"products": products, "seconds_per_url": seconds, "connections": 16, "pages": {}}
    try:
        for path in ["/bench/baseline/", *[p for p, _ in PAGES.values()]]:
            wrk.measure(gunicorn.base + path, seconds=2)
        results["pages"]["baseline"] = baseline.measure(gunicorn.base, seconds=seconds).as_dict()
        for name, (path, target) in PAGES.items():
            measured = wrk.measure(gunicorn.base + path, seconds=seconds)
            results["pages"][name] = {
                **measured.as_dict(),
                "path": path,
                "target": target,
                "queries": queries[path],
            }
        script = workdir / "add_to_cart.lua"
        script.write_text(ADD_TO_CART_SCRIPT.format(token=CSRF_TOKEN, variant=flash["variant"]))
        measured = wrk.measure(gunicorn.base + "/cart/add/", seconds=seconds, script=script)
        results["pages"]["add to cart"] = measured.as_dict()

        print("Realistic traffic: cache on, checkouts, signed-in shopper…", flush=True)
        realistic = _mix_cache_on(gunicorn.base, prepared, seconds, baseline, buy_rate)

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
    print("Realistic traffic: page cache off…", flush=True)
    cache_off = _mix_cache_off(env, workdir, prepared, seconds, baseline)
    results["mix"] = {
        "seconds": seconds,
        "warm_up_seconds": MIX_WARM_UP_SECONDS,
        "connections": 16,
        "urls": {k: v for k, v in prepared.items() if k not in ("file", "shopper", "buy")},
        "runs": {
            "(a0) page cache off, fragments cold": cache_off["cold"],
            "(a) page cache off": cache_off["run"],
            **realistic["runs"],
        },
        "checkouts": realistic["checkouts"],
        "primed": realistic["primed"],
        "kinds": cache_off["kinds"],
    }
    checked = json.loads(server.run(env, sys.executable, "-m", "bench.flash_sale", "verify", str(units)))
    results["flash_sale"] = {"units": units, **bought, **checked}
    print(f"Worker: a burst of {paid} payment webhooks, then {paid} payments drained by a fresh worker…", flush=True)
    # A database of its own (a small catalogue, kept as a template for the next run); the cache's Redis database
    # is emptied, as nothing reads it any more.
    worker = notifications.run_burst(paid, database_url=f"{database_url}_worker", redis_url=redis_url)
    results["worker"] = {key: worker[key] for key in ("burst", "drain", "duplicate_deliveries", "bad_signatures")}
    results["baseline"] = {"rps": baseline.rps, "samples": baseline.samples}
    for row in [*results["pages"].values(), *results["mix"]["runs"].values()]:
        row["ratio"] = round(row["rps"] / baseline.rps, 3)
    results["elapsed_seconds"] = round(time.monotonic() - started)
    (HERE / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print_table(results)
    ok = (
        results["notifications"]["lost"] == 0
        and results["worker"]["burst"]["lost"] == results["worker"]["drain"]["lost"] == 0
        and results["worker"]["duplicate_deliveries"] == results["worker"]["bad_signatures"] == 0
        and results["flash_sale"]["orders_placed"] == units
        and results["flash_sale"]["oversold_units"] == 0
        and not results["flash_sale"]["errors"]
        and not any(run["counts"]["s404"] + run["counts"]["s5xx"] for run in results["mix"]["runs"].values())
        and not results["mix"]["checkouts"]["errors"]
        and not any(row["not_200"] for row in results["mix"]["kinds"].values())
    )
    print(f"\nresults: {HERE / 'results.json'} ({results['elapsed_seconds']} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
