"""Threads: a kind and its event data make one row per user, with an occurrence count, re-notified when read.

Set-based per chunk, like grouping: lock the chunk's users (not on SQLite), one read of their rows of the thread,
one UPDATE of them all. A user who had read their row is re-notified (unread and unseen again, owed an email with
the newest content); one who has not gets the occurrence added silently (no second email for an unread thread).
Users with a row get no new one. ``once_per_thread`` skips users with a row instead. A user who muted the thread
(``muted``) gets the occurrence silently even when they had read their row: it is not re-opened.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import router
from django.db.models import Case, F, Value, When

from platform_notifications.config.bounds import bounded
from platform_notifications.core.idsets import lookup
from platform_notifications.fanout.grouping import _lock_users
from platform_notifications.models import Notification

#: Columns re-notification clears, so that the row reads as new (and is emailed again).
RESET = ("last_read", "last_seen", "email_sent_on")


@dataclass
class ThreadMerge:
    """The outcome for one chunk: the re-notified rows (for the channels) and every user already in the thread."""

    renotified: list[Notification] = field(default_factory=list)
    silent: list[int] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)

    @property
    def existing(self) -> set[int]:
        return {row.user_id for row in self.renotified} | set(self.silent) | self.skipped


def merge_chunk(
    user_ids: list[int],
    thread_key: str,
    scope: str,
    values: Mapping[str, Any],
    now: datetime,
    *,
    once_per_thread: bool = False,
    muted: Collection[int] = (),
) -> ThreadMerge:
    """Fold one occurrence into the users' rows of the thread; ``values`` are the new content columns."""
    result = ThreadMerge()
    if not thread_key or not user_ids:
        return result
    alias = router.db_for_write(Notification)
    users = sorted(user_ids)
    _lock_users(alias, users)
    cutoff = now - timedelta(days=bounded("NOTIFICATIONS_EXPIRY"))
    rows = (
        Notification.objects.using(alias)
        .select_for_update()
        .filter(**lookup("user_id", users), thread_key=thread_key, scope=scope, created__gte=cutoff)
        .order_by("user_id", "-created", "-pk")
        .values_list("pk", "user_id", "last_read", "web", "email", "push", "email_cadence", "app_name", "course_id")
    )  # uses index (thread_key, user)
    newest: dict[int, tuple] = {}
    wanted = set(users)
    for row in rows:
        if row[1] in wanted:  # a range lookup may return neighbours (locked, left as they are)
            newest.setdefault(row[1], row)  # an older row of the same thread (expired meanwhile) stays as it was
    if once_per_thread:
        result.skipped = set(newest)
        return result
    if not newest:
        return result
    renotify = [row for row in newest.values() if row[2] is not None and row[1] not in muted]
    renotified_pks = [row[0] for row in renotify]
    result.silent = [uid for uid, row in newest.items() if row[2] is None or uid in muted]
    changes: dict[str, Any] = {**values, "occurrences": F("occurrences") + 1, "created": now, "modified": now}
    if renotified_pks:
        for name in RESET:
            changes[name] = Case(When(pk__in=renotified_pks, then=Value(None)), default=F(name))
        changes["email_scheduled"] = Case(When(pk__in=renotified_pks, then=Value(False)), default=F("email_scheduled"))
    Notification.objects.using(alias).filter(pk__in=[row[0] for row in newest.values()]).update(**changes)
    for pk, uid, _read, web, email, push, cadence, app_name, course_id in renotify:
        row = Notification(
            pk=pk,
            user_id=uid,
            app_name=app_name,
            course_id=course_id,
            web=web,
            email=email,
            push=push,
            email_cadence=cadence,
            created=now,
            modified=now,
            thread_key=thread_key,
            scope=scope,
            **{name: value for name, value in values.items() if name not in ("occurrences",)},
        )
        row._state.adding, row._state.db = False, alias
        result.renotified.append(row)
    return result
