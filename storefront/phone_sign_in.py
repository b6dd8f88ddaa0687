"""Sign-in and sign-up by mobile number with a code sent by SMS; adding a verified mobile to an account.

Rules:
- Numbers are mainland mobiles, normalised as checkout does (``orders.checkout.normalize_phone``): 11 digits.
- A code is 6 random digits, sent by SMS through the outbox (``storefront.notifications``), valid
  ``PHONE_CODE_MINUTES``. Only its salted HMAC (keyed with ``SECRET_KEY``) is stored: a copy of the database alone
  does not give the codes away, not even by trying all million of them.
- One number has one live code: a new one replaces the last, and is sent no sooner than ``PHONE_CODE_RESEND_SECONDS``
  after it (``ResendTooSoon``). A code is used once; ``PHONE_CODE_MAX_ATTEMPTS`` wrong tries make it void; every
  refusal is the same ``CodeRejected``, whatever the reason.
- Everything about one number happens under a PostgreSQL advisory lock of that number, so two entries of one code
  at once sign in once, and two new accounts can never be made for one number.
- Signing in with a number no account has verified creates one (unusable password, display name optional); a
  number verified on an account signs in to that account. Accounts with back-office access sign in with their
  password only (``PhoneSignInRefused``): an SMS code is not enough to reach the admin.
- A signed-in shopper adds or changes their mobile with a code too (``confirm_mobile``); a number verified on
  another account is refused (``MobileTaken``) — said only to whoever proved they hold the number.
- Nothing here says whether a number has an account before its code was entered correctly.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from orders.checkout import normalize_phone
from orders.checkout.details import PHONE_RE
from storefront.models import ShopperProfile, SignInCode
from storefront.notifications import send_sign_in_code

CODE_DIGITS = 6
HMAC_SALT = "storefront.phone_sign_in.code"
LOCK_NAMESPACE = 7_314_002  # pg_advisory_xact_lock(namespace, hashtext(number)); 7_314_001 is availability's
GENERATED_USERNAME_PREFIX = "mobile-"

Purpose = SignInCode.Purpose
Status = SignInCode.Status


class CodeRejected(Exception):
    """The code is wrong, expired, used, void or replaced: one message for all of them."""

    def __init__(self) -> None:
        super().__init__(_("The code is wrong or has expired."))


class ResendTooSoon(Exception):
    """A code went to this number moments ago; another may be sent in ``seconds``."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(_("Please wait %(seconds)d seconds before asking for a new code.") % {"seconds": seconds})


class PhoneSignInRefused(Exception):
    """The code was right, but the account behind the number may not sign in with it."""


class MobileTaken(Exception):
    """The code was right, but the number is verified on another account."""

    def __init__(self) -> None:
        super().__init__(_("This mobile number belongs to another account. Sign in with it by code instead."))


@dataclass(frozen=True)
class SentCode:
    """What the shopper is told after a code was sent: until when it works, and when another may be asked for."""

    phone: str
    expires_at: datetime
    resend_at: datetime


# --- numbers ---------------------------------------------------------------------------------------------


def mainland_mobile(value: str) -> str | None:
    """The 11-digit mainland mobile number in ``value`` (spaces, hyphens and +86 allowed), or None."""
    phone = normalize_phone(value or "")
    return phone if PHONE_RE.fullmatch(phone) else None


def display_mobile(phone: str) -> str:
    """``13800138000`` → ``138 0013 8000``, as people read and say it."""
    return f"{phone[:3]} {phone[3:7]} {phone[7:]}" if len(phone) == 11 else phone


# --- reads -----------------------------------------------------------------------------------------------


def verified_mobile(user: AbstractBaseUser) -> str:
    """The signed-in shopper's verified mobile number, or ""."""
    if not user.is_authenticated:
        return ""
    return ShopperProfile.objects.filter(user=user).values_list("mobile", flat=True).first() or ""


