"""The transactional outbox: write a notification with the state change, hand it to the worker after commit.

A publishing failure (broker down) never reaches the caller: the row stays pending and
`worker.sweep_outbox` dispatches it again once its next attempt is due.

Every notification a transaction writes is handed over in one task after its commit (an order paid
writes several: the counter's webhook, the shopper's text message, e-mails…), so a paid order costs the broker
one message, and the worker one task, for all of them; those that should arrive at once are sent first, the
e-mails after them. A worker task that writes notifications (applying a payment) delivers them itself after its
commit (``delivered_here``) instead of publishing them: no task and no broker round trip of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from worker.models import Notification
from worker.tasks import deliver_batch, dispatch, dispatch_many

logger = logging.getLogger(__name__)

# Channels whose messages are sent after the others of their transaction (see the module's docstring).
SENT_LAST = frozenset({Notification.Channel.EMAIL})
_delivered_here: ContextVar[bool] = ContextVar("outbox_delivered_here", default=False)
_together: ContextVar[list[Notification] | None] = ContextVar("outbox_written_together", default=None)


@contextmanager
def delivered_here() -> Iterator[None]:
    """Within this block (a worker task), the notifications of each transaction are delivered by this process
    right after its commit, not published as a task of their own. If delivering fails, they are published
    instead (and the sweeper covers a crash)."""
    token = _delivered_here.set(True)
    try:
        yield
    finally:
        _delivered_here.reset(token)


def enqueue(
    *,
    channel: str,
    template: str,
    recipient: str,
    payload: dict[str, Any],
    language: str = "zh-hans",
    audience: str = "",
    audience_name: str = "",
    key: str,
) -> Notification:
    """Write a notification in the current transaction (once per `key`) and dispatch it after commit.

    Webhook and counter-queue notifications need an ``audience`` (``kind:id``, see ``Notification``); e-mail and
    text messages (SMS) a ``recipient`` (the address, the mobile number) and, for SMS, a template registered with
    ``worker.sms.register_template``.
    """
    if channel not in Notification.Channel.values:
        raise ValueError(f"unknown notification channel {channel!r}")
    if channel in (Notification.Channel.WEBHOOK, Notification.Channel.COUNTER) and not audience:
        raise ValueError("webhook and counter-queue notifications need an audience")
    if channel == Notification.Channel.SMS and not recipient:
        raise ValueError("a text message needs a mobile number")
    defaults: dict[str, Any] = {
        "channel": channel,
        "template": template,
        "recipient": recipient,
        "payload": payload,
        "language": language or "zh-hans",
        "audience": audience,
        "audience_name": audience_name,
    }
    if channel == Notification.Channel.COUNTER:
        # The in-app counter queue is delivered by being written: counter staff read it in their console.
        now = timezone.now()
        defaults.update(status=Notification.Status.DELIVERED, delivered_at=now, attempts=1)
    together = _together.get()
    if together is not None:
        together.append(Notification(key=key, **defaults))
        return together[-1]
    notification, created = _insert(Notification(key=key, **defaults))
    if created and notification.status == Notification.Status.PENDING:
        _dispatch_on_commit(notification.pk, last=channel in SENT_LAST)
    return notification


@contextmanager
def written_together() -> Iterator[None]:
    """Within this block (inside a transaction), ``enqueue`` keeps the notifications and writes them all in one
    statement as the block ends (a batch of orders paid together): once per key as ever, the first of a
    key written in the block kept, each dispatched after the commit as if written alone. The notifications
    ``enqueue`` returns in the block are not saved yet."""
    together: list[Notification] = []
    token = _together.set(together)
    try:
        yield
    finally:
        _together.reset(token)
    for notification in _insert_many(together):
        if notification.status == Notification.Status.PENDING:
            _dispatch_on_commit(notification.pk, last=notification.channel in SENT_LAST)


def _insert(notification: Notification) -> tuple[Notification, bool]:
    """Insert the row unless its key exists: one statement (``ON CONFLICT DO NOTHING``), no savepoint.

    A concurrent transaction inserting the same key makes this one wait for it; if it commits, the row is
    read back (``created`` False), as ``get_or_create`` would.
    """
    if not _insert_many([notification]):
        return Notification.objects.get(key=notification.key), False
    return notification, True


def _insert_many(notifications: list[Notification]) -> list[Notification]:
    """Insert the rows whose key exists nowhere yet, in one statement (``ON CONFLICT DO NOTHING``); returns
    those inserted, with their primary keys, in the order given (the first of a repeated key)."""
    unique: dict[str, Notification] = {}
    for notification in notifications:
        unique.setdefault(notification.key, notification)
    if not unique:
        return []
    fields = [field for field in Notification._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    table, columns = quote(Notification._meta.db_table), ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk, key = quote(Notification._meta.pk.column), quote("key")
    values = [
        field.get_db_prep_save(field.pre_save(notification, True), connection)
        for notification in unique.values()
        for field in fields
    ]
    # Names from the model's metadata; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(unique))} "  # noqa: S608
        f"ON CONFLICT (key) DO NOTHING RETURNING {pk}, {key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        inserted = {row_key: row_pk for row_pk, row_key in cursor.fetchall()}
    created = []
    for notification in unique.values():
        if notification.key in inserted:
            notification.pk = inserted[notification.key]
            notification._state.adding = False
            notification._state.db = connection.alias
            created.append(notification)
    return created


class _Dispatch:
    """The on-commit callback of one transaction: publishes the notifications it wrote in one task (or delivers
    them here, ``delivered_here``), those of ``SENT_LAST`` channels last."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.last: list[int] = []
        self.called = False

    def __call__(self) -> None:
        self.called = True  # a callback run early (tests capture and run them) takes no more ids
        ids = self.ids + self.last
        if not (ids and _delivered_here.get()):
            dispatch_many(ids)
            return
        try:
            deliver_batch(ids)
        except Exception:  # the rows are stored: a task of their own tries again (the sweeper, if it cannot)
            logger.warning("could not deliver notifications %s here; publishing them", ids, exc_info=True)
            dispatch_many(ids)


def _dispatch_on_commit(notification_id: int, *, last: bool = False) -> None:
    """Hand the notification to the worker after the commit, with the others this transaction writes.

    The transaction's callback is found among those Django keeps (``run_on_commit``): one dropped with a
    rolled-back savepoint is not there, and the next notification registers a new one.
    """
    if connection.in_atomic_block:
        for _savepoints, callback, _robust in connection.run_on_commit:
            if isinstance(callback, _Dispatch) and not callback.called:
                (callback.last if last else callback.ids).append(notification_id)
                return
    callback = _Dispatch()
    (callback.last if last else callback.ids).append(notification_id)
    transaction.on_commit(callback)


def resend_failed_notification(notification: Notification) -> bool:
    """An operator sends a permanently failed notification again (after fixing the address, say)."""
    updated = Notification.objects.filter(pk=notification.pk, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, next_attempt_at=timezone.now(), claimed_at=None
    )
    if updated:
        transaction.on_commit(lambda: dispatch(notification.pk))
    return bool(updated)
