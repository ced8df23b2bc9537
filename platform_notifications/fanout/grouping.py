"""Grouper classes collapse a new notification into the user's still-unseen row of the same group.

``@register_grouper("type")`` picks the grouper of a type; ``merge_chunk`` folds one fan-out chunk into the
users' existing rows with a fixed number of queries, serialised per user so concurrent fan-outs meet.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import Case, Field, Value, When
from django.db.models.functions import Cast
from django.utils.crypto import salted_hmac

from platform_notifications.config import toggles
from platform_notifications.config.bounds import bounded
from platform_notifications.core.idsets import lookup
from platform_notifications.models import Notification

if TYPE_CHECKING:
    from platform_notifications.config import NotificationType
    from platform_notifications.models import NotificationRequest
    from platform_notifications.preferences.effective import Effective

#: Hex characters kept of an actor's keyed hash: 48 bits, so ids never collide within one group.
ACTOR_KEY_LENGTH = 12

#: Every concrete field of a notification, in model order (how ``Model.from_db`` takes them positionally).
_ATTNAMES = [field.attname for field in Notification._meta.concrete_fields]
_FIELDS = {field.attname: field for field in Notification._meta.concrete_fields}

#: Worst-case bound parameters one merged row adds to the UPDATE (id, context, web, email, push, cadence).
PARAMS_PER_ROW = 6


class BaseGrouper:
    """Folds a new notification's context into the context of the row it joins.

    ``sender`` is an opaque key of the acting user (from the producer's ``sender_id``), or None when the
    producer did not say who acted; it lets a grouper tell apart two people who share a display name.
    """

    #: Variables this grouper adds to the context, which ``grouped_content_template`` may use.
    provides: frozenset[str] = frozenset()

    def start(self, new: Mapping[str, Any], sender: str | None = None) -> dict[str, Any]:
        """The context stored for the first notification of a group (a new row)."""
        return dict(new)

    def group(self, existing: Mapping[str, Any], new: Mapping[str, Any], sender: str | None = None) -> dict[str, Any]:
        """Return the merged context; set ``rendering.GROUPED_FLAG`` to render the grouped template."""
        raise NotImplementedError


_GROUPERS: dict[str, type[BaseGrouper]] = {}


def register_grouper(notification_type: str) -> Callable[[type[BaseGrouper]], type[BaseGrouper]]:
    """Class decorator: use the class to group notifications of ``notification_type``."""

    def decorator(cls: type[BaseGrouper]) -> type[BaseGrouper]:
        from platform_notifications.config import registry

        if not (isinstance(cls, type) and issubclass(cls, BaseGrouper)):
            raise ImproperlyConfigured(f"{cls!r} registered for {notification_type!r} is not a BaseGrouper")
        if registry.get_type(notification_type) is None:
            raise ImproperlyConfigured(f"grouper {cls.__name__} is registered for unknown type {notification_type!r}")
        if _GROUPERS.get(notification_type, cls) is not cls:
            raise ImproperlyConfigured(f"notification type {notification_type!r} already has a grouper")
        _GROUPERS[notification_type] = cls
        return cls

    return decorator


def unregister_grouper(notification_type: str) -> None:
    """Forget the grouper of ``notification_type`` (for apps and tests that register temporary types)."""
    _GROUPERS.pop(notification_type, None)


def get_grouper(notification_type: str) -> BaseGrouper | None:
    cls = _GROUPERS.get(notification_type)
    return cls() if cls else None


def groupers() -> dict[str, type[BaseGrouper]]:
    return dict(_GROUPERS)


def actor_identity(kind: str, value: Any) -> str:
    """A stable, opaque key for an actor: keyed so that stored contexts never reveal user ids."""
    return _actor_identity(settings.SECRET_KEY, kind, str(value))


@lru_cache(maxsize=4096)
def _actor_identity(secret: str, kind: str, value: str) -> str:
    # A chunk's rows name the same few actors thousands of times; the secret is part of the key, so a
    # rotated SECRET_KEY never reuses an old answer.
    digest = salted_hmac(
        "platform_notifications.fanout.grouping.actor", f"{kind}:{value}", secret=secret, algorithm="sha256"
    )
    return digest.hexdigest()[:ACTOR_KEY_LENGTH]


def sender_identity(sender_id: int | None) -> str | None:
    return None if sender_id is None else actor_identity("user", sender_id)


def initial_context(request: NotificationRequest, ntype: NotificationType) -> dict[str, Any]:
    """The context of a new row: seeded by the type's grouper so that later joins count its actor right.

    Seeded whether or not grouping is switched on, so rows created while it was off group correctly later.
    """
    grouper = get_grouper(ntype.name) if request.group_by_id else None
    if grouper is None:
        return request.context
    return grouper.start(request.context, sender=sender_identity(request.sender_id))


def merge_chunk(
    request: NotificationRequest,
    ntype: NotificationType,
    prefs: Mapping[int, Effective],
    now: datetime,
    *,
    email_on: bool,
    push_on: bool,
) -> MergedRows:
    """Fold the request into each user's unseen row of the same group; return the updated rows.

    Runs inside the chunk's transaction. Queries: lock the chunk's users (skipped on SQLite), read the
    candidate rows, one UPDATE; users whose row was updated get no new row.
    """
    alias = router.db_for_write(Notification)
    if not request.group_by_id or not prefs:
        return MergedRows(alias, {}, [], now)
    grouper = get_grouper(ntype.name)
    if grouper is None or not toggles.ENABLE_NOTIFICATION_GROUPING.is_enabled():
        return MergedRows(alias, {}, [], now)
    user_ids = sorted(prefs)
    _lock_users(alias, user_ids)
    cutoff = now - timedelta(days=bounded("NOTIFICATIONS_EXPIRY"))
    candidates = (
        Notification.objects.using(alias)
        # Also locks the candidates against a concurrent mark-seen: a row seen meanwhile is not joined.
        .select_for_update()
        .filter(
            # A dense chunk is read by id range (two parameters); rows of users outside it are skipped below.
            **lookup("user_id", user_ids),
            notification_type=ntype.name,
            group_by_id=request.group_by_id,
            course_id=request.course_id,
            last_seen__isnull=True,
            # An expired row is hidden from the tray and about to be purged: start afresh instead.
            created__gte=cutoff,
        )
        .order_by("user_id", "-created", "-pk")
        .values_list("pk", "user_id", "content_context")  # uses index (group_by_id, user)
    )
    sender = sender_identity(request.sender_id)
    merged: dict[int, MergedRow] = {}
    for pk, user_id, existing in candidates:
        if user_id in merged or user_id not in prefs:
            continue  # an older unseen row of the same group (the newest one keeps up), or not a recipient
        effective = prefs[user_id]
        emails = email_on and effective.emails
        context = grouper.group(existing if isinstance(existing, Mapping) else {}, request.context, sender=sender)
        merged[user_id] = MergedRow(
            pk,
            user_id,
            context,
            effective.web,
            emails,
            push_on and effective.push,
            effective.email_cadence if emails else "",
        )
    written = list(merged.values())
    _write(alias, written, request.content_url, now)
    shared = {
        "course_id": request.course_id,
        "app_name": request.app_name,
        "notification_type": ntype.name,
        "content_url": request.content_url,
        "group_by_id": request.group_by_id,
    }
    return MergedRows(alias, shared, written, now)


class MergedRow(NamedTuple):
    """What a merge wrote to one existing row (the rest is the request's, or reset: see ``MergedRows``)."""

    pk: int
    user_id: int
    content_context: dict[str, Any]
    web: bool
    email: bool
    push: bool
    email_cadence: str


class MergedRows(Sequence[Notification]):
    """The rows one chunk's merge updated, as model instances equal to the stored rows, built on first read.

    The fan-out's channels mostly need only who is emailed or shown in the tray (``written``); building 20,000
    instances for that would cost more than the merge's UPDATE.
    """

    def __init__(self, alias: str, shared: dict[str, Any], written: list[MergedRow], now: datetime) -> None:
        self.written = written
        self._alias, self._shared, self._now = alias, shared, now
        self._built: list[Notification] | None = None

    def _rows(self) -> list[Notification]:
        if self._built is None:
            # Joining makes the row new again: top of the tray, unread, and owed an email with its latest state.
            # Columns the merge does not set (added by other features) take their model default.
            values = {name: field.get_default() for name, field in _FIELDS.items()}
            values.update(self._shared, last_read=None, last_seen=None, email_scheduled=False, email_sent_on=None)
            values.update(created=self._now, modified=self._now)
            template = [values[name] for name in _ATTNAMES]
            slots = [_ATTNAMES.index("id" if name == "pk" else name) for name in MergedRow._fields]
            built = []
            for row in self.written:
                row_values = template.copy()
                for slot, value in zip(slots, row, strict=True):
                    row_values[slot] = value
                # ``from_db`` with every field in order builds the instance positionally (a third of
                # ``__init__(**kw)``).
                built.append(Notification.from_db(self._alias, _ATTNAMES, row_values))
            self._built = built
        return self._built

    @property
    def user_ids(self) -> set[int]:
        return {row.user_id for row in self.written}

    def __len__(self) -> int:
        return len(self.written)

    def __getitem__(self, index):
        return self._rows()[index]

    def __iter__(self):
        return iter(self._rows())


def _lock_users(alias: str, user_ids: list[int]) -> None:
    """Serialise grouping per user: a second fan-out of the same group waits here, then sees the first's row.

    Locking candidate rows alone cannot do it when no row exists yet (both would insert). Users are locked
    in id order, so two fan-outs never deadlock; ``FOR NO KEY UPDATE`` (PostgreSQL) leaves inserts that
    reference the users unblocked. SQLite runs one writer at a time and has no row locks.
    """
    features = connections[alias].features
    if not features.has_select_for_update:
        return
    no_key = features.has_select_for_no_key_update
    users = get_user_model()._default_manager.using(alias).select_for_update(no_key=no_key)
    # A dense chunk locks its id range (two parameters; at most twice its users, still in id order).
    list(users.filter(**lookup("pk", user_ids)).order_by("pk").values_list("pk", flat=True))


def _write(alias: str, rows: list[MergedRow], content_url: str, now: datetime) -> None:
    """Write the merged rows with one UPDATE (Django's ``bulk_update`` splits by SQLite's assumed 999)."""
    for batch in _batches(alias, rows):
        Notification.objects.using(alias).filter(pk__in=[row.pk for row in batch]).update(
            content_context=_column(alias, batch, "content_context", key=lambda v: json.dumps(v, sort_keys=True)),
            web=_column(alias, batch, "web"),
            email=_column(alias, batch, "email"),
            push=_column(alias, batch, "push"),
            email_cadence=_column(alias, batch, "email_cadence"),
            content_url=content_url,
            last_read=None,
            email_scheduled=False,
            email_sent_on=None,
            created=now,
            modified=now,
        )


def _batches(alias: str, rows: list[MergedRow]) -> Iterable[list[MergedRow]]:
    # Only SQLite bounds the parameters of one statement (PostgreSQL and MySQL drivers bind client-side);
    # a chunk beyond it (hundreds of thousands of parameters on current builds) is split.
    connection = connections[alias]
    size = max(1, len(rows))
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        size = max(1, connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // PARAMS_PER_ROW - 1)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _column(alias: str, rows: list[MergedRow], name: str, key: Callable[[Any], Any] = lambda v: v) -> Any:
    """One column's new values as a CASE; the most common value is the default, so it costs no ids."""
    field: Field = Notification._meta.get_field(name)
    groups: dict[Any, tuple[Any, list[int]]] = {}
    for row in rows:
        value = getattr(row, name)
        groups.setdefault(key(value), (value, []))[1].append(row.pk)
    ordered = sorted(groups.values(), key=lambda group: len(group[1]), reverse=True)
    default = Value(ordered[0][0], output_field=field)
    if len(ordered) == 1:
        return default
    whens = [When(pk__in=pks, then=Value(value, output_field=field)) for value, pks in ordered[1:]]
    case = Case(*whens, default=default, output_field=field)
    # PostgreSQL needs the CASE cast back to the column type (as in Django's own bulk_update).
    return Cast(case, output_field=field) if connections[alias].features.requires_casted_case_in_updates else case
