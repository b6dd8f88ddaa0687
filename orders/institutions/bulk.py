"""Bulk order drafts: who sees and who edits them, and the writes (creating a draft, its delivery, its lines).

Rules:
- a member of the organisation (any role) sees its drafts, operators see every organisation's; anyone else is
  answered 404, as if the draft did not exist (``drafts_for_user``, ``draft_for_user_or_404``);
- only a buyer of the organisation creates and edits its drafts (``can_edit``), and only a verified
  organisation gets new ones; only a draft can be changed;
- delivery to one address takes an address of the same organisation; pickup takes an active sales counter.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from catalog.models import Location, Pack, Variant
from catalog.presales import unharvested_presale_variants
from core.scopes import User
from orders.institutions.lifecycle import BulkOrderError
from orders.institutions.selectors import organisations_for_user, roles_in
from orders.models import BulkOrder, BulkOrderLine, Membership, Organisation, OrganisationAddress

__all__ = ["BulkOrderError"]


def drafts_for_user(user: User) -> QuerySet[BulkOrder]:
    """The bulk orders of the user's organisations (every one for operators), newest first."""
    if not user.is_authenticated:
        return BulkOrder.objects.none()
    return BulkOrder.objects.filter(organisation__in=organisations_for_user(user)).select_related("organisation")


def draft_for_user_or_404(user: User, pk: int) -> BulkOrder:
    """The bulk order if the user sees it; 404 otherwise (another organisation's drafts do not exist for them)."""
    try:
        return drafts_for_user(user).get(pk=pk)
    except BulkOrder.DoesNotExist:
        raise Http404 from None


def buyer_organisations(user: User) -> QuerySet[Organisation]:
    """The verified organisations in which the user is a buyer: where they may create drafts."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        status=Organisation.Status.VERIFIED,
        memberships__user=user,
        memberships__role=Membership.Role.BUYER,
    ).distinct()


def can_edit(user: User, bulk_order: BulkOrder) -> bool:
    """A buyer of the draft's organisation, while it is a draft."""
    return bulk_order.status == BulkOrder.Status.DRAFT and Membership.Role.BUYER in roles_in(
        user, bulk_order.organisation
    )


def _check_delivery(
    organisation: Organisation, delivery: str, address: OrganisationAddress | None, counter: Location | None
) -> None:
    if delivery == BulkOrder.Delivery.ADDRESS and (address is None or address.organisation_id != organisation.pk):
        raise BulkOrderError(_("Choose one of the organisation's addresses."))
    if delivery == BulkOrder.Delivery.PICKUP and (counter is None or not counter.is_counter or not counter.is_active):
        raise BulkOrderError(_("Choose a sales counter for the pickup."))


def create_draft(
    *,
    organisation: Organisation,
    actor: User,
    delivery: str,
    address: OrganisationAddress | None = None,
    counter: Location | None = None,
    note: str = "",
) -> BulkOrder:
    """A new draft of a verified organisation, created by one of its buyers."""
    if not buyer_organisations(actor).filter(pk=organisation.pk).exists():
        raise BulkOrderError(_("Only a buyer of a verified organisation can create its bulk orders."))
    _check_delivery(organisation, delivery, address, counter)
    return BulkOrder.objects.create(
        organisation=organisation,
        created_by=actor,
        delivery=delivery,
        address=address if delivery == BulkOrder.Delivery.ADDRESS else None,
        counter=counter if delivery == BulkOrder.Delivery.PICKUP else None,
        note=note,
    )


def update_delivery(
    bulk_order: BulkOrder,
    *,
    actor: User,
    delivery: str,
    address: OrganisationAddress | None = None,
    counter: Location | None = None,
    note: str = "",
) -> BulkOrder:
    """Change the draft's delivery and note (a buyer of its organisation only)."""
    if not can_edit(actor, bulk_order):
        raise BulkOrderError(_("Only a buyer of the organisation can change this bulk order."))
    _check_delivery(bulk_order.organisation, delivery, address, counter)
    bulk_order.delivery = delivery
    bulk_order.address = address if delivery == BulkOrder.Delivery.ADDRESS else None
    bulk_order.counter = counter if delivery == BulkOrder.Delivery.PICKUP else None
    bulk_order.note = note
    bulk_order.save(update_fields=["delivery", "address", "counter", "note", "updated_at"])
    return bulk_order


def add_line(
    bulk_order: BulkOrder, *, actor: User, quantity: int, variant: Variant | None = None, pack: Pack | None = None
) -> BulkOrderLine:
    """Add ``quantity`` of a variant or a pack; the same item again adds to its line."""
    if not can_edit(actor, bulk_order):
        raise BulkOrderError(_("Only a buyer of the organisation can change this bulk order."))
    if (variant is None) == (pack is None):
        raise BulkOrderError(_("Give a gift pack or a SKU, not both."))
    if quantity < 1:
        raise BulkOrderError(_("The quantity must be at least 1."))
    with transaction.atomic():
        line, created = BulkOrderLine.objects.select_for_update().get_or_create(
            bulk_order=bulk_order, variant=variant, pack=pack, defaults={"quantity": quantity}
        )
        if not created:
            line.quantity += quantity
            line.save(update_fields=["quantity"])
        bulk_order.save(update_fields=["updated_at"])
    return line


def sellable_variants() -> QuerySet[Variant]:
    """Variants a bulk order may name: active, of a published product, not a pre-sale before its harvest is in."""
    return Variant.objects.filter(is_active=True, product__is_published=True).exclude(
        pk__in=unharvested_presale_variants()
    )


def sellable_packs() -> QuerySet[Pack]:
    """Gift packs a bulk order may name: published ones."""
    return Pack.objects.filter(is_published=True)
