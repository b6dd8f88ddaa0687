"""Degrade, never fail: pages render without Redis, and a stalled database answers 503 quickly.

Real parts on loopback: a ``redis-server`` this test starts, stops and starts again, and a TCP socket
that accepts connections and never answers (a stalled PostgreSQL).
"""

from __future__ import annotations

import copy
import logging
import socket
import threading
import time

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client, override_settings

from tests.cms.helpers import make_story
from tests.fixtures.redis_process import free_port
from tests.storefront.shop import stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_pages(db, warehouse):
    """The product list, a product page, the home page, a story and the cart page."""
    from cms.models import HomePage, StoryIndexPage

    product = stocked_variant((warehouse, 20), name="秀山野生山茶油", price=6800).product
    home = HomePage.objects.get(depth=2, locale__language_code="zh-hans")
    index = StoryIndexPage(title="商户故事", slug="stories", show_in_menus=True)
    home.add_child(instance=index)
    index.save_revision().publish()
    story = make_story(index, title="山茶油的故事", slug="camellia")
    return {
        "product list": "/en/products/",
        "product page": f"/en/products/{product.slug}/",
        "home": "/",
        "story": story.url,
        "cart": "/cart/",
    }


def browse(pages: dict[str, str]) -> dict[str, tuple[int, str | None, float]]:
    """Each page from a fresh anonymous visitor: status, X-Page-Cache and seconds taken."""
    seen = {}
    for name, path in pages.items():
        started = time.monotonic()
        response = Client().get(path)
        seen[name] = (response.status_code, response.get("X-Page-Cache"), time.monotonic() - started)
    return seen


def test_pages_render_without_redis_and_the_cache_comes_back_with_it(redis_server, shop_pages, caplog):
    cache_settings = {"default": {**settings.CACHES["default"], "LOCATION": redis_server.url}}
    with override_settings(CACHES=cache_settings, REDIS_URL=redis_server.url, PAGE_CACHE_SECONDS=300):
        browse(shop_pages)
        up = browse(shop_pages)
        assert {name: (status, hit) for name, (status, hit, _) in up.items()} == {
            "product list": (200, "hit"),
            "product page": (200, "hit"),
            "home": (200, "hit"),
            "story": (200, "hit"),
            "cart": (200, None),
        }

        redis_server.stop()
        caplog.set_level(logging.WARNING)
        down = browse(shop_pages) | browse(shop_pages)
        assert {name: status for name, (status, _, _) in down.items()} == dict.fromkeys(shop_pages, 200)
        assert all(hit != "hit" for _, hit, _ in down.values())
        assert max(seconds for _, _, seconds in down.values()) < 2
        assert any("cache unavailable" in record.getMessage() for record in caplog.records)

        healthz = Client().get("/healthz")
        assert healthz.status_code == 200 and healthz.json() == {"status": "ok"}
        started = time.monotonic()
        readyz = Client().get("/readyz")
        assert time.monotonic() - started < 5
        assert readyz.status_code == 503
        assert readyz["Content-Type"] == "application/json"
        body = readyz.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["redis"].startswith("down: ")

        redis_server.start()
        time.sleep(settings.CACHES["default"]["OPTIONS"]["RETRY_AFTER"] + 0.1)
        browse(shop_pages)
        back = browse(shop_pages)
        assert {name: hit for name, (_, hit, _) in back.items()} == {
            "product list": "hit",
            "product page": "hit",
            "home": "hit",
            "story": "hit",
            "cart": None,
        }
        assert Client().get("/readyz").json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_healthz_touches_neither_redis_nor_the_database(django_assert_num_queries, settings):
    settings.PAGE_CACHE_SECONDS = 300
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert "X-Page-Cache" not in response


class StalledDatabase:
    """A TCP server that accepts connections and never answers; it hangs up after ``hang_up`` seconds."""

    def __init__(self, hang_up: float = 8):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.hang_up = hang_up
        self.accepted: list[socket.socket] = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        deadline = time.monotonic() + self.hang_up
        while time.monotonic() < deadline and not self.closing.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            self.accepted.append(sock)  # never read, never answered
        for sock in self.accepted:
            sock.close()

    def close(self) -> None:
        self.closing.set()
        self.thread.join(self.hang_up + 1)
        self.listener.close()


@pytest.fixture
def stalled_database():
    """The default connection of this thread points at a server that never answers."""
    stalled = StalledDatabase()
    original = connections["default"]
    settings_dict = copy.deepcopy(original.settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT=str(stalled.port))
    connections["default"] = original.__class__(settings_dict, alias="default")
    try:
        yield stalled
    finally:
        connections["default"].close()
        connections["default"] = original
        stalled.close()


def test_a_stalled_database_answers_503_well_before_gunicorn_gives_up(stalled_database, settings):
    settings.PAGE_CACHE_SECONDS = 300
    visitor = Client(raise_request_exception=False)

    started = time.monotonic()
    page = visitor.get("/en/products/")
    page_seconds = time.monotonic() - started
    started = time.monotonic()
    readyz = visitor.get("/readyz")
    readyz_seconds = time.monotonic() - started

    assert stalled_database.accepted, "the app never tried the stalled server"
    assert page.status_code == 503
    assert page["Retry-After"]
    assert "The shop is busy, please try again shortly" in page.content.decode()
    assert page_seconds < 5
    assert readyz.status_code == 503
    assert readyz.json()["checks"]["database"].startswith("down: ")
    assert readyz_seconds < 5


def test_the_busy_page_speaks_chinese(stalled_database):
    page = Client(raise_request_exception=False).get("/products/")
    assert page.status_code == 503
    assert "系统繁忙，请稍后再试" in page.content.decode()


def test_every_statement_has_a_time_limit(settings):
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == f"{settings.DB_STATEMENT_TIMEOUT}s"
    assert settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] == settings.DB_CONNECT_TIMEOUT
