"""Wagtail back-office helpers for scoped viewsets: keys from URLs, 404 outside the scope, protected deletes.

Who may see which rows comes from the scope registry (``core.scopes``); these mixins apply it to
every view a viewset builds, before the view loads its object.
"""

from typing import Any

from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import ValidationError
from django.db.models import Model, ProtectedError, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.views import generic

from core.scopes import scope_for_user

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
