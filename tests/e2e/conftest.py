"""Browser tests: Playwright drives Debian's Chromium against the site served by a real server process.

The site gets its own PostgreSQL database (the suite's name + ``_e2e``) with the demo data, so the
journeys use the demo users. Each test leaves a screenshot of its last page in ``E2E_ARTIFACTS``
(default ``test-artifacts/e2e``), and the page's HTML as well when it failed.

Every test collected here gets the ``e2e`` marker, so ``pytest -m "not e2e"`` leaves them all out.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.site import ROOT, Site, recreate_database

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "test-artifacts" / "e2e"))
HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/e2e`` ``e2e`` (the hook sees the whole session's items)."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    database_url = recreate_database(os.environ["DATABASE_URL"])
    server = Site(database_url, tmp_path_factory.mktemp("e2e-site"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def _new_page(browser: Browser, site: Site) -> Page:
    context = browser.new_context(base_url=site.base, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Whatever the site's Content-Security-Policy refuses shows as a console error; the test fails on it.
    page.csp_violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.csp_violations.append(message.text),
    )
    return page


def _keep_artifacts(request, pages: list[Page]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    for index, page in enumerate(pages):
        stem = request.node.name + (f"-{index}" if index else "")
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        if failed:
            (ARTIFACTS / f"{stem}.html").write_text(page.content(), encoding="utf-8")
        page.context.close()


@pytest.fixture
def open_page(request, browser: Browser, site: Site):
    """Open a fresh browser session (its own cookies) on the site; call it again for another user."""
    pages: list[Page] = []

    def open_() -> Page:
        page = _new_page(browser, site)
        pages.append(page)
        return page

    yield open_
    violations = [text for page in pages for text in page.csp_violations]
    _keep_artifacts(request, pages)
    assert not violations, violations


@pytest.fixture
def page(open_page) -> Page:
    return open_page()
