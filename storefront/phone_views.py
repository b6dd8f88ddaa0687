"""Sign-in (and sign-up) by mobile number with an SMS code, and adding a verified mobile from the account page.

The number being verified waits in the session between the two pages (``STATE``). Sending and entering codes are
rate-limited per client address and per number (``storefront.ratelimit``'s counters), failing closed (503 "try again
shortly") when the cache is down; what a number's owner may do is decided in ``storefront.phone_sign_in``. Every
answer up to a right code is the same whether the number has an account or not.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from storefront.cart import adopt_guest_cart
from storefront.cart_views import safe_next
from storefront.phone_forms import CodeForm, DisplayNameForm, PhoneForm
from storefront.phone_sign_in import (
    CodeRejected,
    MobileTaken,
    PhoneSignInRefused,
    Purpose,
    ResendTooSoon,
    confirm_mobile,
    display_mobile,
    resend_wait,
    send_code,
    set_display_name,
    sign_in_with_code,
    verified_mobile,
)
from storefront.ratelimit import account_key, allow, client_address, limiter_unavailable, parse_rate, too_many_requests

logger = logging.getLogger(__name__)

STATE = "phone_sign_in"  # session: {"phone", "purpose", "next"}
SEND_SCOPE = "phone-code-send"
VERIFY_SCOPE = "phone-code-verify"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _refusal(request: HttpRequest, scope: str, budgets: list[tuple[str, str]]) -> HttpResponse | None:
    """Count this request against each ``(setting, key)`` budget; the 429 to answer once any is spent, the 503
    when the cache cannot count (these limits fail closed), or None to go on."""
    rates = [(parse_rate(getattr(settings, setting)), key) for setting, key in budgets]
    spent = []
    try:
        for rate, key in rates:
            if rate is not None and not allow(scope, request, rate, key=key):
                spent.append(rate)
    except Exception:  # whatever the cache backend raises when it is down
        logger.warning("Rate limiter unavailable for %s (failing closed)", scope)
        return limiter_unavailable(request)
    return too_many_requests(request, max(spent, key=lambda rate: rate.period)) if spent else None


def _send_refusal(request: HttpRequest, phone: str) -> HttpResponse | None:
    return _refusal(
        request,
        SEND_SCOPE,
        [
            ("PHONE_CODE_SEND_CLIENT_RATE_LIMIT", client_address(request)),
            ("PHONE_CODE_SEND_RATE_LIMIT", account_key(phone)),
        ],
    )


def _send(request: HttpRequest, phone: str, purpose: str, next_url: str) -> HttpResponse:
    """Text a code to ``phone`` (or say when another may be sent) and go to the page that takes it."""
    user = request.user if purpose == Purpose.ADD_MOBILE else None
    try:
        send_code(phone, purpose=purpose, user=user)
    except ResendTooSoon as exc:
        messages.info(request, str(exc))
    request.session[STATE] = {"phone": phone, "purpose": purpose, "next": next_url}
    return redirect("storefront:phone_code")


def _state(request: HttpRequest) -> dict | None:
    """The number waiting for its code in this session, if it is still this visitor's to verify."""
    state = request.session.get(STATE)
    if not isinstance(state, dict) or not state.get("phone"):
        return None
    if state.get("purpose") == Purpose.ADD_MOBILE and not request.user.is_authenticated:
        return None
    return state


