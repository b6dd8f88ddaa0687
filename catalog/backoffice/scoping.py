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

from typing import Any

from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Model, ProtectedError, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from catalog.selectors import ALL_MERCHANTS_PERMISSION, merchants_for_user, scope_for_user

BIGINT_MAX = 2**63 - 1


def clean_pk(model: type[Model], raw: Any) -> Any:
    """The primary key value named by ``raw`` (a URL or form value), or Http404 if it cannot be one."""
    try:
        pk = model._meta.pk.to_python(unquote(str(raw)))
    except (ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc
    if isinstance(pk, int) and not -BIGINT_MAX <= pk <= BIGINT_MAX:
        raise Http404
    return pk


def clean_pks(model: type[Model], raws: list[str]) -> list[Any]:
    """The valid primary keys among ``raws``; anything that cannot be a key is dropped."""
    pks = []
    for raw in raws:
        try:
            pks.append(clean_pk(model, raw))
        except Http404:
            continue
    return pks


def get_object_in_scope_or_404(model: type[Model], user, raw_pk: Any) -> Model:
    """The row of ``model`` with this key if ``user`` may see it; Http404 otherwise."""
    try:
        return scope_for_user(model, user).get(pk=clean_pk(model, raw_pk))
    except model.DoesNotExist as exc:
        raise Http404 from exc


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


class ScopedObjectMixin:
    """Refuse (404) a URL whose ``pk`` is outside the user's scope, before the view loads it."""

    scope_model: type[Model] | None = None

    def setup(self, request, *args, **kwargs) -> None:
        if "pk" in kwargs:
            get_object_in_scope_or_404(self.scope_model, request.user, kwargs["pk"])
        super().setup(request, *args, **kwargs)


class ScopedListingMixin:
    """Start the listing (and so its search, filters and exports) from the user's rows."""

    def get_base_queryset(self) -> QuerySet:
        return scope_for_user(self.scope_model, self.request.user, super().get_base_queryset())


class ProtectedDeleteMixin:
    """Turn a refused delete (a PROTECT foreign key) into a message instead of a server error."""

    protected_message = _("“%(object)s” cannot be deleted because other records still refer to it.")

    def form_valid(self, form) -> HttpResponse:
        usage = getattr(self, "usage", None)
        if usage is not None and usage.is_protected:
            return self.refuse()
        try:
            return super().form_valid(form)
        except ProtectedError:
            return self.refuse()

    def refuse(self) -> HttpResponse:
        messages.error(self.request, self.protected_message % {"object": self.object})
        if self.edit_url_name:
            return redirect(reverse(self.edit_url_name, args=[quote(self.object.pk)]))
        return redirect(reverse(self.index_url_name))


class ProtectedDeleteViewSetMixin:
    """For a ``ModelViewSet``: its delete view reports a PROTECT refusal with ``protected_message``."""

    protected_message = ProtectedDeleteMixin.protected_message

    def construct_view(self, view_class, **kwargs):
        if issubclass(view_class, generic.DeleteView):
            view_class = type(
                view_class.__name__, (ProtectedDeleteMixin, view_class), {"protected_message": self.protected_message}
            )
        return super().construct_view(view_class, **kwargs)


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


class ReadOnlyViewSetMixin:
    """A listing (with optional inspect view) and no add, edit, copy, delete, history or usage URLs."""

    add_to_reference_index = False
    copy_view_enabled = False

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "copy", "history", "usage"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        patterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            patterns.append(path(f"inspect/<{self.pk_path_converter}:pk>/", self.inspect_view, name="inspect"))
        return patterns

    def register_admin_url_finder(self) -> None:
        """No edit URL to find."""
