"""The two baselines a fan-out is compared with: the fastest raw insert of the same rows, and a naive ORM loop."""

from __future__ import annotations

import json
import time

from django.db import connection, transaction
from django.utils import timezone

from platform_notifications.models import Notification

#: The fields a fan-out writes, in table order (everything but the primary key).
FIELDS = [f for f in Notification._meta.concrete_fields if not f.primary_key]
COLUMNS = [f.column for f in FIELDS]


def row_values(user_ids: list[int], request, now) -> list[tuple]:
    """The rows a fan-out of ``request`` would insert for ``user_ids`` (web on, no email), as DB-API tuples.

    Built by field name, so a column added to the model takes its default here instead of shifting the others.
    """
    stamp = connection.ops.adapt_datetimefield_value(now)
    # Free-text columns of ``service`` sends (their defaults for an Open edX request).
    options = request.options or {}
    named = {
        "course_id": request.course_id,
        "app_name": request.app_name,
        "notification_type": request.notification_type,
        "content_context": json.dumps(request.context),
        "content_url": request.content_url,
        "web": True,
        "email": False,
        "push": False,
        "email_cadence": "",
        "last_read": None,
        "last_seen": None,
        "group_by_id": request.group_by_id,
        "email_scheduled": False,
        "email_sent_on": None,
        "created": stamp,
        "modified": stamp,
        "title": options.get("title", ""),
        "body": options.get("body", ""),
        "level": options.get("level", "info"),
        "priority": options.get("priority", 3),
        "links": json.dumps(options.get("links", [])),
        "scope": options.get("scope", ""),
        "thread_key": options.get("thread_key", ""),
        "occurrences": 1,
        "first_created": stamp if options else None,
    }
    common = tuple(_value(field, named) for field in FIELDS if field.attname != "user_id")
    position = [f.attname for f in FIELDS].index("user_id")
    return [(*common[:position], uid, *common[position:]) for uid in user_ids]


def _value(field, named: dict):
    if field.attname in named:
        return named[field.attname]
    default = field.get_default()
    return field.get_db_prep_save(default, connection) if default is not None else None


def raw_insert(user_ids: list[int], request) -> float:
    """Insert one row per user the fastest way the driver offers, in one transaction; return seconds."""
    table = connection.ops.quote_name(Notification._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    started = time.perf_counter()
    rows = row_values(user_ids, request, timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the bulk-load path of PostgreSQL, through psycopg 3's copy API.
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # executemany: PyMySQL rewrites it into multi-row INSERTs; sqlite3 reuses one prepared statement.
            marks = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
    return time.perf_counter() - started


def naive_loop(user_ids: list[int], request) -> float:
    """One ``Notification.objects.create`` per recipient in autocommit, as naive code would; return seconds."""
    started = time.perf_counter()
    for uid in user_ids:
        Notification.objects.create(
            user_id=uid,
            course_id=request.course_id,
            app_name=request.app_name,
            notification_type=request.notification_type,
            content_context=request.context,
            content_url=request.content_url,
            group_by_id=request.group_by_id,
        )
    return time.perf_counter() - started