def contact_initial(user: AbstractBaseUser) -> dict[str, str]:
    """A signed-in shopper's contact details to start checkout with: name, e-mail, verified mobile.

    The user name stands in for the name only when the shopper chose it (accounts with a password): accounts made
    by signing in with a code have a generated one.
    """
    name = user.get_full_name() or (user.get_username() if user.has_usable_password() else "")
    return {"name": name, "email": user.email, "phone": verified_mobile(user)}


def resend_wait(phone: str, *, now: datetime | None = None) -> int:
    """Seconds before another code may be sent to ``phone`` (0: now)."""
    last = SignInCode.objects.filter(phone=phone).order_by("-created_at").values_list("created_at", flat=True).first()
    return _seconds_until(last, now or timezone.now())


def _seconds_until(last_sent: datetime | None, now: datetime) -> int:
    if last_sent is None:
        return 0
    remaining = (last_sent + timedelta(seconds=settings.PHONE_CODE_RESEND_SECONDS) - now).total_seconds()
    return max(0, int(-(-remaining // 1)))  # whole seconds, rounded up


# --- codes -----------------------------------------------------------------------------------------------


def _digest(salt: str, phone: str, code: str) -> str:
    return salted_hmac(HMAC_SALT, f"{salt}:{phone}:{code}", algorithm="sha256").hexdigest()


def _hash(phone: str, code: str) -> str:
    salt = secrets.token_hex(8)
    return f"{salt}${_digest(salt, phone, code)}"


def _matches(row: SignInCode, code: str) -> bool:
    salt, _sep, digest = row.code_hash.partition("$")
    return constant_time_compare(_digest(salt, row.phone, code), digest)


def _lock_number(phone: str) -> None:
    """Serialise everything about one number until the transaction ends (SQLite, ``make run`` only, serialises
    every write anyway)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, phone])


def send_code(phone: str, *, purpose: str = Purpose.SIGN_IN, user: AbstractBaseUser | None = None) -> SentCode:
    """Make a new code for ``phone`` (replacing any live one) and text it, in the request's language.

    ``phone`` is a normalised mainland mobile (``mainland_mobile``); ``user`` is the signed-in account adding the
    number (``Purpose.ADD_MOBILE``). Raises ``ResendTooSoon`` within ``PHONE_CODE_RESEND_SECONDS`` of the last code.
    Looks at no account: the answer is the same for every number.
    """
    if mainland_mobile(phone) != phone:
        raise ValueError("send_code takes a normalised mainland mobile number")
    if (purpose == Purpose.ADD_MOBILE) != (user is not None):
        raise ValueError("a code to add a mobile number belongs to the signed-in account; a sign-in code to none")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = settings.PHONE_CODE_MINUTES
    with transaction.atomic():
        _lock_number(phone)
        now = timezone.now()
        wait = _seconds_until(
            SignInCode.objects.filter(phone=phone).order_by("-created_at").values_list("created_at", flat=True).first(),
            now,
        )
        if wait:
            raise ResendTooSoon(wait)
        SignInCode.objects.filter(phone=phone, status=Status.ACTIVE).update(status=Status.REPLACED)
        row = SignInCode.objects.create(
            phone=phone,
            purpose=purpose,
            user=user,
            code_hash=_hash(phone, code),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        send_sign_in_code(code_id=row.pk, phone=phone, code=code, minutes=minutes, language=get_language())
    return SentCode(
        phone=phone,
        expires_at=row.expires_at,
        resend_at=now + timedelta(seconds=settings.PHONE_CODE_RESEND_SECONDS),
    )


def _use_code(phone: str, code: str, *, purpose: str, user: AbstractBaseUser | None) -> bool:
    """Inside the number's lock: mark the live code used if ``code`` is it (True); else count a wrong try (False)."""
    now = timezone.now()
    row = (
        SignInCode.objects.select_for_update()
        .filter(phone=phone, status=Status.ACTIVE, purpose=purpose, user=user)
        .order_by("-created_at")
        .first()
    )
    if row is None or row.expires_at <= now:
        return False
    if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit() and _matches(row, code)):
        row.failed_attempts += 1
        if row.failed_attempts >= settings.PHONE_CODE_MAX_ATTEMPTS:
            row.status = Status.VOID
        row.save(update_fields=["failed_attempts", "status"])
        return False
    row.status, row.used_at = Status.USED, now
    row.save(update_fields=["status", "used_at"])
    return True


def _has_back_office_access(user: AbstractBaseUser) -> bool:
    return user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin")


def _new_shopper(phone: str, now: datetime) -> AbstractBaseUser:
    """An account for a number seen for the first time: a generated user name, no password, the number verified."""
    users = get_user_model()
    username = f"{GENERATED_USERNAME_PREFIX}{phone}"
    if users.objects.filter(username=username).exists():  # only if someone chose it as their user name
        username = f"{username}-{secrets.token_hex(3)}"
    user = users(username=username)
    user.set_unusable_password()
    user.save()
    ShopperProfile.objects.create(user=user, mobile=phone, mobile_verified_at=now)
    return user


def sign_in_with_code(phone: str, code: str) -> tuple[AbstractBaseUser, bool]:
    """The account to sign in for ``phone`` once ``code`` is right, and whether it was just created.

    A wrong code counts (and is kept counted) before ``CodeRejected`` is raised; ``PhoneSignInRefused`` for an
    inactive account or one with back-office access (the code is used up either way).
    """
    code = (code or "").strip()
    refused: Exception | None = None
    with transaction.atomic():
        _lock_number(phone)
        if not _use_code(phone, code, purpose=Purpose.SIGN_IN, user=None):
            refused = CodeRejected()
        else:
            profile = ShopperProfile.objects.select_related("user").filter(mobile=phone).first()
            if profile is None:
                return _new_shopper(phone, timezone.now()), True
            user = profile.user
            if not user.is_active:
                refused = PhoneSignInRefused(_("This account is closed. Please contact us."))
            elif _has_back_office_access(user):
                refused = PhoneSignInRefused(
                    _("Accounts with back-office access sign in with their user name and password.")
                )
            else:
                return user, False
    raise refused  # after the commit: the wrong try, or the used code, stays recorded


def confirm_mobile(user: AbstractBaseUser, phone: str, code: str) -> ShopperProfile:
    """Record ``phone`` as the signed-in ``user``'s verified mobile once ``code`` (sent for it) is right.

    Raises ``CodeRejected`` (the wrong try counted), or ``MobileTaken`` when another account has verified it.
    """
    code = (code or "").strip()
    refused: Exception | None = None
    with transaction.atomic():
        _lock_number(phone)
        if not _use_code(phone, code, purpose=Purpose.ADD_MOBILE, user=user):
            refused = CodeRejected()
        elif ShopperProfile.objects.filter(mobile=phone).exclude(user=user).exists():
            refused = MobileTaken()
        else:
            try:
                with transaction.atomic():
                    profile, _created = ShopperProfile.objects.update_or_create(
                        user=user, defaults={"mobile": phone, "mobile_verified_at": timezone.now()}
                    )
            except IntegrityError:  # made verified elsewhere meanwhile (the number's lock makes this unlikely)
                refused = MobileTaken()
            else:
                return profile
    raise refused


def delete_old_codes(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget codes sent longer ago than ``older_than`` (far beyond any code's life and the resend interval)."""
    deleted, _by_model = SignInCode.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def set_display_name(user: AbstractBaseUser, name: str) -> None:
    """What the shop calls the shopper (and offers as the recipient at checkout); empty clears it."""
    user.first_name = " ".join((name or "").split())[:150]
    user.last_name = ""
    user.save(update_fields=["first_name", "last_name"])
