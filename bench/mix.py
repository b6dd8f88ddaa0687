"""Realistic traffic for `make bench`: a URL mix drawn from the whole catalogue, checkouts and a shopper.

``setup`` (in-process, bench settings) samples the mix with a fixed seed and writes it, one
``kind<TAB>path`` a line, for bench/mix.lua; it also creates the signed-in shopper and picks the
ordinary products (with stock; not the flash sale's) that buyers check out during run (b). Every URL
comes from the database (public products, categories, merchants with public products, live pages and
their translations), so none should answer 404.

The rest is plain HTTP, no Django: ``login`` signs the shopper in and returns a Cookie header for wrk;
``Checkouts`` places real orders over HTTP at a steady rate in the background (each one allocates stock
and therefore moves the page cache's generation on); ``probe`` times a few URLs of each kind one at a
time against a server without the page cache, to tell which kinds cost most to render.

The mix (shares of requests; about a quarter of everything is under /en/):

- product detail: Zipf (s = 1.1) over all public products in a seeded random order;
- product list: ``?page=1..20`` (Zipf over the page number);
- filtered or sorted list: category, merchant, township, quality mark, in stock, sort order, pages
  1-5; half as clean links, half as the filter form submits them (every field, empty ones included);
- search (the header's one box, ``/products/?q=``, sometimes sorted) over ``SEARCH_WORDS``: words in
  product names and words that are not (``/search/`` only redirects there since issue 15);
- home, stories (index and story pages), merchant pages and the other editorial pages.

Run: ``DJANGO_SETTINGS_MODULE=bench.settings python -m bench.mix setup <file> [urls] [products]``
"""

import http.cookiejar
import itertools
import json
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import django

SEED = 20261129
ZIPF_S = 1.1
EN_SHARE = 0.25
SHARES = {
    "product detail": 0.40,
    "product list": 0.08,
    "product list, filtered": 0.14,
    "product search": 0.14,
    "home": 0.06,
    "story": 0.08,
    "merchant": 0.04,
    "other editorial": 0.06,
}
# Words buyers type: in product names (or their merchants, origins, categories) and not.
SEARCH_WORDS = [
    "脐橙",
    "茶油",
    "苹果",
    "蜂蜜",
    "织锦",
    "手机",
    "土家",
    "秀山",
    "hello",
    "礼盒",
    "毛尖",
    "榴莲",
    "红茶",
    "金银花",
    "咖啡",
    "黄精",
    "西红柿",
    "牛奶",
    "沃柑",
    "柚子",
    "iphone",
    "蔬菜",
    "围巾",
    "大闸蟹",
    "天麻",
    "orange",
    "秀山 脐橙",
    "honey",
    "电脑",
    "山茶油 礼盒",
]
SORTS = ["price_asc", "price_desc", "newest"]
MARKS = ["gi", "green", "organic"]
FLASH_SALE_SLUG = "bench-flash-sale"
SHOPPER = "bench-shopper"
CSRF_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="'


def zipf_weights(n: int, s: float = ZIPF_S) -> list[float]:
    """Cumulative Zipf weights for ranks 1..n (for ``random.choices(cum_weights=…)``)."""
    return list(itertools.accumulate(1 / (rank**s) for rank in range(1, n + 1)))


