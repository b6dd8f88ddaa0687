"""Certificates granted by the operators: who may do what to them (writes) and which one qualifies a product
(reads).

Rules:
- a merchant's member submits a certificate for its own merchant (and only that merchant's products), with
  evidence; it qualifies nothing until an operator (``catalog.review_certificate``) approves it;
- only operators approve, reject or revoke, always with a reason; nobody reviews a certificate of a merchant
  they are a member of;
- every status change writes one ``CertificateChange`` (who, when, why), in the same transaction, under
  the certificate's row lock, so two operators cannot both act on one certificate;
- a product is qualified on a day by a valid certificate of its own (scope "listed products") or, failing
  that, of its merchant (scope "producer"); approved and since expired certificates count for the days of
  their validity, rejected, revoked and submitted ones never.
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Certificate, CertificateChange, Merchant, Product
from catalog.selectors import can_review, certificates_for_user, member_merchant_ids
from core.scopes import User

QUALIFYING = (Certificate.Status.APPROVED, Certificate.Status.EXPIRED)
MARK_KINDS = (
    Certificate.Kind.GEOGRAPHICAL_INDICATION,
    Certificate.Kind.GREEN_FOOD,
    Certificate.Kind.ORGANIC,
)


class CertificateError(Exception):
    """A certificate action the rules refuse; the message is shown to the user."""


# -- Writes ---------------------------------------------------------------------------------


def _record(certificate: Certificate, to_status: str, actor: User | None, reason: str) -> None:
    from_status = certificate.status
    certificate.status = to_status
    certificate.save(update_fields=["status", "updated_at"])
    CertificateChange.objects.create(
        certificate=certificate,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason[:255],
    )


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("A reason is required."))
    return reason


def submit_certificate(
    *,
    merchant: Merchant,
    kind: str,
    number: str,
    issuer: str,
    valid_from: datetime.date,
    valid_until: datetime.date,
    evidence: UploadedFile | None,
    actor: AbstractBaseUser,
    products: Iterable[Product] = (),
) -> Certificate:
    """A merchant's member (or an operator on its behalf) submits a certificate; it waits for review.

    The scope is the producer when no product is listed, else those products, which must be the merchant's.
    """
    if not (can_review(actor) or merchant.pk in member_merchant_ids(actor)):
        raise CertificateError(_("You may submit certificates only for your own merchant."))
    products = list(products)
    if any(product.merchant_id != merchant.pk for product in products):
        raise CertificateError(_("A certificate may list only the merchant's own products."))
    if kind not in Certificate.Kind.values:
        raise CertificateError(_("Unknown kind of certificate."))
    number, issuer = (number or "").strip(), (issuer or "").strip()
    if not number or not issuer:
        raise CertificateError(_("The certificate number and the issuing body are required."))
    if valid_from > valid_until:
        raise CertificateError(_("The validity must start before it ends."))
    if not evidence:
        raise CertificateError(_("Attach the certificate (a scan or photo) as evidence."))
    with transaction.atomic():
        certificate = Certificate.objects.create(
            kind=kind,
            number=number,
            issuer=issuer,
            merchant=merchant,
            scope=Certificate.Scope.PRODUCTS if products else Certificate.Scope.PRODUCER,
            valid_from=valid_from,
            valid_until=valid_until,
            evidence=evidence,
            submitted_by=actor,
        )
        certificate.products.set(products)
        CertificateChange.objects.create(
            certificate=certificate,
            to_status=Certificate.Status.SUBMITTED,
            actor=actor,
            reason=_("Submitted for review"),
        )
    return certificate


def _review(certificate: Certificate, actor: User, allowed_from: tuple[str, ...], to_status: str, reason: str):
    if not can_review(actor):
        raise CertificateError(_("Only operators may approve, reject or revoke certificates."))
    if certificate.merchant_id in member_merchant_ids(actor):
        raise CertificateError(_("You may not review a certificate of your own merchant."))
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if locked.status not in allowed_from:
            raise CertificateError(
                _("This certificate is %(status)s: it cannot be changed so.") % {"status": locked.get_status_display()}
            )
        _record(locked, to_status, actor, reason)
    certificate.refresh_from_db()
    return certificate


def approve_certificate(certificate: Certificate, *, actor: User, reason: str) -> Certificate:
    """An operator approves a submitted certificate: from its ``valid_from`` it qualifies."""
    return _review(certificate, actor, (Certificate.Status.SUBMITTED,), Certificate.Status.APPROVED, reason)


def reject_certificate(certificate: Certificate, *, actor: User, reason: str) -> Certificate:
    """An operator rejects a submitted certificate; the merchant may submit a new one."""
    return _review(certificate, actor, (Certificate.Status.SUBMITTED,), Certificate.Status.REJECTED, reason)


def revoke_certificate(certificate: Certificate, *, actor: User, reason: str) -> Certificate:
    """An operator withdraws an approved (or expired) certificate: it qualifies nothing any more."""
    return _review(certificate, actor, QUALIFYING, Certificate.Status.REVOKED, reason)


def expire_lapsed_certificates(today: datetime.date | None = None) -> list[Certificate]:
    """Record as expired the approved certificates whose validity ended before ``today`` (the daily check);
    returns them."""
    today = today or timezone.localdate()
    expired = []
    with transaction.atomic():
        lapsed = Certificate.objects.select_for_update().filter(
            status=Certificate.Status.APPROVED, valid_until__lt=today
        )
        for certificate in lapsed.select_related("merchant").order_by("pk"):
            _record(
                certificate,
                Certificate.Status.EXPIRED,
                None,
                _("Validity ended on %(date)s") % {"date": certificate.valid_until.isoformat()},
            )
            expired.append(certificate)
    return expired


# -- Reads ----------------------------------------------------------------------------------


def covering(prefix: str = "") -> Q:
    """Certificates covering the product at ``prefix`` of an outer query (``""``: a Product query,
    ``"product__"``: a Variant query): its merchant's producer certificates and those listing it."""
    return Q(scope=Certificate.Scope.PRODUCER, merchant_id=OuterRef(f"{prefix}merchant_id")) | Q(
        scope=Certificate.Scope.PRODUCTS, products=OuterRef(f"{prefix}pk")
    )


