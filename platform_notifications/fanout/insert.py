"""Insert a fan-out chunk's notifications in one statement, whatever the chunk size.

Rows of one chunk differ only in user and channels, so the statement carries the shared values once and the
per-user values as one JSON document that the database expands (``json_array_elements`` on PostgreSQL,
``json_each`` on SQLite, ``JSON_TABLE`` on MariaDB/MySQL). Compared with ``bulk_create`` this skips a model
instance and ~17 field conversions per row, and stays one statement where ``bulk_create`` splits a chunk to
fit SQLite's 999-parameter assumption. Engines without the needed SQL fall back to ``bulk_create``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from platform_notifications.channels.base import NewRow, as_fields
from platform_notifications.core.dbfeatures import expands_json_rows
from platform_notifications.models import Notification
from platform_notifications.preferences.effective import Effective

#: Columns shared by every row of a chunk, besides the per-user ones above; the rest take SQL NULL/false.
SHARED = ("course_id", "app_name", "notification_type", "content_context", "content_url", "group_by_id")
#: Shared columns of ``service`` sends; a chunk that does not name them stores the model's defaults.
SHARED_OPTIONAL = (
    "title",
    "body",
    "level",
    "priority",
    "links",
    "scope",
    "thread_key",
    "occurrences",
    "first_created",
    "sender",
)
NULLS = ("last_read", "last_seen", "email_sent_on")

# One table function per engine: each yields (u, w, e, p, c) from a JSON array of [user, web, email, push, cadence]
# (booleans as JSON true/false).
_ROWS = {
    "postgresql": (
        "(SELECT (v->>0)::bigint AS u, (v->>1)::boolean AS w, (v->>2)::boolean AS e, "
        "(v->>3)::boolean AS p, (v->>4) AS c FROM json_array_elements(%s::json) AS j(v)) AS r"
    ),
    "sqlite": (
        "(SELECT value->>0 AS u, value->>1 AS w, value->>2 AS e, value->>3 AS p, value->>4 AS c "
        "FROM json_each(%s)) AS r"
    ),
    "mysql": (
        "JSON_TABLE(%s, '$[*]' COLUMNS (u BIGINT PATH '$[0]', w TINYINT PATH '$[1]', e TINYINT PATH '$[2]', "
        "p TINYINT PATH '$[3]', c VARCHAR(16) PATH '$[4]')) AS r"
    ),
}


def row_channels(eff: Effective, email_on: bool, push_on: bool) -> tuple[bool, bool, bool, str] | None:
    """(web, email, push, cadence) of a new row under ``eff``, or None when it would be delivered nowhere."""
    emails = email_on and eff.emails
    push = push_on and eff.push
    if not (eff.web or emails or push):
        return None
    return eff.web, emails, push, eff.email_cadence if emails else ""


class RowChannels:
    """``row_channels`` of each distinct ``Effective`` object of a chunk, decided once.

    Most users of a chunk share one object (nothing stored: the defaults; ``effective.for_users`` shares the
    others too). Looked up by identity for speed, and each object is kept with its answer: attention replaces some
    objects after the first decision, and the id of a freed object could otherwise come back for another.
    """

    def __init__(self, email_on: bool, push_on: bool) -> None:
        self._email_on, self._push_on = email_on, push_on
        self._decided: dict[int, tuple[Effective, tuple[bool, bool, bool, str] | None]] = {}

    def __call__(self, eff: Effective) -> tuple[bool, bool, bool, str] | None:
        entry = self._decided.get(id(eff))
        if entry is not None and entry[0] is eff:
            return entry[1]
        decided = row_channels(eff, self._email_on, self._push_on)
        self._decided[id(eff)] = (eff, decided)
        return decided

    def delivered(self, found: dict[int, Effective]) -> dict[int, Effective]:
        """The users of ``found`` whose preferences deliver on at least one channel."""
        kept = {}
        last, decided = None, None
        for uid, eff in found.items():
            if eff is not last:  # consecutive users mostly share one object
                last, decided = eff, self(eff)
            if decided is not None:
                kept[uid] = eff
        return kept

    def rows(self, prefs: dict[int, Effective], skip: set[int] | frozenset[int]) -> list[NewRow]:
        """New rows for the users of ``prefs`` outside ``skip`` who are still delivered somewhere.

        Plain tuples in ``NewRow``'s field order (``NewRow`` says why).
        """
        rows = []
        append = rows.append
        last, decided = None, None
        for uid, eff in prefs.items():
            if uid not in skip:
                if eff is not last:  # consecutive users mostly share one object
                    last, decided = eff, self(eff)
                if decided is not None:
                    append((uid, *decided))
        return rows


def returns_ids() -> bool:
    """Whether the INSERT hands back the new primary keys (MySQL has no RETURNING)."""
    return connection.features.can_return_rows_from_bulk_insert


def insert(shared: dict[str, Any], rows: Sequence[NewRow], now: datetime) -> dict[int, int] | None:
    """Insert one notification per row in one statement; return ``{user_id: pk}``, or None if ids are unknown."""
    if not rows:
        return {}
    if not expands_json_rows(connection):
        return _bulk_create(shared, rows, now)
    fields = {f.attname: f for f in Notification._meta.concrete_fields}
    quote = connection.ops.quote_name
    optional = {name: shared[name] if name in shared else fields[name].get_default() for name in SHARED_OPTIONAL}
    constants = {
        **{name: shared[name] for name in SHARED},
        **optional,
        "created": now,
        "modified": now,
        "email_scheduled": False,
    }
    params = [fields[name].get_db_prep_save(value, connection) for name, value in constants.items()]
    names = [*constants, *NULLS, "user_id", "web", "email", "push", "email_cadence"]
    placeholders = ["%s"] * len(params) + ["NULL"] * len(NULLS) + ["r.u", "r.w", "r.e", "r.p", "r.c"]
    # The rows are tuples of (user, web, email, push, cadence): JSON arrays as they are, booleans as true/false.
    document = json.dumps(rows)
    columns = ", ".join(quote(fields[name].column) for name in names)
    sql = (
        f"INSERT INTO {quote(Notification._meta.db_table)} ({columns}) "  # noqa: S608 (names are quoted model columns)
        f"SELECT {', '.join(placeholders)} FROM {_ROWS[connection.vendor]}"
    )
    with connection.cursor() as cursor:
        if not returns_ids():
            cursor.execute(sql, [*params, document])
            return None
        cursor.execute(f"{sql} RETURNING {quote('id')}, {quote('user_id')}", [*params, document])
        return {user_id: pk for pk, user_id in cursor.fetchall()}


def _bulk_create(shared: dict[str, Any], rows: Sequence[NewRow], now: datetime) -> dict[int, int] | None:
    created = Notification.objects.bulk_create(
        [Notification(**shared, **as_fields(row), created=now, modified=now) for row in rows]
    )
    return {n.user_id: n.pk for n in created} if created and created[0].pk is not None else None
