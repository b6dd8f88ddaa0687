"""Signing up and in by mobile number on a 390 by 844 px phone: the number on the sign-in page (the password form
folded below it), the code from the text message (read from the outbox's row: the site sends SMS to its log), the
resend button counting down, an optional name, and the account page showing the verified number. Nothing wider than
the screen; axe finds no serious or critical problem; the site's CSP refuses nothing (the countdown is a script file).
"""

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.actions import no_overflow, serious_violations
from tests.e2e.site import ROOT, Site

PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "test-artifacts" / "e2e"))
NUMBER = "13953400001"  # no demo account has it


def shot(page: Page, name: str) -> None:
    """A screenshot of a step on the way (the last page is kept by the fixture)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-sign-in-{name}.png"), full_page=True)


def texted_code(site: Site, number: str) -> str:
    """The code in the last text message to ``number``: the site's console backend logs each text (the outbox
    keeps the code only until the message is sent)."""
    texts = [line for line in site.log_path.read_text(encoding="utf-8").splitlines() if f"SMS to +86{number} " in line]
    assert texts, "no code was texted"
    return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", texts[-1].split("): ", 1)[1]).group(0)


def test_sign_up_and_in_by_mobile_number_on_a_phone(page: Page, site: Site):
    page.set_viewport_size(PHONE)
    response = page.goto("/account/login/")
    assert response is not None and response.status == 200
    no_overflow(page)
    phone_form = page.locator('form[action="/account/phone/"]')
    expect(phone_form.locator('input[name="phone"]')).to_be_visible()
    expect(page.locator('input[name="password"]')).to_be_hidden()  # folded under "sign in with a password"
    assert serious_violations(page) == []
    shot(page, "1-login")

    phone_form.locator('input[name="phone"]').fill("139 5340 0001")
    phone_form.locator('button[type="submit"]').click()
    page.wait_for_url("**/account/phone/code/")
    no_overflow(page)
    expect(page.locator("main")).to_contain_text("139 5340 0001")
    resend = page.locator("[data-resend-wait]")
    expect(resend).to_be_disabled()
    expect(resend).to_have_text(re.compile(r"\b(60|59|58)\b"))  # counting down
    assert serious_violations(page) == []
    box = page.locator('input[name="code"]').bounding_box()
    assert box is not None and box["height"] >= 44
    shot(page, "2-code")

    page.locator('input[name="code"]').fill(texted_code(site, NUMBER))
    page.locator('form[action="/account/phone/code/"] button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/account/name/\?next="))
    no_overflow(page)
    shot(page, "3-name")
    page.locator('input[name="name"]').fill("王芳")
    page.locator('form[action="/account/name/"] button[type="submit"]').click()

    page.wait_for_url("**/account/orders/")
    no_overflow(page)
    summary = page.locator(".account-summary")
    expect(summary).to_contain_text("王芳")
    expect(summary).to_contain_text("139 5340 0001")
    assert serious_violations(page) == []
