"""What the shop's accounts send: the sign-in code, by text message (SMS) through the outbox (``worker.outbox``).

The template is registered with the outbox from ``StorefrontConfig.ready``; its text is what the template
registered with the SMS provider says (.env.example lists it for registration, with a suggested Chinese text).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from worker.models import Notification
from worker.outbox import enqueue
from worker.sms import register_template

LOGIN_CODE = "login_code"

# Each text message: its parameters (payload keys) in the order the provider's template numbers them ({1}, {2}),
# and its text. Mainland SMS carry no links.
SMS_TEMPLATES: dict[str, tuple[tuple[str, ...], Any]] = {
    LOGIN_CODE: (
        ("code", "minutes"),
        gettext_lazy("Your Dexiu Market sign-in code is %(code)s, valid for %(minutes)s minutes. Do not share it."),
    ),
}


# A sign-in code is for the shopper's eyes only: hidden in the back office, blanked once sent.
SECRET_PARAMS = {LOGIN_CODE: ("code",)}


def register_sms_templates() -> None:
    """Let the outbox send the accounts' text messages (called once, by ``StorefrontConfig.ready``)."""
    for name, (params, text) in SMS_TEMPLATES.items():
        register_template(name, params=params, text=text, secret=SECRET_PARAMS.get(name, ()))


def send_sign_in_code(*, code_id: int, phone: str, code: str, minutes: int, language: str) -> Notification:
    """Text ``code`` to ``phone`` (in the caller's transaction, once per code row)."""
    return enqueue(
        channel=Notification.Channel.SMS,
        template=LOGIN_CODE,
        recipient=phone,
        payload={"code": code, "minutes": str(minutes)},
        language=language,
        key=f"sign-in-code-{code_id}",
    )