def valid_on(day: datetime.date) -> Q:
    return Q(status__in=QUALIFYING, valid_from__lte=day, valid_until__gte=day)


def certified_condition(kind: str, day: datetime.date, prefix: str = "") -> Q:
    """Products (at ``prefix``) with a valid certificate of ``kind`` on ``day``, for filtering."""
    return Q(Exists(Certificate.objects.filter(valid_on(day), covering(prefix), kind=kind)))


def lapsed_aid_condition(day: datetime.date, prefix: str = "") -> Q:
    """Products (at ``prefix``) once qualified by an aid certificate that has since expired or been revoked,
    with none valid on ``day``."""
    lapsed = Q(status__in=QUALIFYING, valid_until__lt=day) | Q(status=Certificate.Status.REVOKED)
    had = Exists(Certificate.objects.filter(lapsed, covering(prefix), kind=Certificate.Kind.AID))
    return Q(had) & ~certified_condition(Certificate.Kind.AID, day, prefix)


def _covering_product(product: Product) -> QuerySet[Certificate]:
    return Certificate.objects.filter(
        Q(scope=Certificate.Scope.PRODUCER, merchant_id=product.merchant_id)
        | Q(scope=Certificate.Scope.PRODUCTS, products=product)
    ).distinct()


def qualifying_certificate(product: Product, day: datetime.date | None = None) -> Certificate | None:
    """The aid certificate qualifying ``product`` on ``day`` (today): its own, else its merchant's; of
    several, the one valid longest."""
    day = day or timezone.localdate()
    valid = _covering_product(product).filter(valid_on(day), kind=Certificate.Kind.AID)
    # Listed products first (the product's own), then the validity that runs longest.
    return valid.order_by("-scope", "-valid_until", "-pk").first()