def build(count: int, seed: int = SEED) -> tuple[list[tuple[str, str]], dict]:
    """``count`` (kind, path) pairs and a description of what they were drawn from."""
    from django.utils import translation
    from wagtail.models import Locale, Page

    from catalog.regions import XiushanTownship
    from catalog.search import search
    from cms.models import HomePage, StoryIndexPage, StoryPage
    from storefront import selectors

    rng = random.Random(seed)
    public = selectors.public_products().exclude(slug=FLASH_SALE_SLUG)
    slugs = list(public.order_by("pk").values_list("slug", flat=True))
    rng.shuffle(slugs)  # popularity has nothing to do with age
    product_weights = zipf_weights(len(slugs))
    categories, merchants = selectors.filter_options()
    category_slugs = [c.slug for c in categories]
    merchant_slugs = [m.slug for m in merchants]
    townships = [value for value, _label in XiushanTownship.choices]
    page_weights = zipf_weights(20, 1.0)
    word_weights = zipf_weights(len(SEARCH_WORDS), 0.8)

    zh = Locale.objects.get(language_code="zh-hans")
    en = Locale.objects.filter(language_code="en").first()
    live = Page.objects.live().public().filter(locale=zh, depth__gt=1).specific()
    by_kind: dict[str, list[Page]] = {"home": [], "story": [], "other editorial": []}
    for page in live:
        if isinstance(page, HomePage):
            by_kind["home"].append(page)
        elif isinstance(page, StoryPage | StoryIndexPage):
            by_kind["story"].append(page)
        else:
            by_kind["other editorial"].append(page)
    page_urls: dict[str, list[tuple[str, str | None]]] = {}
    for kind, pages in by_kind.items():
        pairs = []
        for page in pages:
            translated = page.get_translation_or_none(en) if en else None
            english = translated.get_url() if translated is not None and translated.live else None
            pairs.append((page.get_url(), english))
        page_urls[kind] = pairs

    def query(params: list[tuple[str, str]]) -> str:
        return urllib.parse.urlencode(params)

    def list_filtered() -> str:
        chosen = {}
        if rng.random() < 0.6:
            chosen["category"] = rng.choice(category_slugs)
        if rng.random() < 0.15:
            chosen["merchant"] = rng.choice(merchant_slugs)
        if rng.random() < 0.1:
            chosen["township"] = rng.choice(townships)
        if rng.random() < 0.15:
            chosen["mark"] = rng.choice(MARKS)
        if rng.random() < 0.25:
            chosen["in_stock"] = "1"
        if rng.random() < 0.4 or not chosen:
            chosen["sort"] = rng.choice(SORTS)
        page = rng.choices(range(1, 6), cum_weights=page_weights[:5])[0]
        if rng.random() < 0.5:  # a link: only what is set, as pagination and filter links write it
            params = list(chosen.items())
        else:  # the filter form as a browser submits it: every field, the flag only when ticked
            names = ["q", "category", "merchant", "township", "mark", "in_stock", "sort"]
            params = [(n, chosen.get(n, "")) for n in names if n != "in_stock" or n in chosen]
        if page > 1:
            params.append(("page", str(page)))
        return "/products/?" + query(params)

    def word() -> str:
        return rng.choices(SEARCH_WORDS, cum_weights=word_weights)[0]

    def path_for(kind: str) -> tuple[str, bool]:
        """A path and whether its /en/ twin is just the prefix."""
        if kind == "product detail":
            return f"/products/{rng.choices(slugs, cum_weights=product_weights)[0]}/", True
        if kind == "product list":
            page = rng.choices(range(1, 21), cum_weights=page_weights)[0]
            return ("/products/" if page == 1 else f"/products/?page={page}"), True
        if kind == "product list, filtered":
            return list_filtered(), True
        if kind == "product search":
            params = [("q", word())]
            if rng.random() < 0.2:
                params.append(("sort", rng.choice(SORTS)))
            return "/products/?" + query(params), True
        if kind == "merchant":
            return f"/merchants/{rng.choice(merchant_slugs)}/", True
        raise ValueError(kind)

    kinds = list(SHARES)
    urls = []
    for kind in rng.choices(kinds, [SHARES[k] for k in kinds], k=count):
        english = rng.random() < EN_SHARE
        if kind in page_urls:
            zh_path, en_path = rng.choice(page_urls[kind])
            path = en_path if english and en_path else zh_path
        else:
            path, _ = path_for(kind)
            if english:
                path = "/en" + path
        urls.append((kind, path))

    with translation.override("zh-hans"):
        matches = {w: search(selectors.public_products(), w).count() for w in SEARCH_WORDS}
    described = {
        "urls": count,
        "distinct": len({path for _, path in urls}),
        "seed": seed,
        "products": len(slugs),
        "zipf_s": ZIPF_S,
        "english_share": round(sum(path.startswith("/en/") for _, path in urls) / count, 3),
        "kinds": dict(Counter(kind for kind, _ in urls).most_common()),
        "search_words": matches,
    }
    return urls, described


def setup(out: Path, count: int, buyer_products: int) -> dict:
    """Write the mix; create the shopper; choose the products buyers check out."""
    import secrets

    from django.contrib.auth import get_user_model

    from catalog.models import Location, Stock
    from storefront import selectors

    urls, described = build(count)
    out.write_text("".join(f"{kind}\t{path}\n" for kind, path in urls), encoding="utf-8")

    password = secrets.token_urlsafe(16)
    user, _ = get_user_model().objects.get_or_create(username=SHOPPER, defaults={"email": "shopper@example.com"})
    user.set_password(password)
    user.save()

    rng = random.Random(SEED + 1)
    stocked = Stock.objects.filter(location__kind=Location.Kind.WAREHOUSE, on_hand__gte=100, variant__is_active=True)
    products = list(
        selectors.public_products()
        .exclude(slug=FLASH_SALE_SLUG)
        .filter(variants__in=stocked.values("variant"))
        .distinct()
        .order_by("pk")
        .values_list("slug", flat=True)
    )
    chosen = rng.sample(products, min(buyer_products, len(products)))
    stock = stocked.filter(variant__product__slug__in=chosen).select_related("variant__product").order_by("variant_id")
    variants: dict[str, int] = {}
    for row in stock:
        variants.setdefault(row.variant.product.slug, row.variant_id)
    return {
        **described,
        "file": str(out),
        "shopper": {"username": SHOPPER, "password": password},
        "buy": sorted(variants.items()),
    }


