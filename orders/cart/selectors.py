"""Reads of carts: a signed-in user's, or a guest's by the token in its cookie."""

import uuid

from core.scopes import User
from orders.models import Cart


def get_cart(*, token: str | uuid.UUID | None = None, user: User | None = None) -> Cart | None:
    """A signed-in user's cart, or the guest cart with this token (never another user's cart)."""
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    if not token:
        return None
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return None
    return Cart.objects.filter(token=token, user__isnull=True).first()
