"""Benchmark database set-up: one engine per process, a throwaway database created and dropped per run."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

ENGINES = {
    "sqlite": None,  # a file in a temporary directory
    "postgresql": "postgres://postgres@127.0.0.1:5432/postgres",
    "mariadb": "mysql://root@127.0.0.1:3306/mysql",
}
BENCH_DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "bench_pn_perf")


def configure(engine: str) -> None:
    """Point ``settings.services`` at ``engine`` through the environment, then set Django up."""
    url = os.environ.get("DATABASE_URL") if engine != "sqlite" else None
    if engine == "sqlite":
        directory = tempfile.mkdtemp(prefix="pn-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
        os.environ["TEST_DATABASE_NAME"] = f"{directory}/{BENCH_DB_NAME}.sqlite3"
    else:
        os.environ["DATABASE_URL"] = url or ENGINES[engine]
        os.environ["TEST_DATABASE_NAME"] = BENCH_DB_NAME
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings.services"
    import logging

    import django

    django.setup()
    # Per-request INFO lines would interleave with the figures.
    logging.getLogger("platform_notifications").setLevel(logging.WARNING)


@contextmanager
def throwaway_database():
    """Create (and migrate) a fresh database for the run and drop it afterwards, whatever happens."""
    from django.db import connection

    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


def seed(count: int, courses: dict[str, int]) -> list[int]:
    """Create ``count`` users and, per course, memberships for the first N of them; return the user ids."""
    from django.contrib.auth import get_user_model

    from platform_notifications.models import CourseMembership

    User = get_user_model()
    step = 5000
    for start in range(0, count, step):
        User.objects.bulk_create(
            [
                User(username=f"u{n}", email=f"u{n}@example.com", password="!", is_active=True)
                for n in range(start, min(count, start + step))
            ]
        )
    ids = list(User.objects.order_by("id").values_list("id", flat=True))
    for course_id, size in courses.items():
        for start in range(0, size, step):
            CourseMembership.objects.bulk_create(
                [
                    CourseMembership(user_id=uid, course_id=course_id, mode="audit")
                    for uid in ids[start : min(size, start + step)]
                ]
            )
    analyze()
    return ids


def analyze() -> None:
    """Fresh planner statistics, as a live database has (autovacuum may not have run yet after the seeding)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
        elif connection.vendor == "mysql":
            cursor.execute("ANALYZE TABLE auth_user, platform_notifications_coursemembership")
            cursor.fetchall()
        else:
            cursor.execute("ANALYZE")


def truncate_notifications() -> None:
    """Empty the notifications table between runs (TRUNCATE where the engine has it: no bloat carried over)."""
    from django.db import connection

    from platform_notifications.models import Notification

    table = connection.ops.quote_name(Notification._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        else:
            cursor.execute(f"TRUNCATE TABLE {table}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