class Session:
    """An HTTP client with its own cookies."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: dict | None = None, timeout: float = 60) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=timeout) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def csrf(self, page: str) -> str:
        start = page.index(CSRF_INPUT) + len(CSRF_INPUT)
        return page[start : page.index('"', start)]


def login(base: str, username: str, password: str, variant: int | None = None) -> str:
    """Sign in over HTTP (and put one item in the cart); the Cookie header of the signed-in session."""
    session = Session(base)
    _, page, _ = session.request("/account/login/")
    status, _, _ = session.request(
        "/account/login/", {"csrfmiddlewaretoken": session.csrf(page), "username": username, "password": password}
    )
    if status != 200 or not any(cookie.name == "sessionid" for cookie in session.jar):
        raise RuntimeError(f"the shopper could not sign in ({status})")
    _, page, _ = session.request("/")  # shows and so consumes "You are logged in."
    if variant is not None:
        session.request("/cart/add/", {"csrfmiddlewaretoken": session.csrf(page), "variant": variant, "quantity": 1})
        session.request("/cart/")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.jar if cookie.name != "messages")


class Checkouts:
    """Buyers checking out over HTTP at ``rate`` a second (an open loop) until ``stop()``.

    Each buyer is bench/flash_sale.py's: product page, add to cart, checkout page, submit.
    """

    def __init__(self, base: str, products: list[tuple[str, int]], rate: float, max_in_flight: int = 32):
        self.base, self.products, self.rate, self.max_in_flight = base, products, rate, max_in_flight
        self.outcomes: Counter = Counter()
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.workers: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> "Checkouts":
        self.started = time.monotonic()
        self.thread.start()
        return self

    def _loop(self) -> None:
        n = 0
        while not self.stopping.is_set():
            due = self.started + n / self.rate
            if self.stopping.wait(max(0.0, due - time.monotonic())):
                break
            self.workers = [w for w in self.workers if w.is_alive()]
            if len(self.workers) >= self.max_in_flight:
                with self.lock:
                    self.outcomes["skipped (too many in flight)"] += 1
            else:
                product, variant = self.products[n % len(self.products)]
                worker = threading.Thread(target=self._buy, args=(product, variant), daemon=True)
                worker.start()
                self.workers.append(worker)
            n += 1

    def _buy(self, product: str, variant: int) -> None:
        from bench.flash_sale import Buyer

        began = time.perf_counter()
        try:
            outcome, _checkout_ms = Buyer(self.base).buy(product, variant, threading.Barrier(1))
        except Exception as error:  # every failure is counted, not raised
            outcome = f"error {type(error).__name__}"
        elapsed = (time.perf_counter() - began) * 1000
        with self.lock:
            self.outcomes[outcome] += 1
            if outcome == "ordered":
                self.latencies.append(elapsed)

    def stop(self) -> dict:
        """Stop starting purchases, wait for those under way, and count."""
        self.stopping.set()
        self.thread.join()
        seconds = time.monotonic() - self.started
        for worker in self.workers:
            worker.join(timeout=120)
        latencies = sorted(self.latencies)
        return {
            "rate": self.rate,
            "seconds": round(seconds, 1),
            "ordered": self.outcomes["ordered"],
            "orders_per_second": round(self.outcomes["ordered"] / seconds, 2),
            "errors": {kind: n for kind, n in self.outcomes.items() if kind != "ordered"},
            "buy_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "buy_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        }


def read(file: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("\t", 1)) for line in file.read_text(encoding="utf-8").splitlines() if line]


def prime(base: str, urls: list[tuple[str, str]], threads: int = 8) -> dict:
    """Request every distinct URL once, as a shop that has been open a while has: pages and fragments are
    then in the cache as they would be on the day (a sale then changes what it changes)."""
    from concurrent.futures import ThreadPoolExecutor

    paths = list(dict.fromkeys(path for _kind, path in urls))

    def fetch(path: str) -> int:
        try:
            with urllib.request.urlopen(base + path, timeout=60) as response:  # noqa: S310 (loopback)
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(fetch, paths))
    return {
        "urls": len(paths),
        "seconds": round(time.perf_counter() - began, 1),
        "not_200": statuses.count(200) - len(paths),
    }


def probe(base: str, urls: list[tuple[str, str]], per_kind: int = 6) -> dict:
    """Time ``per_kind`` distinct URLs of each kind one at a time (a render each when the cache is off)."""
    seen: dict[str, list[str]] = {}
    for kind, path in urls:
        paths = seen.setdefault(kind, [])
        if path not in paths and len(paths) < per_kind:
            paths.append(path)
    kinds = {}
    for kind, paths in seen.items():
        times, bad = [], []
        for path in paths:
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(base + path, timeout=60) as response:  # noqa: S310 (loopback)
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            times.append((time.perf_counter() - began) * 1000)
            if status != 200:
                bad.append(f"{status} {path}")
        kinds[kind] = {
            "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "slowest": paths[times.index(max(times))],
            "not_200": bad,
        }
    return dict(sorted(kinds.items(), key=lambda item: -item[1]["median_ms"]))


if __name__ == "__main__":
    django.setup()
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    buyer_products = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    print(json.dumps(setup(Path(sys.argv[2]), count, buyer_products), ensure_ascii=False))
