"""What the applicant hears of an organisation's application: verified or rejected (with the reason).

Sent to the contact mobile number given in the application (SMS) and, when given, the contact e-mail address,
through the outbox inside the caller's transaction (``worker.outbox``), in Chinese (the shop's language).
Mainland SMS carry no links: the organisation's name is the reference.
"""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy

from orders.models import Organisation
from worker.models import Notification
from worker.outbox import enqueue
from worker.sms import register_template

SMS = Notification.Channel.SMS
EMAIL = Notification.Channel.EMAIL

SMS_TEMPLATES: dict[str, tuple[tuple[str, ...], Any]] = {
    "organisation_verified": (
        ("organisation",),
        gettext_lazy(
            "%(organisation)s is verified as an organisation buyer at Dexiu Market. Its members may order now."
        ),
    ),
    "organisation_rejected": (
        ("organisation", "reason"),
        gettext_lazy("The application of %(organisation)s at Dexiu Market was not accepted: %(reason)s"),
    ),
}


def register_sms_templates() -> None:
    """Let the outbox send these text messages (called once, by ``OrdersConfig.ready``)."""
    for name, (params, text) in SMS_TEMPLATES.items():
        register_template(name, params=params, text=text)


def _tell_applicant(organisation: Organisation, template: str, payload: dict[str, str]) -> None:
    key = f"organisation-{organisation.pk}-{template}-{organisation.changes.count()}"
    language = settings.LANGUAGE_CODE
    if organisation.contact_phone:
        enqueue(
            channel=SMS,
            template=template,
            recipient=organisation.contact_phone,
            payload=payload,
            language=language,
            key=f"{key}-sms",
        )
    if organisation.contact_email:
        enqueue(
            channel=EMAIL,
            template=template,
            recipient=organisation.contact_email,
            payload={**payload, "contact_name": organisation.contact_name},
            language=language,
            key=f"{key}-email",
        )


def organisation_verified(organisation: Organisation) -> None:
    """The applicant hears that the organisation is verified."""
    _tell_applicant(organisation, "organisation_verified", {"organisation": organisation.name})


def organisation_rejected(organisation: Organisation, reason: str) -> None:
    """The applicant hears that the application was rejected, and why."""
    _tell_applicant(organisation, "organisation_rejected", {"organisation": organisation.name, "reason": reason})
