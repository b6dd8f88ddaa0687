"""The scope registry: which rows of a model a back-office user may see.

Each app registers a scope for its models from its ``AppConfig.ready`` (the catalogue registers
merchants, products, stock…; orders register orders, fulfilments and the aid ledger). Every scoped
view, chooser, export and permission check asks ``scope_for_user``, so a model without a registered
scope cannot be shown through a scoped view by mistake (``KeyError``).
"""

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, QuerySet

User = AbstractBaseUser | AnonymousUser
Scope = Callable[[User, QuerySet | None], QuerySet]

SCOPES: dict[type[Model], Scope] = {}


def register_scope(model: type[Model], scope: Scope) -> None:
    """Scope ``model``'s rows with ``scope(user, queryset=None)`` (call from ``AppConfig.ready``)."""
    SCOPES[model] = scope


def scope_for_user(model: type[Model], user: User, queryset: QuerySet | None = None) -> QuerySet:
    """The rows of ``model`` that ``user`` may see."""
    return SCOPES[model](user, queryset)
