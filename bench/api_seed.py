"""Seeding for the API benchmark: users through the ORM, notifications through each engine's fastest raw load."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

PER_USER = 100
CONTEXT = json.dumps({"replier_name": "Ana", "post_title": "Week 1: introductions", "course_name": "Demo"})
APPS = (("discussion", "new_response"), ("grading", "ora_reminder"), ("updates", "course_updates"))


def make_users(first: int, count: int) -> list[int]:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    users = [user_model(username=f"b{n}", email=f"b{n}@example.com", password="!") for n in range(first, first + count)]
    user_model.objects.bulk_create(users, batch_size=5000)
    return list(
        user_model.objects.filter(username__in=[u.username for u in users]).order_by("id").values_list("id", flat=True)
    )


def rows_for(user_ids: list[int], now: datetime):
    """100 rows per user over the last 50 days, in the three apps; about 80% seen and half read."""
    from django.db import connection

    adapt = connection.ops.adapt_datetimefield_value
    for uid in user_ids:
        for n in range(PER_USER):
            app, ntype = APPS[n % 3]
            created = now - timedelta(minutes=720 * n + uid % 600)
            seen = adapt(created) if n >= 20 else None
            read = adapt(created) if n >= 50 else None
            stamp = adapt(created)
            yield (uid, "course-v1:Org+Bench+Run", app, ntype, CONTEXT, "/courses/bench/posts/1", True, False,
                   False, "", read, seen, "", False, None, stamp, stamp)  # fmt: skip


def bulk_load(user_ids: list[int]) -> None:
    """The fastest raw load each engine offers: COPY on PostgreSQL, multi-row executemany elsewhere."""
    from django.db import connection, transaction

    from platform_notifications.models import Notification

    columns = [f.column for f in Notification._meta.concrete_fields if not f.primary_key]
    table = Notification._meta.db_table
    now = datetime.now(UTC)
    step = 500  # users per batch: 50,000 rows
    for start in range(0, len(user_ids), step):
        batch = rows_for(user_ids[start : start + step], now)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                raw = connection.connection
                with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
                with connection.cursor() as cursor:
                    cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", list(batch))  # noqa: S608
    analyze(table)


def analyze(table: str) -> None:
    from django.db import connection

    statement = {"postgresql": "ANALYZE {}", "mysql": "ANALYZE TABLE {}", "sqlite": "ANALYZE"}[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(statement.format(table))
        if connection.vendor == "mysql":
            cursor.fetchall()