def login_page(request: HttpRequest, *, phone_form: PhoneForm, next_url: str) -> HttpResponse:
    """The sign-in page, its phone form showing its errors (and the password form below it, empty)."""
    context = {
        "form": AuthenticationForm(request, label_suffix=""),
        "phone_form": phone_form,
        "next": next_url,
    }
    return render(request, "registration/login.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def phone_sign_in(request: HttpRequest) -> HttpResponse:
    """The number typed on the sign-in page: a code goes to it, whether or not an account has it."""
    if request.method != "POST":
        return redirect("storefront:login")
    next_url = safe_next(request, "")
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return login_page(request, phone_form=form, next_url=next_url)
    phone = form.cleaned_data["phone"]
    return _send_refusal(request, phone) or _send(request, phone, Purpose.SIGN_IN, next_url)


@require_http_methods(["GET", "HEAD", "POST"])
def phone_resend(request: HttpRequest) -> HttpResponse:
    """Another code to the number waiting in this session (once the last one is old enough)."""
    state = _state(request)
    if request.method != "POST":
        return redirect("storefront:phone_code" if state else "storefront:login")
    if state is None:
        return redirect("storefront:login")
    return _send_refusal(request, state["phone"]) or _send(request, state["phone"], state["purpose"], state["next"])


@require_http_methods(["GET", "HEAD", "POST"])
def phone_code(request: HttpRequest) -> HttpResponse:
    """The page that takes the code from the text message: signs in (or adds the number to the account)."""
    state = _state(request)
    if state is None:
        return redirect("storefront:account_mobile" if request.user.is_authenticated else "storefront:login")
    phone, purpose = state["phone"], state["purpose"]
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        refused = _refusal(
            request,
            VERIFY_SCOPE,
            [
                ("PHONE_CODE_VERIFY_RATE_LIMIT", client_address(request)),
                ("PHONE_CODE_VERIFY_RATE_LIMIT", account_key(phone)),
            ],
        )
        if refused is not None:
            return refused
        if form.is_valid():
            try:
                if purpose == Purpose.ADD_MOBILE:
                    return _mobile_confirmed(request, state, form.cleaned_data["code"])
                return _signed_in(request, state, form.cleaned_data["code"])
            except CodeRejected as exc:
                form.reject(str(exc))
            except (PhoneSignInRefused, MobileTaken) as exc:
                request.session.pop(STATE, None)
                messages.error(request, str(exc))
                return redirect("storefront:order_history" if request.user.is_authenticated else "storefront:login")
    context = {
        "form": form,
        "phone": display_mobile(phone),
        "purpose": purpose,
        "minutes": settings.PHONE_CODE_MINUTES,
        "resend_wait": resend_wait(phone),
    }
    return render(request, "storefront/account/phone_code.html", context)


def _signed_in(request: HttpRequest, state: dict, code: str) -> HttpResponse:
    user, created = sign_in_with_code(state["phone"], code)
    request.session.pop(STATE, None)
    login(request, user, backend=BACKEND)
    after = state.get("next") or reverse("storefront:order_history")
    if created:
        messages.success(request, _("Welcome! Your account has been created."))
        response = redirect(f"{reverse('storefront:account_name')}?{urlencode({'next': after})}")
    else:
        messages.success(request, _("You are logged in."))
        response = redirect(after)
    return adopt_guest_cart(request, response, user)


def _mobile_confirmed(request: HttpRequest, state: dict, code: str) -> HttpResponse:
    confirm_mobile(request.user, state["phone"], code)
    request.session.pop(STATE, None)
    messages.success(request, _("Your mobile number is verified."))
    return redirect(state.get("next") or reverse("storefront:order_history"))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="storefront:login")
def account_mobile(request: HttpRequest) -> HttpResponse:
    """Add (or change) the signed-in shopper's mobile number: a code goes to it, as for signing in."""
    form = PhoneForm(request.POST or None)
    next_url = safe_next(request, "")
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        return _send_refusal(request, phone) or _send(request, phone, Purpose.ADD_MOBILE, next_url)
    mobile = verified_mobile(request.user)
    context = {"form": form, "mobile": display_mobile(mobile) if mobile else "", "next": next_url}
    return render(request, "storefront/account/mobile.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="storefront:login")
def account_name(request: HttpRequest) -> HttpResponse:
    """What the shop should call the shopper: asked, optionally, right after signing up by phone."""
    next_url = safe_next(request, reverse("storefront:order_history"))
    form = DisplayNameForm(request.POST or None, initial={"name": request.user.get_full_name()})
    if request.method == "POST" and form.is_valid():
        set_display_name(request.user, form.cleaned_data["name"])
        return redirect(next_url)
    return render(request, "storefront/account/name.html", {"form": form, "next": next_url})
