"""Content-Security-Policy on every response (Django 5.2 has none built in; a few lines here rather
than one more dependency).

The shop and the editorial pages: only this site's own scripts, styles and images, plus Stripe's
origins for the pay page (Stripe.js, its API, its frames); inline scripts only with this response's
nonce (``request.csp_nonce``; there are none today). The Wagtail admin (``/admin/``) still writes
inline scripts and style attributes (date choosers, some widgets), so its own policy allows inline
code, and nothing external either.

Pages cached whole for anonymous visitors (``storefront.page_cache``) must not use the nonce.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings

STRIPE_SCRIPTS = ("https://js.stripe.com", "https://*.js.stripe.com")
STRIPE_FRAMES = ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com")
STRIPE_CONNECT = ("https://api.stripe.com",)
STRIPE_IMAGES = ("https://*.stripe.com",)
WECHAT_SIGN_IN = "https://open.weixin.qq.com"  # WeChat's OAuth authorize page (JSAPI's openid)
ADMIN_PREFIX = "/admin/"


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _join(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(dict.fromkeys(values))}" for name, values in directives.items())


def _wechat_sign_in() -> str | None:
    """WeChat's OAuth origin while JSAPI is configured: inside WeChat, placing an order (a form) redirects to the
    pay page, which redirects to WeChat's sign-in for the shopper's openid, and ``form-action`` covers every
    redirect after a form is sent."""
    if not getattr(settings, "WECHATPAY_OAUTH_SECRET", ""):
        return None
    return _origin(getattr(settings, "WECHAT_OAUTH_BASE", "")) or WECHAT_SIGN_IN


def shop_policy(nonce: str) -> str:
    # A Stripe.js or API address configured for a test peer (localstripe) is allowed too.
    js_origin, api_origin = _origin(settings.STRIPE_JS_URL), _origin(settings.STRIPE_API_BASE)
    return _join(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'", f"'nonce-{nonce}'", *STRIPE_SCRIPTS, *filter(None, [js_origin])],
            "style-src": ["'self'"],
            "img-src": ["'self'", "data:", *STRIPE_IMAGES],
            "font-src": ["'self'"],
            "connect-src": ["'self'", *STRIPE_CONNECT, *filter(None, [api_origin, js_origin])],
            "frame-src": ["'self'", *STRIPE_FRAMES, *filter(None, [js_origin])],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'", *filter(None, [_wechat_sign_in()])],
            "frame-ancestors": ["'self'"],  # Wagtail's preview shows pages inside the admin
        }
    )


def admin_policy() -> str:
    return _join(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'", "'unsafe-inline'"],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:", "blob:"],
            "font-src": ["'self'", "data:"],
            "connect-src": ["'self'"],
            "frame-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'self'"],
        }
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            admin = request.path_info.startswith(ADMIN_PREFIX)
            response["Content-Security-Policy"] = admin_policy() if admin else shop_policy(request.csp_nonce)
        return response
