"""Per-merchant isolation for Wagtail viewsets.

Wagtail narrows only the listing through a viewset's ``get_queryset``. A scoped viewset here
goes further, for every view it builds:

- a URL whose ``pk`` names a row outside the user's scope answers 404, before the view
  loads the object (edit, delete, copy, inspect, history, usage, revisions, ...);
- the listing, its search, filters and CSV/XLSX export start from the user's rows;
- the permission policy tests ownership in its instance checks (buttons, bulk actions,
  admin URL finder) as well as the model permission;
- deleting a row that others still depend on (PROTECT) gives a message, not a 500.

Who may see which rows is decided in ``catalog.selectors``.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Model, Q, QuerySet
from django.utils.functional import cached_property
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from catalog.selectors import ALL_MERCHANTS_PERMISSION, merchants_for_user
from core.backoffice import ProtectedDeleteViewSetMixin, ScopedListingMixin, ScopedObjectMixin
from core.scopes import scope_for_user


class ScopedPermissionPolicy(ModelPermissionPolicy):
    """Model permissions as usual; on an instance, also the user's scope from ``catalog.selectors``.

    ``owner_field`` names the foreign key to ``Merchant`` (if any), used for unsaved instances.
    """

    def __init__(self, model: type[Model], owner_field: str | None = None):
        super().__init__(model)
        self.owner_field = owner_field

    def scope(self, user) -> QuerySet:
        return scope_for_user(self.model, user)

    def instance_in_scope(self, user, instance: Model) -> bool:
        if instance.pk is not None:
            return self.scope(user).filter(pk=instance.pk).exists()
        if self.owner_field:
            owner_id = getattr(instance, f"{self.owner_field}_id", None)
            return owner_id is not None and merchants_for_user(user).filter(pk=owner_id).exists()
        return False

    def user_has_permission_for_instance(self, user, action: str, instance: Model) -> bool:
        return self.user_has_permission(user, action) and self.instance_in_scope(user, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance: Model) -> bool:
        return self.user_has_any_permission(user, actions) and self.instance_in_scope(user, instance)

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return self.scope(user)

    def users_with_any_permission_for_instance(self, actions, instance: Model) -> QuerySet:
        """Users with the permission who also see the row: those who see every merchant, and
        (for rows owned by a merchant) that merchant's members."""
        all_merchants = Permission.objects.filter(
            content_type__app_label=ALL_MERCHANTS_PERMISSION.split(".")[0],
            codename=ALL_MERCHANTS_PERMISSION.split(".")[1],
        )
        sees_row = (
            Q(is_superuser=True) | Q(user_permissions__in=all_merchants) | Q(groups__permissions__in=all_merchants)
        )
        if self.owner_field:
            sees_row |= Q(merchants=getattr(instance, f"{self.owner_field}_id"))
        in_scope = get_user_model().objects.filter(sees_row).values("pk")
        return self.users_with_any_permission(actions).filter(pk__in=in_scope)


class ScopedViewSetMixin(ProtectedDeleteViewSetMixin):
    """For a ``ModelViewSet`` (or ``SnippetViewSet``) whose model is scoped in ``catalog.selectors``.

    ``owner_field`` names the model's foreign key to ``Merchant``, if it has one.
    """

    owner_field: str | None = None

    @cached_property
    def permission_policy(self) -> ScopedPermissionPolicy:
        return ScopedPermissionPolicy(self.model, owner_field=self.owner_field)

    # The snippet URL finder checks the model permission only; this one asks the scoped policy.
    url_finder_class = ModelViewSet.url_finder_class

    def construct_view(self, view_class, **kwargs):
        bases: list[type] = [ScopedObjectMixin]
        if issubclass(view_class, generic.IndexView):
            bases.append(ScopedListingMixin)
        scoped = type(view_class.__name__, (*bases, view_class), {"scope_model": self.model})
        return super().construct_view(scoped, **kwargs)
