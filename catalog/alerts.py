"""Back-in-stock alerts: a shopper asks to be told when a sold-out variant is back, online or at one counter.

Rules:
- "Online" means home delivery: free units (on hand less allocated) at any active origin warehouse, the rule of
  checkout's ``can_deliver``; a counter means free units at that active sales counter.
- One may subscribe only where the variant (active, of a published product of an active merchant) is sold out;
  where it is in stock the answer is "order it now" (``InStock``). A mainland mobile number for text messages, an
  e-mail address for e-mail. The same variant, place and contact twice is one alert; a contact has at most
  ``MAX_PENDING_PER_CONTACT`` pending alerts.
- ``notify_restocked`` tells every pending alert whose variant is now free where it was asked for, once: the alert
  is claimed (``FOR UPDATE SKIP LOCKED``), marked told and its message written to the outbox in one transaction,
  so two workers racing tell each shopper once, and a retried message is the same outbox row (its key).
- It runs after the commit of any stock change that frees units of a variant where it had none
  (``catalog.services.apply_stock_changes`` calls ``restocked_after_commit``): receipts, corrections, transfers,
  reservations released. Sales (free units going down) never look at alerts. Each transaction publishes one
  ``catalog.notify_restocked`` task for all its variants; with the broker down it runs in the process instead.
- ``unsubscribe`` deletes a pending alert by the secret token of its link; told alerts are kept as a record.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import notifications
from catalog.models import Location, PreSale, Stock, StockAlert, Variant
from core.text import clean_text

logger = logging.getLogger(__name__)

MAX_PENDING_PER_CONTACT = 20
CLAIM_BATCH = 100  # alerts told per transaction
PHONE_RE = re.compile(r"1[3-9][0-9]{9}")  # mainland mobile numbers, as checkout's ``PHONE_RE``
LOCK_NAMESPACE = 7_314_020  # pg_advisory_xact_lock(namespace, hash of the contact)


class AlertError(Exception):
    """A subscription the rules refuse; the message is shown to the shopper."""


class InStock(AlertError):
    """The variant is not sold out where the shopper asked: they can order it now."""


def normalize_contact(channel: str, contact: str) -> str:
    """The mobile number (11 digits: spaces, hyphens and a +86 prefix dropped) or the e-mail address (lower
    case); ``AlertError`` when it is not one."""
    contact = clean_text(contact)
    if channel == StockAlert.Channel.SMS:
        phone = re.sub(r"[\s-]", "", contact).removeprefix("+86")
        if not PHONE_RE.fullmatch(phone):
            raise AlertError(_("Enter a mainland China mobile number (11 digits, starting with 1)."))
        return phone
    if channel == StockAlert.Channel.EMAIL:
        try:
            validate_email(contact)
        except ValidationError:
            raise AlertError(_("Enter a valid e-mail address.")) from None
        return contact.lower()
    raise AlertError(_("Choose how to be told: text message or e-mail."))


def sellable_variants() -> QuerySet[Variant]:
    """Active variants of published products of active merchants, not a pre-sale before its harvest is in (its
    stock is a plan): those one can wait for."""
    unharvested = PreSale.objects.exclude(status=PreSale.Status.HARVESTED).values("variant_id")
    return Variant.objects.filter(
        is_active=True, product__is_published=True, product__merchant__is_active=True
    ).exclude(pk__in=unharvested)


def online_free() -> Coalesce:
    """Free units of the ``variant`` of the outer row at all active warehouses together (0 when none)."""
    rows = (
        Stock.objects.filter(
            variant=OuterRef("variant"), location__kind=Location.Kind.WAREHOUSE, location__is_active=True
        )
        .order_by()
        .values("variant")
        .annotate(free=Sum(F("on_hand") - F("allocated")))
        .values("free")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def counter_has_free() -> Exists:
    """Whether the outer row's ``location`` (an active counter) holds free units of its ``variant``."""
    return Exists(
        Stock.objects.filter(
            variant=OuterRef("variant"),
            location=OuterRef("location"),
            location__is_active=True,
            on_hand__gt=F("allocated"),
        )
    )


def is_sold_out(variant: Variant, counter: Location | None) -> bool:
    """No free unit of ``variant`` online (``counter`` None: the active warehouses together) or at ``counter``."""
    if counter is None:
        rows = Stock.objects.filter(
            variant=variant, location__kind=Location.Kind.WAREHOUSE, location__is_active=True
        ).aggregate(free=Sum(F("on_hand") - F("allocated")))
        return (rows["free"] or 0) <= 0
    return not Stock.objects.filter(
        variant=variant, location=counter, location__is_active=True, on_hand__gt=F("allocated")
    ).exists()


