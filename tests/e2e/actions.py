"""Steps several journeys share: signing in to the back office, running axe."""

import re
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}


def admin_login(page: Page, username: str) -> None:
    """Sign in to the Wagtail admin as a demo user (password ``demo-<name>``)."""
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"demo-{username}")
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    page.evaluate(AXE.read_text())  # through DevTools, so the site's Content-Security-Policy does not refuse it
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in result["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


# Elements sticking out of the viewport on either side (visually hidden ones are 1 px and clipped), and
# elements wider than it. What a sideways-scrolling row (overflow-x: auto, inside the viewport) holds
# beyond the screen is scrolled to, not cut off: the row itself is checked, its contents are not.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const inScrollingRow = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(parent).overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    const outside = box.width && (box.right > width + 0.5 || box.left < -0.5);
    if (box.width > width + 0.5 || (outside && !inScrollingRow(element))) {
      const name = `${element.tagName.toLowerCase()}.${element.className}`;
      out.push(`${name} ${Math.round(box.left)}-${Math.round(box.right)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 10)};
}"""


def no_overflow(page: Page) -> None:
    found = page.evaluate(OVERFLOWING)
    assert found["scroll"] <= found["width"] and found["out"] == [], found


PAY_PAGE = re.compile(r"/orders/[^/]+/pay/(#.*)?$")  # back from WeChat's sign-in, with its #wechat_redirect


def place_pickup_order(page: Page, name: str, phone: str, counter: str = "", email: str = "") -> str:
    """Fill the checkout page open in ``page`` for pickup (at the counter named ``counter``, else the first
    offered), place the order and land on its pay page; the order's number."""
    page.fill("input[name=name]", name)
    page.fill("input[name=phone]", phone)
    if email:
        page.fill("input[name=email]", email)
    page.check("input[name=method][value=pickup]")
    choices = page.locator(".counter-choices li")
    (choices.filter(has_text=counter) if counter else choices).first.locator("input").check()
    page.locator("form.checkout-form button.button--large").click()
    page.wait_for_url(PAY_PAGE)  # straight on to paying
    return re.search(r"DX\d{8}-\d+", page.locator("h1").inner_text()).group(0)


# Controls a thumb taps that are less than 44 px tall, among those shown. Links inside running text (a paragraph,
# a table cell, a definition, the breadcrumbs) are left out, as is a checkbox or radio button whose label is the
# target.
SMALL_TARGETS = """() => {
  const out = [];
  const controls = "a[href], button, input:not([type=hidden]), select, summary, textarea";
  for (const element of document.querySelectorAll(controls)) {
    const box = element.getBoundingClientRect();
    // Not shown (in a closed drawer, hidden), or clipped to a pixel for screen readers only.
    if (!element.checkVisibility({visibilityProperty: true}) || box.width <= 1 || box.height <= 1) continue;
    if (element.closest("p, td, dd, .breadcrumbs, .skip-link")) continue;
    if (["checkbox", "radio"].includes(element.type) && element.labels && element.labels.length
        && element.labels[0].getBoundingClientRect().height >= 43.5) continue;
    if (box.height < 43.5) {
      const text = (element.innerText || element.value || "").trim().slice(0, 20);
      out.push(`${element.tagName.toLowerCase()}.${element.className} "${text}" ${Math.round(box.height)} px`);
    }
  }
  return out;
}"""
