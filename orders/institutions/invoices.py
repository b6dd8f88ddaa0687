"""Invoices (发票) of a paid bulk order, one ``InvoiceRequest`` per merchant part, and the organisation's sign-off.

Rules:
- who sees a request: the members of its merchant, the members of its bulk order's organisation (any role) and
  operators (``orders.review_organisation``); anyone else is answered 404, as if it did not exist
  (``requests_for_merchant_user``, ``bulk_for_user_or_404``, ``can_download``);
- ``issue_invoice``: a member of the request's merchant, or an operator, while it is ``requested`` (at first, or
  again after an operator asked for a new invoice). It takes an invoice number (8 to 20 digits; a 全电发票 number
  has 20), a file, or both. The file is a PDF (starts with ``%PDF-``) or an OFD (a zip archive with ``OFD.xml``
  at its root, read from the archive's directory only, never extracted) of at most 10 MB; it is stored in the
  private storage under a name of our own (the uploaded name is ignored) and served only to those who see the
  request. The organisation's buyers and finance members hear of it by e-mail;
- ``sign_off``: a buyer or finance member of the organisation confirms goods received and invoice checked, only
  while the request is ``issued``; who and when are recorded;
- ``dispute``: a buyer or finance member, while ``issued``, with a reason: the request becomes ``disputed`` and
  the bulk order is flagged for review (``needs_review``);
- ``resolve``: operators only, while ``disputed``, with a resolution: ``reissue`` sends it back to ``requested``
  (its number and file cleared, the file deleted once committed) or ``accept`` signs it off (the operator
  recorded as who signed off);
- when every request of a paid bulk order is signed off, the bulk order is completed (``lifecycle.move`` with
  ``completed_at``), once: every write here locks the bulk order's row (``lifecycle.lock``) and then the
  request's row (``select_for_update``), in that order, so two sign-offs of the last two parts are serialised
  and the second one sees the first's and completes the bulk order.
"""

import re
import zipfile
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.selectors import member_merchant_ids
from core.money import format_fen
from core.scopes import User
from core.text import clean_text
from orders.institutions.bulk import drafts_for_user
from orders.institutions.lifecycle import lock, move
from orders.institutions.selectors import can_review_organisations, member_organisation_ids, roles_in
from orders.models import BulkOrder, InvoiceRequest, Membership
from worker.models import Notification
from worker.outbox import enqueue

Status = InvoiceRequest.Status

INVOICE_NUMBER = re.compile(r"[0-9]{8,20}")
MAX_INVOICE_FILE_BYTES = 10 * 1024 * 1024
MAX_OFD_ENTRIES = 10_000
SIGNING_ROLES = frozenset({Membership.Role.BUYER, Membership.Role.FINANCE})
OUTCOMES = ("reissue", "accept")


class InvoiceError(Exception):
    """A change an invoice request refuses; the message is for the person who asked."""


# Who may do what ----------------------------------------------------------------------------------------------


def is_operator(user: User) -> bool:
    """Operators (and superusers) act on every merchant's invoices and resolve disputes."""
    return can_review_organisations(user)


def is_merchant_member(user: User, invoice_request: InvoiceRequest) -> bool:
    return invoice_request.merchant_id in member_merchant_ids(user)


def can_issue(user: User, invoice_request: InvoiceRequest) -> bool:
    """A member of the request's merchant, or an operator."""
    return is_merchant_member(user, invoice_request) or is_operator(user)


def can_sign(user: User, bulk_order: BulkOrder) -> bool:
    """A buyer or a finance member of the bulk order's organisation signs off and disputes its invoices."""
    return bool(SIGNING_ROLES & roles_in(user, bulk_order.organisation))


def can_download(user: User, invoice_request: InvoiceRequest) -> bool:
    """The merchant's members, the organisation's members and operators: those who see the request."""
    if not user.is_authenticated:
        return False
    return (
        is_merchant_member(user, invoice_request)
        or invoice_request.bulk_order.organisation_id in member_organisation_ids(user)
        or is_operator(user)
    )


# Reads ---------------------------------------------------------------------------------------------------------


def requests_for_merchant_user(user: User) -> QuerySet[InvoiceRequest]:
    """The back office's rows: every request for operators, their merchants' for merchant members, else none."""
    queryset = InvoiceRequest.objects.select_related("bulk_order__organisation", "merchant").order_by("-pk")
    if not user.is_authenticated:
        return queryset.none()
    if is_operator(user):
        return queryset
    return queryset.filter(merchant_id__in=member_merchant_ids(user))