def batch_certificates(product: Product, day: datetime.date | None = None) -> QuerySet[Certificate]:
    """The approved aid certificates that may cover a batch of ``product`` received on ``day`` (today): those
    covering it (its own or its merchant's) and valid that day, the one ``qualifying_certificate`` picks first."""
    day = day or timezone.localdate()
    valid = _covering_product(product).filter(valid_on(day), kind=Certificate.Kind.AID)
    return valid.order_by("-scope", "-valid_until", "-pk")


def quality_marks(product: Product, day: datetime.date | None = None) -> set[str]:
    """The kinds of quality mark (``Certificate.Kind`` values) valid for ``product`` on ``day`` (today)."""
    day = day or timezone.localdate()
    valid = _covering_product(product).filter(valid_on(day), kind__in=MARK_KINDS)
    return set(valid.values_list("kind", flat=True))


def certificate_lapsed(product: Product, day: datetime.date | None = None) -> bool:
    """The same rule as ``lapsed_aid_condition`` for one product (evaluated in Python)."""
    day = day or timezone.localdate()
    held = list(_covering_product(product).filter(kind=Certificate.Kind.AID))
    lapsed = any(
        (c.status in QUALIFYING and c.valid_until < day) or c.status == Certificate.Status.REVOKED for c in held
    )
    return lapsed and not any(c.valid_on(day) for c in held)


def certificates_by_product(products: Iterable[Product], day: datetime.date | None = None) -> dict[int, dict]:
    """For many products at once (one query): ``{product pk: {"aid": Certificate | None, "marks": set}}``
    on ``day`` (today), by the rules of ``qualifying_certificate`` and ``quality_marks``."""
    day = day or timezone.localdate()
    products = list(products)
    result: dict[int, dict] = {product.pk: {"aid": None, "marks": set()} for product in products}
    if not products:
        return result
    by_merchant: dict[int, list[int]] = {}
    for product in products:
        by_merchant.setdefault(product.merchant_id, []).append(product.pk)
    pks = list(result)
    # One row per (certificate, listed product asked about); a producer certificate's row has no product.
    certificates = (
        Certificate.objects.filter(valid_on(day))
        .filter(
            Q(scope=Certificate.Scope.PRODUCER, merchant_id__in=list(by_merchant))
            | Q(scope=Certificate.Scope.PRODUCTS, products__in=pks)
        )
        .annotate(listed_product_id=F("products"))
        .order_by("scope", "valid_until", "pk")  # producer first, so a product's own overrides it below
    )
    for certificate in certificates:
        if certificate.scope == Certificate.Scope.PRODUCER:
            covered = by_merchant.get(certificate.merchant_id, [])
        else:
            covered = [certificate.listed_product_id] if certificate.listed_product_id in result else []
        for pk in covered:
            if certificate.kind == Certificate.Kind.AID:
                result[pk]["aid"] = certificate
            else:
                result[pk]["marks"].add(certificate.kind)
    return result


def expiring_certificates(user: User, until: datetime.date) -> QuerySet[Certificate]:
    """Approved or expired aid certificates of the user's active merchants whose validity ends by ``until``,
    less producer certificates replaced by a later approved one of the producer; the soonest first."""
    renewed = Certificate.objects.filter(
        merchant_id=OuterRef("merchant_id"),
        kind=Certificate.Kind.AID,
        scope=Certificate.Scope.PRODUCER,
        status=Certificate.Status.APPROVED,
        valid_until__gt=until,
    )
    return (
        certificates_for_user(user)
        .filter(kind=Certificate.Kind.AID, status__in=QUALIFYING, valid_until__lte=until, merchant__is_active=True)
        .exclude(Q(scope=Certificate.Scope.PRODUCER) & Q(Exists(renewed)))
        .select_related("merchant")
        .order_by("valid_until", "scope", "pk")
    )
