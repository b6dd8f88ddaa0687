"""Who acts: a signed-in user, an anonymous visitor, or no one (a scheduled job, a webhook)."""

from django.contrib.auth.models import AbstractBaseUser

from core.scopes import User


def acting_user(actor: User | None) -> AbstractBaseUser | None:
    """The signed-in user behind an action, to record as its author; None for a visitor or the system."""
    return actor if actor is not None and actor.is_authenticated else None
