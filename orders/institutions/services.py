"""Organisations: applying, registering and the operators' decisions (writes and rules).

Rules:
- a signed-in shopper applies with the organisation's details and a proof file; the organisation starts
  ``applied`` with the applicant as its buyer, and buys nothing until an operator verifies it;
- an operator (``orders.review_organisation``) registering an organisation in the back office verifies it at
  once; operators verify or reject an application, suspend a verified organisation and reinstate a suspended
  one; rejecting, suspending and reinstating need a reason; nobody reviews an organisation they are a member of;
- a unified social credit code belongs to one organisation that is not rejected (the database's partial unique
  index); a rejected applicant may apply again;
- every status change writes one ``OrganisationChange`` (who, when, why) in the same transaction, under the
  organisation's row lock, so two operators cannot both decide one application;
- the applicant hears of the decision by SMS and e-mail through the outbox, after commit.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import roles
from core.scopes import User
from orders.institutions import notifications
from orders.institutions.credit_code import normalise
from orders.institutions.selectors import can_review_organisations, member_organisation_ids
from orders.models import Membership, Organisation, OrganisationAddress, OrganisationChange

Status = Organisation.Status


class OrganisationError(Exception):
    """An organisation action the rules refuse; the message is shown to the user."""


@dataclass(frozen=True)
class AddressDetails:
    label: str
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    street: str


def _actor(user: User | None) -> AbstractBaseUser | None:
    return user if user is not None and user.is_authenticated else None


def _record(organisation: Organisation, to_status: str, actor: User | None, reason: str) -> None:
    OrganisationChange.objects.create(
        organisation=organisation,
        from_status="" if organisation._state.adding else organisation.status,
        to_status=to_status,
        actor=_actor(actor),
        reason=reason[:255],
    )


def credit_code_taken(credit_code: str, exclude_pk: int | None = None) -> bool:
    taken = Organisation.objects.filter(credit_code=credit_code).exclude(status=Status.REJECTED)
    return taken.exclude(pk=exclude_pk).exists() if exclude_pk else taken.exists()


def code_taken_message() -> str:
    return _("An organisation with this unified social credit code is already registered or applying.")


def sync_member_group(user: AbstractBaseUser) -> None:
    """Keep the user in the "Organisation members" role exactly while they belong to an organisation (it lets
    them into the back office, where they see their own organisations only)."""
    group = Group.objects.filter(name=roles.ORGANISATION_MEMBERS).first()
    if group is None:
        return
    if Membership.objects.filter(user=user).exists():
        user.groups.add(group)
    else:
        user.groups.remove(group)
    for cached in ("_dexiu_organisation_ids", "_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cached, None)


def apply_for_organisation(
    *,
    applicant: AbstractBaseUser,
    kind: str,
    name: str,
    credit_code: str,
    invoice_title: str,
    tax_number: str,
    contact_name: str,
    contact_phone: str,
    contact_email: str,
    address: AddressDetails,
    proof: UploadedFile | None,
) -> Organisation:
    """A signed-in shopper applies for their organisation; it waits for an operator with the applicant as buyer.

    The credit code must already be valid (the form checks it); a code in use is refused."""
    if not applicant.is_authenticated:
        raise OrganisationError(_("Sign in to apply for your organisation."))
    if kind not in Organisation.Kind.values:
        raise OrganisationError(_("Unknown kind of organisation."))
    if not proof:
        raise OrganisationError(_("Attach a proof of the organisation (business licence or a letter from the unit)."))
    credit_code = normalise(credit_code)
    if credit_code_taken(credit_code):
        raise OrganisationError(code_taken_message())
    organisation = Organisation(
        kind=kind,
        name=name.strip(),
        credit_code=credit_code,
        invoice_title=invoice_title.strip() or name.strip(),
        tax_number=normalise(tax_number) or credit_code,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        contact_email=contact_email.strip(),
        proof=proof,
        status=Status.APPLIED,
        created_by=applicant,
    )
    try:
        with transaction.atomic():
            _record_new(organisation, applicant, _("Applied through the shop"))
            OrganisationAddress.objects.create(organisation=organisation, **address.__dict__)
            Membership.objects.create(organisation=organisation, user=applicant, role=Membership.Role.BUYER)
    except IntegrityError as exc:  # the same code applied for at the same moment
        raise OrganisationError(code_taken_message()) from exc
    return organisation


def _record_new(organisation: Organisation, actor: User | None, reason: str) -> None:
    status = organisation.status
    organisation.save()
    OrganisationChange.objects.create(
        organisation=organisation, from_status="", to_status=status, actor=_actor(actor), reason=reason[:255]
    )


def register_organisation(organisation: Organisation, *, actor: User) -> Organisation:
    """An operator registers an organisation in the back office (with its addresses and members): it is verified
    at once, by them."""
    if not can_review_organisations(actor):
        raise OrganisationError(_("Only operators may register organisations."))
    organisation.credit_code = normalise(organisation.credit_code)
    if credit_code_taken(organisation.credit_code):
        raise OrganisationError(code_taken_message())
    organisation.status = Status.VERIFIED
    organisation.verified_by = _actor(actor)
    organisation.verified_at = timezone.now()
    organisation.created_by = _actor(actor)
    with transaction.atomic():
        _record_new(organisation, actor, _("Registered by an operator"))
    return organisation


# What each decision needs: the statuses it starts from, the status it leads to, whether a reason is required.
DECISIONS: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "verify": ((Status.APPLIED,), Status.VERIFIED, False),
    "reject": ((Status.APPLIED,), Status.REJECTED, True),
    "suspend": ((Status.VERIFIED,), Status.SUSPENDED, True),
    "reinstate": ((Status.SUSPENDED,), Status.VERIFIED, True),
}


def decisions_for(user: User, organisation: Organisation) -> list[str]:
    """The decisions the user may take on the organisation now: operators only, never on their own."""
    if not can_review_organisations(user) or organisation.pk in member_organisation_ids(user):
        return []
    return [name for name, (allowed, _to, _reason) in DECISIONS.items() if organisation.status in allowed]


def decide(organisation: Organisation, decision: str, *, actor: User, reason: str = "") -> Organisation:
    """An operator verifies, rejects, suspends or reinstates the organisation, recorded with who, when and why;
    the applicant is told of a verification or a rejection."""
    if decision not in DECISIONS:
        raise OrganisationError(_("Unknown decision."))
    if not can_review_organisations(actor):
        raise OrganisationError(_("Only operators may verify, reject or suspend organisations."))
    if organisation.pk in member_organisation_ids(actor):
        raise OrganisationError(_("You may not decide on an organisation you are a member of."))
    allowed, to_status, needs_reason = DECISIONS[decision]
    reason = (reason or "").strip()
    if needs_reason and not reason:
        raise OrganisationError(_("A reason is required."))
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if locked.status not in allowed:
            raise OrganisationError(
                _("This organisation is %(status)s: it cannot be changed so.") % {"status": locked.get_status_display()}
            )
        if to_status == Status.VERIFIED and decision == "verify":
            if credit_code_taken(locked.credit_code, exclude_pk=locked.pk):
                raise OrganisationError(code_taken_message())
            locked.verified_by, locked.verified_at = _actor(actor), timezone.now()
        _record(locked, to_status, actor, reason or _("Verified"))
        locked.status = to_status
        locked.save(update_fields=["status", "verified_by", "verified_at", "updated_at"])
        if decision == "verify":
            notifications.organisation_verified(locked)
        elif decision == "reject":
            notifications.organisation_rejected(locked, reason)
    organisation.refresh_from_db()
    return organisation
