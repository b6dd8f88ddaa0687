"""A shopper on a 390 px phone types pinyin into the header's search field, picks a suggestion with a tap,
and lands on the product; with the keyboard, Enter on a highlighted suggestion does the same. The list
fits the screen and axe finds nothing serious in the search form while it is open."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from demo import data
from tests.e2e.actions import AXE
from tests.e2e.site import ROOT, Site

PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "test-artifacts" / "e2e"))
GIFT_BOX = next(product for product in data.PRODUCTS if product.slug == "guicuo-navel-orange-gift-5kg")
AXE_ON_THE_SEARCH_FORM = """async () => {
  const result = await axe.run(document.querySelector("form.site-search"), {resultTypes: ["violations"]});
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact)).map((v) => v.id);
}"""


def open_suggestions(page: Page, typed: str) -> None:
    field = page.locator("#site-search-q")
    field.click()
    field.press_sequentially(typed, delay=60)
    expect(page.locator("#site-search-suggestions")).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")


@pytest.fixture
def phone(browser: Browser, site: Site) -> Iterator[Page]:
    """A touch phone at 390 x 844; fails the test on any Content-Security-Policy violation."""
    context = browser.new_context(
        base_url=site.base, locale="zh-CN", viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-suggestion-tapped.png"))
    context.close()
    assert not violations, violations


def test_a_shopper_taps_a_suggestion_while_typing_pinyin(phone: Page):
    phone.goto("/")
    open_suggestions(phone, "qich")

    expect(phone.get_by_role("option").first).to_contain_text("脐橙")
    box = phone.locator("#site-search-suggestions").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.evaluate(AXE.read_text())  # through DevTools, so the site's Content-Security-Policy does not refuse it
    assert phone.evaluate(AXE_ON_THE_SEARCH_FORM) == []

    phone.get_by_role("option", name=re.compile(GIFT_BOX.name)).tap()
    phone.wait_for_url(f"**/products/{GIFT_BOX.slug}/")
    expect(phone.locator("h1")).to_contain_text(GIFT_BOX.name)


def test_the_keyboard_moves_through_suggestions_and_enter_opens_one(page: Page):
    page.set_viewport_size(PHONE)
    page.goto("/products/")
    open_suggestions(page, "橙子")

    field = page.locator("#site-search-q")
    field.press("ArrowDown")
    first = page.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    name = first.evaluate("option => option.firstChild.textContent")  # without the synonym after it
    field.press("Enter")
    page.wait_for_url(re.compile(r"/products/[^/?]+/$"))
    expect(page.locator("h1")).to_contain_text(name)

    # Escape closes the list; Enter then searches, and the results say how many products matched.
    page.goto("/")
    open_suggestions(page, "橙子")
    page.locator("#site-search-q").press("Escape")
    expect(page.locator("#site-search-suggestions")).to_be_hidden()
    page.locator("#site-search-q").press("Enter")
    page.wait_for_url(re.compile(r"/products/\?q="))
    expect(page.locator(".listing__count")).to_contain_text(re.compile(r"\d+"))
    assert page.locator(".product-grid .product-card").count() >= 3