def _lock_contact(contact: str) -> None:
    """Serialise subscriptions of one contact (their count and duplicates) until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, contact])


def subscribe(
    *,
    variant: Variant,
    counter: Location | None,
    channel: str,
    contact: str,
    language: str,
    user: AbstractBaseUser | None = None,
) -> StockAlert:
    """Ask to be told once when ``variant`` is back online (``counter`` None) or at ``counter``.

    Rules: the variant can be waited for (``sellable_variants``); ``counter`` is an active sales counter; the
    contact is valid for the channel (``normalize_contact``); the variant is sold out there, else ``InStock``;
    the same pending alert again is returned as it is; at most ``MAX_PENDING_PER_CONTACT`` pending alerts per
    contact. The shopper's language (else the site's) is the one they are told in. After the commit the alert is
    checked against the stock once more (a receipt committed meanwhile tells it at once).
    """
    contact = normalize_contact(channel, contact)
    if not sellable_variants().filter(pk=variant.pk).exists():
        raise AlertError(_("This item is not on sale."))
    if counter is not None and not (counter.kind == Location.Kind.COUNTER and counter.is_active):
        raise AlertError(_("Choose one of our sales counters, or online."))
    if not is_sold_out(variant, counter):
        raise InStock(
            _("It is in stock at this counter: order it now.")
            if counter is not None
            else _("It is in stock online: order it now.")
        )
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with transaction.atomic():
        _lock_contact(contact)
        pending = StockAlert.objects.filter(contact=contact, notified_at__isnull=True)
        existing = pending.filter(variant=variant, location=counter).first()
        if existing is not None:
            return existing
        if pending.count() >= MAX_PENDING_PER_CONTACT:
            raise AlertError(
                _("You are already waiting for %(count)d items: unsubscribe from some first.")
                % {"count": MAX_PENDING_PER_CONTACT}
            )
        try:
            with transaction.atomic():
                alert = StockAlert.objects.create(
                    variant=variant,
                    location=counter,
                    channel=channel,
                    contact=contact,
                    language=language,
                    user=user if user is not None and user.is_authenticated else None,
                )
        except IntegrityError:  # pragma: no cover (the contact's lock serialises its subscriptions)
            return pending.get(variant=variant, location=counter)
        restocked_after_commit([variant.pk])
    return alert


def unsubscribe(token: str) -> bool:
    """Forget the pending alert of this token; False when there is none (unknown, or already told)."""
    token = clean_text(token)
    if not token or len(token) > StockAlert._meta.get_field("token").max_length:
        return False
    deleted, _rows = StockAlert.objects.filter(token=token, notified_at__isnull=True).delete()
    return bool(deleted)


def pending_alert(token: str) -> StockAlert | None:
    """The pending alert of this token with its variant, product and counter; None when there is none."""
    token = clean_text(token)
    if not token or len(token) > StockAlert._meta.get_field("token").max_length:
        return None
    return (
        StockAlert.objects.filter(token=token, notified_at__isnull=True)
        .select_related("variant__product", "location")
        .first()
    )


def ready_alerts(variant_ids: Iterable[int] | None = None) -> QuerySet[StockAlert]:
    """Pending alerts whose variant is free where they asked (of ``variant_ids`` only, when given)."""
    alerts = StockAlert.objects.filter(notified_at__isnull=True, variant__in=sellable_variants())
    if variant_ids is not None:
        alerts = alerts.filter(variant_id__in=list(variant_ids))
    return alerts.annotate(online_free=online_free()).filter(
        Q(location__isnull=True, online_free__gt=0) | Q(counter_has_free(), location__isnull=False)
    )


def notify_restocked(variant_ids: Iterable[int] | None = None) -> int:
    """Tell every ready alert (``ready_alerts``) once, ``CLAIM_BATCH`` per transaction; returns how many.

    Each batch is claimed with ``FOR UPDATE SKIP LOCKED``: alerts another worker is telling are skipped, and it
    marks them told before it commits, so they are not ready any more afterwards."""
    ids = None if variant_ids is None else sorted(set(variant_ids))
    if ids is not None and not ids:
        return 0
    told = 0
    while True:
        with transaction.atomic():
            batch = list(
                ready_alerts(ids)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("variant__product", "location")
                .order_by("pk")[:CLAIM_BATCH]
            )
            if not batch:
                return told
            now = timezone.now()
            StockAlert.objects.filter(pk__in=[alert.pk for alert in batch]).update(notified_at=now)
            for alert in batch:
                alert.notified_at = now
                notifications.stock_back(alert)
        told += len(batch)


_pending = threading.local()


def _publish_pending() -> None:
    variant_ids = getattr(_pending, "variant_ids", set())
    _pending.variant_ids = set()
    if variant_ids:
        publish(sorted(variant_ids))


def restocked_after_commit(variant_ids: Iterable[int]) -> None:
    """After this transaction commits, tell the alerts of these variants that are now ready: one task for all the
    variants the transaction restocked (the first of its callbacks takes them all; a rolled-back transaction's
    variants are merely checked with the next one's)."""
    variant_ids = set(variant_ids)
    if not variant_ids:
        return
    if not hasattr(_pending, "variant_ids"):
        _pending.variant_ids = set()
    _pending.variant_ids |= variant_ids
    transaction.on_commit(_publish_pending)


def publish(variant_ids: list[int]) -> None:
    """Queue ``catalog.notify_restocked``; with the broker down, tell them here. Never raises: the stock change
    is committed, and a sweep (``catalog.sweep_stock_alerts``) finds what was missed."""
    from catalog.tasks import notify_restocked_task  # the tasks module imports this one

    try:
        notify_restocked_task.apply_async((variant_ids,))
        return
    except Exception:
        logger.warning("could not publish notify_restocked for %s; telling them now", variant_ids, exc_info=True)
    try:
        notify_restocked(variant_ids)
    except Exception:
        logger.exception("could not tell the stock alerts of variants %s; the sweep will", variant_ids)
