"""The two baselines a fan-out is compared with: the fastest raw insert of the same rows, and a naive ORM loop."""

from __future__ import annotations

import json
import time

from django.db import connection, transaction
from django.utils import timezone

from platform_notifications.models import Notification

#: The columns a fan-out writes, in table order (everything but the primary key).
COLUMNS = [f.column for f in Notification._meta.concrete_fields if not f.primary_key]


def row_values(user_ids: list[int], request, now) -> list[tuple]:
    """The rows a fan-out of ``request`` would insert for ``user_ids`` (web on, no email), as DB-API tuples."""
    stamp = connection.ops.adapt_datetimefield_value(now)
    context = json.dumps(request.context)
    # Free-text columns of ``service`` sends (their defaults for an Open edX request).
    options = request.options or {}
    common = (
        request.course_id,
        request.app_name,
        request.notification_type,
        context,
        request.content_url,
        True,
        False,
        False,
        "",
        None,
        None,
        request.group_by_id,
        False,
        None,
        stamp,
        stamp,
        options.get("title", ""),
        options.get("body", ""),
        options.get("level", "info"),
        options.get("priority", 3),
        json.dumps(options.get("links", [])),
        options.get("scope", ""),
        options.get("thread_key", ""),
        1,
        stamp if options else None,
    )
    return [(uid, *common) for uid in user_ids]


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