def request_for_merchant_user_or_404(user: User, pk: int) -> InvoiceRequest:
    """A request the user sees in the back office; 404 for another merchant's (or a missing) one."""
    found = requests_for_merchant_user(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def bulk_for_user_or_404(user: User, pk: int) -> BulkOrder:
    """A bulk order of the user's organisations (any for operators); 404 for another organisation's."""
    try:
        return drafts_for_user(user).get(pk=pk)
    except BulkOrder.DoesNotExist:
        raise Http404 from None


def requests_of_bulk(bulk_order: BulkOrder) -> QuerySet[InvoiceRequest]:
    """The bulk order's parts, one per merchant, with their merchants, by merchant name."""
    return bulk_order.invoice_requests.select_related("merchant", "bulk_order__organisation", "signed_off_by").order_by(
        "merchant__name", "pk"
    )


def request_of_bulk_or_404(bulk_order: BulkOrder, pk: int) -> InvoiceRequest:
    found = requests_of_bulk(bulk_order).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# File and number checks ----------------------------------------------------------------------------------------


def clean_invoice_number(value: str) -> str:
    """The number without spaces; refused unless it is 8 to 20 digits (empty stays empty)."""
    number = re.sub(r"\s+", "", clean_text(value))
    if number and not INVOICE_NUMBER.fullmatch(number):
        raise InvoiceError(_("An invoice number has 8 to 20 digits (20 for a fully digital invoice, 全电发票)."))
    return number


def _is_ofd(file: IO[bytes]) -> bool:
    """A zip archive whose directory names ``OFD.xml`` at its root (nothing is extracted or decompressed)."""
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_OFD_ENTRIES:
                return False
            return any(info.filename.lower() == "ofd.xml" and not info.is_dir() for info in infos)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return False


def invoice_file_kind(file: File) -> str:
    """``"pdf"`` or ``"ofd"``; ``InvoiceError`` for an empty, oversized or other file."""
    size = file.size
    if not size:
        raise InvoiceError(_("The invoice file is empty."))
    if size > MAX_INVOICE_FILE_BYTES:
        raise InvoiceError(_("The invoice file is larger than 10 MB."))
    try:
        file.seek(0)
        head = file.read(5)
        file.seek(0)
        if head == b"%PDF-":
            return "pdf"
        if head[:4] == b"PK\x03\x04" and _is_ofd(file):
            return "ofd"
    finally:
        file.seek(0)
    raise InvoiceError(_("The invoice must be a PDF or an OFD file."))


def _file_name(invoice_request: InvoiceRequest, kind: str) -> str:
    bulk_order = invoice_request.bulk_order
    reference = bulk_order.number or f"bulk{bulk_order.pk}"
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    return f"{reference}-{invoice_request.merchant_id}-{stamp}.{kind}"


def _delete_after_commit(invoice_request: InvoiceRequest, name: str) -> None:
    if name:
        storage = invoice_request.invoice_file.storage
        transaction.on_commit(lambda: storage.delete(name))


# Writes --------------------------------------------------------------------------------------------------------


def _lock_both(invoice_request: InvoiceRequest) -> tuple[BulkOrder, InvoiceRequest]:
    """Lock the bulk order's row, then the request's (always in this order), and refresh both."""
    bulk_order = lock(invoice_request.bulk_order)
    fresh = InvoiceRequest.objects.select_for_update().get(pk=invoice_request.pk)
    for field in InvoiceRequest._meta.concrete_fields:
        setattr(invoice_request, field.attname, getattr(fresh, field.attname))
    invoice_request.bulk_order = bulk_order
    return bulk_order, invoice_request


def _refuse_status(invoice_request: InvoiceRequest) -> InvoiceError:
    return InvoiceError(
        _("This invoice is %(status)s: it cannot be changed so now.")
        % {"status": invoice_request.get_status_display().lower()}
    )


def _complete_if_done(bulk_order: BulkOrder, *, actor: User) -> bool:
    """Complete the locked, paid bulk order once every one of its invoice requests is signed off."""
    if bulk_order.status != BulkOrder.Status.PAID:
        return False
    requests = InvoiceRequest.objects.filter(bulk_order=bulk_order)
    if not requests.exists() or requests.exclude(status=Status.SIGNED_OFF).exists():
        return False
    move(
        bulk_order,
        BulkOrder.Status.COMPLETED,
        actor=actor,
        note=_("Every merchant's invoice is signed off."),
        completed_at=timezone.now(),
    )
    return True


def issue_invoice(
    invoice_request: InvoiceRequest, *, actor: User, invoice_number: str = "", file: File | None = None
) -> InvoiceRequest:
    """The merchant (or an operator) issues the invoice: a number, a PDF/OFD file, or both (see the module)."""
    if not can_issue(actor, invoice_request):
        raise InvoiceError(_("Only the merchant's members or an operator can issue this invoice."))
    number = clean_invoice_number(invoice_number)
    kind = invoice_file_kind(file) if file is not None else ""
    if not number and not kind:
        raise InvoiceError(_("Give the invoice number, upload the invoice file (PDF or OFD), or both."))
    with transaction.atomic():
        _bulk_order, invoice_request = _lock_both(invoice_request)
        if invoice_request.status != Status.REQUESTED:
            raise _refuse_status(invoice_request)
        previous = invoice_request.invoice_file.name
        if kind:
            invoice_request.invoice_file.save(_file_name(invoice_request, kind), file, save=False)
            if previous and previous != invoice_request.invoice_file.name:
                _delete_after_commit(invoice_request, previous)
        invoice_request.invoice_number = number
        invoice_request.status = Status.ISSUED
        invoice_request.issued_by = actor
        invoice_request.issued_at = timezone.now()
        invoice_request.save(
            update_fields=["invoice_number", "invoice_file", "status", "issued_by", "issued_at", "updated_at"]
        )
        tell_invoice_issued(invoice_request)
    return invoice_request


def sign_off(invoice_request: InvoiceRequest, *, actor: User) -> InvoiceRequest:
    """A buyer or finance member confirms goods received and invoice checked; the last one completes the bulk."""
    if not can_sign(actor, invoice_request.bulk_order):
        raise InvoiceError(_("Only a buyer or a finance member of the organisation can sign off this invoice."))
    with transaction.atomic():
        bulk_order, invoice_request = _lock_both(invoice_request)
        if invoice_request.status != Status.ISSUED:
            raise _refuse_status(invoice_request)
        invoice_request.status = Status.SIGNED_OFF
        invoice_request.signed_off_by = actor
        invoice_request.signed_off_at = timezone.now()
        invoice_request.save(update_fields=["status", "signed_off_by", "signed_off_at", "updated_at"])
        _complete_if_done(bulk_order, actor=actor)
    return invoice_request


def dispute(invoice_request: InvoiceRequest, *, actor: User, reason: str) -> InvoiceRequest:
    """A buyer or finance member disputes an issued invoice, saying why; the bulk order is flagged for review."""
    if not can_sign(actor, invoice_request.bulk_order):
        raise InvoiceError(_("Only a buyer or a finance member of the organisation can dispute this invoice."))
    reason = clean_text(reason)[:500]
    if not reason:
        raise InvoiceError(_("Say what is wrong with the goods or the invoice."))
    with transaction.atomic():
        bulk_order, invoice_request = _lock_both(invoice_request)
        if invoice_request.status != Status.ISSUED:
            raise _refuse_status(invoice_request)
        invoice_request.status = Status.DISPUTED
        invoice_request.dispute_reason = reason
        invoice_request.disputed_by = actor
        invoice_request.disputed_at = timezone.now()
        invoice_request.resolution = ""
        invoice_request.resolved_by = None
        invoice_request.resolved_at = None
        invoice_request.save(
            update_fields=[
                "status",
                "dispute_reason",
                "disputed_by",
                "disputed_at",
                "resolution",
                "resolved_by",
                "resolved_at",
                "updated_at",
            ]
        )
        if not bulk_order.needs_review:
            bulk_order.needs_review = True
            bulk_order.save(update_fields=["needs_review", "updated_at"])
    return invoice_request


def resolve(invoice_request: InvoiceRequest, *, actor: User, resolution: str, outcome: str) -> InvoiceRequest:
    """An operator resolves a dispute: ``reissue`` (a new invoice is requested) or ``accept`` (signed off)."""
    if not is_operator(actor):
        raise InvoiceError(_("Only operators can resolve a disputed invoice."))
    if outcome not in OUTCOMES:
        raise InvoiceError(_("Choose whether a new invoice is needed or the invoice is accepted."))
    resolution = clean_text(resolution)[:500]
    if not resolution:
        raise InvoiceError(_("Say how the dispute was resolved."))
    with transaction.atomic():
        bulk_order, invoice_request = _lock_both(invoice_request)
        if invoice_request.status != Status.DISPUTED:
            raise _refuse_status(invoice_request)
        invoice_request.resolution = resolution
        invoice_request.resolved_by = actor
        invoice_request.resolved_at = timezone.now()
        if outcome == "reissue":
            _delete_after_commit(invoice_request, invoice_request.invoice_file.name)
            invoice_request.status = Status.REQUESTED
            invoice_request.invoice_number = ""
            invoice_request.invoice_file = ""
            invoice_request.issued_by = None
            invoice_request.issued_at = None
            invoice_request.save(
                update_fields=[
                    "status",
                    "resolution",
                    "resolved_by",
                    "resolved_at",
                    "invoice_number",
                    "invoice_file",
                    "issued_by",
                    "issued_at",
                    "updated_at",
                ]
            )
            tell_invoice_requested(invoice_request, again=True)
        else:
            invoice_request.status = Status.SIGNED_OFF
            invoice_request.signed_off_by = actor
            invoice_request.signed_off_at = timezone.now()
            invoice_request.save(
                update_fields=[
                    "status",
                    "resolution",
                    "resolved_by",
                    "resolved_at",
                    "signed_off_by",
                    "signed_off_at",
                    "updated_at",
                ]
            )
            _complete_if_done(bulk_order, actor=actor)
    return invoice_request


# Messages (e-mail, through the outbox in the caller's transaction) ---------------------------------------------


def _payload(invoice_request: InvoiceRequest) -> dict[str, object]:
    bulk_order = invoice_request.bulk_order
    return {
        "bulk_number": bulk_order.number or str(bulk_order.pk),
        "organisation": bulk_order.organisation.name,
        "merchant": invoice_request.merchant.name,
        "amount": format_fen(invoice_request.amount),
        "invoice_title": invoice_request.invoice_title,
        "tax_number": invoice_request.tax_number,
        "invoice_number": invoice_request.invoice_number,
    }


def tell_invoice_requested(invoice_request: InvoiceRequest, *, again: bool = False) -> None:
    """The merchant hears, at its contact e-mail address (none: no message), that its invoice is requested: once
    when the bulk order is paid (``tell_invoices_requested``), and again when a dispute asks for a new invoice."""
    email = invoice_request.merchant.contact_email
    if not email:
        return
    key = f"invoice-{invoice_request.pk}-requested"
    if again:
        key = f"{key}-again-{invoice_request.updated_at.isoformat()}"
    enqueue(
        channel=Notification.Channel.EMAIL,
        template="invoice_requested",
        recipient=email,
        payload={
            **_payload(invoice_request),
            "again": again,
            "resolution": invoice_request.resolution if again else "",
        },
        language=settings.LANGUAGE_CODE,
        key=key,
    )


def tell_invoices_requested(bulk_order: BulkOrder) -> None:
    """Every merchant of a bulk order just paid hears that its invoice is requested (once per request; to be
    called in the transaction that creates the requests, after ``placement.request_invoices``)."""
    for invoice_request in requests_of_bulk(bulk_order).filter(status=Status.REQUESTED):
        tell_invoice_requested(invoice_request)


def tell_invoice_issued(invoice_request: InvoiceRequest) -> None:
    """The organisation's buyers and finance members (those with an e-mail address) hear that it is issued."""
    bulk_order = invoice_request.bulk_order
    users = {
        membership.user
        for membership in bulk_order.organisation.memberships.select_related("user").filter(
            role__in=SIGNING_ROLES, user__is_active=True
        )
        if membership.user.email
    }
    stamp = invoice_request.issued_at.isoformat()
    for user in sorted(users, key=lambda user: user.pk):
        enqueue(
            channel=Notification.Channel.EMAIL,
            template="invoice_issued",
            recipient=user.email,
            payload={**_payload(invoice_request), "name": user.get_full_name() or user.get_username()},
            language=settings.LANGUAGE_CODE,
            key=f"invoice-{invoice_request.pk}-issued-{stamp}-user-{user.pk}",
        )
