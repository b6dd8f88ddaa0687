"""Reads of carts: a signed-in user's, or a guest's by the token in its cookie."""

import uuid

from django.db import connection

from core.scopes import User
from orders.models import Cart, CartLine, CartPackLine


def _owner(token: str | uuid.UUID | None, user: User | None) -> tuple[str, object] | None:
    """The condition on ``orders_cart`` choosing a signed-in user's carts, or the guest carts with this token (never
    another user's), and its parameter; None when there can be none (no user, no valid token)."""
    if user is not None and user.is_authenticated:
        return "user_id = %s", user.pk
    if not token:
        return None
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return None
    return "token = %s AND user_id IS NULL", Cart._meta.get_field("token").get_db_prep_value(token, connection)


def cart_id_query(*, token: str | uuid.UUID | None = None, user: User | None = None) -> tuple[str, list] | None:
    """SQL for the id of the cart ``get_cart`` gives, with its parameters, to be used as a subquery (None when
    there is no such cart)."""
    owner = _owner(token, user)
    if owner is None:
        return None
    return f"SELECT id FROM {Cart._meta.db_table} WHERE {owner[0]} ORDER BY id LIMIT 1", [owner[1]]  # noqa: S608


def get_cart(*, token: str | uuid.UUID | None = None, user: User | None = None) -> Cart | None:
    """A signed-in user's cart, or the guest cart with this token (never another user's cart)."""
    owner = _owner(token, user)
    return _first_cart(*owner) if owner is not None else None


def _first_cart(where: str, param: object) -> Cart | None:
    """The first cart matching ``where``, read with a plain query: every cart and checkout request asks it (a flash
    sale's refusals included), and the ORM's building of the query cost more than running it."""
    carts = Cart.objects.raw(f"SELECT * FROM {Cart._meta.db_table} WHERE {where} ORDER BY id LIMIT 1", [param])  # noqa: S608
    return next(iter(carts), None)


def item_count(*, token: str | uuid.UUID | None = None, user: User | None = None) -> int:
    """How many items the cart of ``get_cart`` holds, a gift pack counting as one: one small query, none without
    a cart. Written as SQL because the header asks it on every page a shopper with a cart opens."""
    owner = _owner(token, user)
    if owner is None:
        return 0
    where, param = owner
    items = f"COALESCE((SELECT SUM(quantity) FROM {CartLine._meta.db_table} WHERE cart_id = c.id), 0)"  # noqa: S608
    packs = f"COALESCE((SELECT SUM(quantity) FROM {CartPackLine._meta.db_table} WHERE cart_id = c.id), 0)"  # noqa: S608
    carts = Cart._meta.db_table
    sql = f"SELECT {items} + {packs} FROM {carts} c WHERE {where} ORDER BY c.id LIMIT 1"  # noqa: S608 (no input)
    with connection.cursor() as cursor:
        cursor.execute(sql, [param])
        row = cursor.fetchone()
    return int(row[0]) if row else 0
