"""The customer's details at checkout: contact, delivery (pickup counter or address) and invoice, validated.

Mainland mobile numbers, 6-digit postal codes and taxpayer IDs of 15 to 20 letters and digits; every field
is cleaned (stripped, NUL characters dropped) and checked for length. Errors map form field names to
messages (``CheckoutError``).
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from catalog.models import Location
from core.text import clean_text, parse_id
from orders.checkout.errors import CheckoutError
from orders.models import DeliveryMethod

PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
POSTAL_CODE_RE = re.compile(r"[0-9]{6}")
TAX_ID_RE = re.compile(r"[0-9A-Z]{15,20}")


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Delivery:
    """How the order reaches the customer: ``pickup`` at ``pickup_location`` or ``delivery`` to the address."""

    method: str
    pickup_location: object = None
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""
    # Shoppers give a postal code; a bulk order's recipients (uploaded lists) and addresses may have none.
    requires_postal_code: bool = True


@dataclass(frozen=True)
class Invoice:
    """A request for a fapiao (发票): the title, and the taxpayer ID for a company."""

    title: str = ""
    tax_id: str = ""


def normalize_phone(phone: str) -> str:
    """Drop spaces, hyphens and a +86 prefix; mainland mobile numbers are then 11 digits starting 1[3-9]."""
    phone = re.sub(r"[\s-]", "", clean_text(phone))
    return phone.removeprefix("+86")


def validate_checkout(
    contact: Contact, delivery: Delivery, invoice: Invoice | None, note: str
) -> tuple[dict[str, object], Location | None]:
    """The order's contact, address and invoice fields, cleaned; or a ``CheckoutError`` with field errors."""
    errors: dict[str, list[str]] = {}
    fields: dict[str, object] = {}

    def required(name: str, value: str, max_length: int, message: str) -> str:
        value = clean_text(value)
        if not value:
            errors.setdefault(name, []).append(message)
        elif len(value) > max_length:
            errors.setdefault(name, []).append(_("Use at most %(max)d characters.") % {"max": max_length})
        return value

    fields["contact_name"] = required("name", contact.name, 64, _("Enter your name."))
    phone = normalize_phone(contact.phone)
    if not PHONE_RE.fullmatch(phone):
        errors.setdefault("phone", []).append(_("Enter a mainland China mobile number (11 digits, starting with 1)."))
    fields["contact_phone"] = phone
    email = clean_text(contact.email)  # optional: order messages go to the mobile number by SMS
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(_("Enter a valid e-mail address."))
    fields["contact_email"] = email

    method = delivery.method
    pickup_location = None
    if method not in DeliveryMethod.values:
        errors.setdefault("method", []).append(_("Choose pickup at a counter or delivery to an address."))
    elif method == DeliveryMethod.PICKUP:
        pk = parse_id(delivery.pickup_location)
        pickup_location = (
            Location.objects.filter(pk=pk, kind=Location.Kind.COUNTER, is_active=True).first() if pk else None
        )
        if pickup_location is None:
            errors.setdefault("pickup_location", []).append(_("Choose a counter to collect your order from."))
    else:
        fields["province"] = required("province", delivery.province, 32, _("Enter the province."))
        fields["city"] = required("city", delivery.city, 32, _("Enter the city."))
        fields["district"] = required("district", delivery.district, 32, _("Enter the district."))
        fields["street"] = required("street", delivery.street, 200, _("Enter the street address."))
        postal_code = clean_text(delivery.postal_code)
        if (postal_code or delivery.requires_postal_code) and not POSTAL_CODE_RE.fullmatch(postal_code):
            errors.setdefault("postal_code", []).append(_("Enter a 6-digit postal code."))
        fields["postal_code"] = postal_code
    fields["delivery_method"] = method

    if invoice is not None and (clean_text(invoice.title) or clean_text(invoice.tax_id)):
        fields["invoice_requested"] = True
        fields["invoice_title"] = required(
            "invoice_title", invoice.title, 128, _("Enter the invoice title (your name or the company's).")
        )
        tax_id = clean_text(invoice.tax_id).upper()
        if tax_id and not TAX_ID_RE.fullmatch(tax_id):
            errors.setdefault("invoice_tax_id", []).append(
                _("A taxpayer ID has 15 to 20 letters and digits (18 for a unified social credit code).")
            )
        fields["invoice_tax_id"] = tax_id

    note = clean_text(note)
    if len(note) > 500:
        errors.setdefault("note", []).append(_("Use at most %(max)d characters.") % {"max": 500})
    fields["note"] = note

    if errors:
        raise CheckoutError(errors)
    return fields, pickup_location
