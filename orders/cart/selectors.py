"""Reads of carts: a signed-in user's, or a guest's by the token in its cookie."""

import uuid

from django.db import connection

from core.scopes import User
from orders.models import Cart, CartLine, CartPackLine


def get_cart(*, token: str | uuid.UUID | None = None, user: User | None = None) -> Cart | None:
    """A signed-in user's cart, or the guest cart with this token (never another user's cart)."""
    if user is not None and user.is_authenticated:
        return _first_cart("user_id = %s", user.pk)
    if not token:
        return None
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return None
    return _first_cart(
        "token = %s AND user_id IS NULL", Cart._meta.get_field("token").get_db_prep_value(token, connection)
    )


def _first_cart(where: str, param: object) -> Cart | None:
    """The first cart matching ``where``, read with a plain query: every cart and checkout request asks it (a flash
    sale's refusals included), and the ORM's building of the query cost more than running it."""
    carts = Cart.objects.raw(f"SELECT * FROM {Cart._meta.db_table} WHERE {where} ORDER BY id LIMIT 1", [param])  # noqa: S608
    return next(iter(carts), None)


def item_count(*, token: str | uuid.UUID | None = None, user: User | None = None) -> int:
    """How many items the cart of ``get_cart`` holds, a gift pack counting as one: one small query, none without
    a cart. Written as SQL because the header asks it on every page a shopper with a cart opens."""
    if user is not None and user.is_authenticated:
        where, param = "c.user_id = %s", user.pk
    else:
        try:
            param = str(uuid.UUID(str(token))) if token else None
        except ValueError:
            param = None
        if param is None:
            return 0
        where = "c.token = %s AND c.user_id IS NULL"
    items = f"COALESCE((SELECT SUM(quantity) FROM {CartLine._meta.db_table} WHERE cart_id = c.id), 0)"  # noqa: S608
    packs = f"COALESCE((SELECT SUM(quantity) FROM {CartPackLine._meta.db_table} WHERE cart_id = c.id), 0)"  # noqa: S608
    carts = Cart._meta.db_table
    sql = f"SELECT {items} + {packs} FROM {carts} c WHERE {where} ORDER BY c.id LIMIT 1"  # noqa: S608 (no input)
    with connection.cursor() as cursor:
        cursor.execute(sql, [param])
        row = cursor.fetchone()
    return int(row[0]) if row else 0
