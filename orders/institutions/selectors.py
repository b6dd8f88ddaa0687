"""Who sees which organisation, and a user's roles in one.

Scoping rules (every back-office view, URL and search goes through ``organisations_for_user``):
- superusers and operators (holders of ``orders.review_organisation``) see every organisation;
- anyone else sees only the organisations they are a member of, whatever their role(s) there.
"""

from django.db.models import QuerySet

from core.scopes import User
from orders.models import Membership, Organisation

REVIEW_PERMISSION = "orders.review_organisation"


def can_review_organisations(user: User) -> bool:
    """Operators, who register, verify, reject, suspend and reinstate organisations."""
    return bool(user.is_active and (user.is_superuser or user.has_perm(REVIEW_PERMISSION)))


def member_organisation_ids(user: User) -> list[int]:
    """The organisations the user is a member of (cached on the user object for the request)."""
    if not user.is_authenticated:
        return []
    if not hasattr(user, "_dexiu_organisation_ids"):
        user._dexiu_organisation_ids = list(
            Membership.objects.filter(user=user).order_by().values_list("organisation_id", flat=True).distinct()
        )
    return user._dexiu_organisation_ids


def organisations_for_user(user: User, queryset: QuerySet | None = None) -> QuerySet[Organisation]:
    """Every organisation for operators; a member's own ones for everybody else."""
    queryset = Organisation.objects.all() if queryset is None else queryset
    if can_review_organisations(user):
        return queryset
    return queryset.filter(pk__in=member_organisation_ids(user))


def roles_in(user: User, organisation: Organisation) -> set[str]:
    """The user's roles in the organisation (``Membership.Role`` values; empty for a non-member)."""
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user, organisation=organisation).values_list("role", flat=True))


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    """The organisation's memberships with their users, by user then role."""
    return organisation.memberships.select_related("user").order_by("user__username", "role")


def history_of(organisation: Organisation) -> QuerySet:
    """The organisation's status changes, oldest first, with who made them."""
    return organisation.changes.select_related("actor").order_by("created_at", "pk")


def applications_of(user: User) -> QuerySet[Organisation]:
    """The organisations the user belongs to, newest first (the applicant's own applications among them)."""
    return Organisation.objects.filter(pk__in=member_organisation_ids(user)).order_by("-created_at", "-pk")
