"""Retention purge benchmark: delete 1,000,000 expired notifications in primary-key ranges, beside one DELETE.

``python -m bench.retention [--db postgresql|mariadb|sqlite|all] [--rows 1000000] [--batch-sizes 5000]``. Each
engine runs in its own process on a throwaway database. The table holds ``--rows`` expired rows and a tenth as many
young rows (kept). Reported per batch size: total time, statements, the longest single statement, and the same
figures for the baseline measured in the same run: one unbounded ``DELETE ... WHERE created < cutoff`` of the same
rows, which holds its locks for the whole purge. Figures go to ``bench/results/retention-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import db

RESULTS = Path(__file__).resolve().parent / "results"
USERS = 1000


def _insert_sql(vendor: str, table: str, first_user: int, count: int, days_old: int) -> str:
    """One INSERT ... SELECT of ``count`` rows, spread over the users, ``days_old`` days back (server-side)."""
    columns = (
        "user_id, course_id, app_name, notification_type, content_context, content_url, web, email, push, "
        "email_cadence, group_by_id, email_scheduled, created, modified"
    )
    if vendor == "postgresql":
        source, n = f"generate_series(1, {count}) AS s(n)", "n"
        created = f"now() - interval '{days_old} days' + n * interval '1 millisecond'"
        true, false = "true", "false"
    elif vendor == "mysql":
        source, n = f"seq_1_to_{count}", "seq"
        created = f"UTC_TIMESTAMP(6) - INTERVAL {days_old} DAY + INTERVAL seq * 1000 MICROSECOND"
        true, false = "1", "0"
    else:
        source = f"(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {count}) SELECT n FROM c)"
        n, created, true, false = "n", f"datetime('now', '-{days_old} days')", "1", "0"
    return (
        f"INSERT INTO {table} ({columns}) SELECT {first_user} + ({n} % {USERS}), 'course-v1:Bench+Purge+Run', "  # noqa: S608
        f'\'discussion\', \'new_response\', \'{{"replier_name": "Ana", "post_title": "Week 1"}}\', '
        f"'/courses/bench/posts/1', {true}, {false}, {false}, '', '', {false}, {created}, {created} FROM {source}"
    )


def fill(rows: int) -> None:
    """``rows`` expired notifications, then ``rows // 10`` young ones (inserted last, as time goes)."""
    from django.db import connection, transaction

    from platform_notifications.models import Notification

    db.truncate_notifications()
    first_user = db.seed(USERS, {})[0] if not _users_exist() else _first_user()
    table = connection.ops.quote_name(Notification._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor, table, first_user, rows, 120))
        cursor.execute(_insert_sql(connection.vendor, table, first_user, max(1, rows // 10), 1))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE TABLE {table}" if connection.vendor == "mysql" else f"ANALYZE {table}")
        if connection.vendor == "mysql":
            cursor.fetchall()


def _users_exist() -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.exists()


def _first_user() -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.order_by("id").values_list("id", flat=True).first()


class StatementClock:
    """Times every statement sent (an execute wrapper): the longest one is how long a lock can be held."""

    def __init__(self) -> None:
        self.durations: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.durations.append(time.perf_counter() - start)


def measure(action) -> dict:
    from django.db import connection

    clock = StatementClock()
    start = time.perf_counter()
    with connection.execute_wrapper(clock):
        deleted = action()
    total = time.perf_counter() - start
    return {
        "deleted": deleted,
        "total_s": round(total, 3),
        "statements": len(clock.durations),
        "longest_statement_s": round(max(clock.durations), 4),
        "rows_per_s": round(deleted / total),
    }


def single_delete() -> int:
    from django.db import connection
    from django.utils import timezone

    from platform_notifications.config.bounds import bounded
    from platform_notifications.models import Notification

    cutoff = timezone.now() - timedelta(days=bounded("NOTIFICATIONS_EXPIRY"))
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Notification._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE created < %s", [cutoff])  # noqa: S608
        return cursor.rowcount


def run(rows: int, batch_sizes: list[int]) -> dict:
    from platform_notifications.models import Notification
    from platform_notifications.operations import retention

    fill(rows)
    baseline = measure(single_delete)
    assert baseline["deleted"] == rows, baseline
    report = {"rows": rows, "young_rows_kept": rows // 10, "baseline_single_delete": baseline, "batched": {}}
    for size in batch_sizes:
        fill(rows)
        batched = measure(lambda size=size: retention.purge(size)["notifications"])
        assert batched["deleted"] == rows and Notification.objects.count() == rows // 10, batched
        batched["longest_vs_single_delete"] = round(batched["longest_statement_s"] / baseline["total_s"], 4)
        batched["total_vs_single_delete"] = round(batched["total_s"] / baseline["total_s"], 2)
        report["batched"][str(size)] = batched
        print(
            f"{size:>6} keys/DELETE: {batched['total_s']:.1f} s total ({batched['total_vs_single_delete']:.2f}x one "
            f"DELETE), {batched['statements']} statements, longest {batched['longest_statement_s'] * 1000:.0f} ms "
            f"({batched['longest_vs_single_delete']:.4f} of one DELETE's {baseline['total_s']:.1f} s)"
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="all", choices=["all", *db.ENGINES])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-sizes", default="5000")
    args = parser.parse_args(argv)
    if args.db == "all":
        failed = 0
        for engine in ("postgresql", "mariadb"):
            command = [sys.executable, "-m", "bench.retention", "--db", engine, "--rows", str(args.rows)]
            command += ["--batch-sizes", args.batch_sizes]
            failed |= subprocess.run(command, env={**os.environ, "DATABASE_URL": ""}).returncode  # noqa: PLW1510
        return failed
    db.BENCH_DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_pn_retention")
    db.configure(args.db)
    with db.throwaway_database() as connection:
        print(f"{args.db}: purging {args.rows:,} expired rows (and keeping {args.rows // 10:,})")
        report = {
            "engine": args.db,
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            **run(args.rows, [int(s) for s in args.batch_sizes.split(",") if s]),
        }
        report["server"] = connection.vendor
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"retention-{args.db}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
