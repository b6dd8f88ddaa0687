"""Content-Security-Policy: the shop allows only its own code and Stripe's; the admin its own policy."""

import re
from pathlib import Path

import pytest

from tests.fixtures.http import login

ROOT = Path(__file__).resolve().parent.parent.parent
STRIPE = {
    "https://js.stripe.com",
    "https://*.js.stripe.com",
    "https://hooks.stripe.com",
    "https://api.stripe.com",
    "https://*.stripe.com",
}


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def external_sources(policy: dict[str, list[str]]) -> set[str]:
    return {source for values in policy.values() for source in values if "://" in source}


def test_shop_pages_allow_only_their_own_code_and_stripe(client, db):
    policy = directives(client.get("/"))

    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert any(source.startswith("'nonce-") for source in policy["script-src"])
    assert "https://js.stripe.com" in policy["script-src"]
    assert "https://api.stripe.com" in policy["connect-src"]
    assert "https://hooks.stripe.com" in policy["frame-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["object-src"] == ["'none'"]
    assert external_sources(policy) <= STRIPE


def test_with_wechat_jsapi_forms_may_lead_to_wechats_sign_in(client, db, settings):
    """Placing an order (a form) inside WeChat redirects to the pay page, which sends the shopper to WeChat's OAuth
    for the openid JSAPI needs: form-action must allow that origin, or the browser blocks checkout."""
    assert directives(client.get("/"))["form-action"] == ["'self'"]  # JSAPI not configured: nothing more

    settings.WECHATPAY_OAUTH_SECRET = "secret"
    assert directives(client.get("/"))["form-action"] == ["'self'", "https://open.weixin.qq.com"]

    settings.WECHAT_OAUTH_BASE = "http://127.0.0.1:8123"  # a local stand-in
    assert directives(client.get("/"))["form-action"] == ["'self'", "http://127.0.0.1:8123"]


def test_each_response_gets_its_own_nonce(client, db):
    first, second = (directives(client.get("/"))["script-src"] for _ in range(2))

    assert first != second


def test_the_admin_has_its_own_policy_with_nothing_external(client, world):
    response = login(client, world.operator).get("/admin/")
    policy = directives(response)

    assert response.status_code == 200
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["script-src"]  # Wagtail's admin writes inline scripts
    assert external_sources(policy) == set()


@pytest.mark.parametrize(
    "template",
    [
        path
        for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
        if not {"email", "admin"} & {part.split("_")[0] for part in path.relative_to(ROOT).parts}
        and "wagtailadmin" not in path.parts
    ],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_shop_templates_have_no_inline_script_or_style_without_the_nonce(template):
    html = template.read_text()

    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", html)
    inline_styles = re.findall(r"<style(?![^>]*\bnonce=)[^>]*>|\bstyle=\"", html)

    assert not inline_scripts and not inline_styles, template
