"""Digest benchmark: deliver daily digests to 10,000 users with 20 notifications each (SQLite).

``python -m bench.digest [--quick] [--users N] [--per-user N]``. Reports emails per second of the real delivery
(claim, read, render, send, mark, per user) beside a baseline that only renders and sends the same messages in
a loop, and the queries per digest; JSON goes to ``bench/results/digest-sqlite.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import db

RESULTS = Path(__file__).resolve().parent / "results"
STEP = 5000


def seed_digests(user_ids: list[int], per_user: int, when: datetime) -> None:
    """``per_user`` unsent daily rows per user, created before ``when``, and one pending schedule each."""
    from platform_notifications.models import DigestSchedule, Notification

    created = when - timedelta(hours=3)
    rows = (
        Notification(
            user_id=uid,
            course_id=f"course-v1:Bench+C{n % 3}+Run",
            app_name="discussion",
            notification_type="new_response",
            content_context={"replier_name": f"Replier {n}", "post_title": f"Post <{n}> & more"},
            content_url=f"/courses/bench/posts/{n}",
            email=True,
            email_cadence="Daily",
            created=created,
            modified=created,
        )
        for uid in user_ids
        for n in range(per_user)
    )
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == STEP:
            Notification.objects.bulk_create(batch)
            batch = []
    Notification.objects.bulk_create(batch)
    DigestSchedule.objects.bulk_create(
        [DigestSchedule(user_id=uid, cadence="Daily", delivery_time=when) for uid in user_ids], batch_size=STEP
    )


def baseline(user_ids: list[int], when: datetime) -> float:
    """Render and send the same messages in a plain loop (rows read beforehand, untimed); return seconds."""
    from django.contrib.auth import get_user_model
    from django.core.mail import get_connection

    from platform_notifications.channels.email.message import Recipient, compose
    from platform_notifications.config.enums import Cadence
    from platform_notifications.models import Notification

    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)}
    by_user: dict[int, list] = {}
    for row in Notification.objects.filter(email_sent_on__isnull=True, created__lte=when).order_by("pk"):
        by_user.setdefault(row.user_id, []).append(row)
    connection = get_connection()
    started = time.perf_counter()
    for uid, rows in by_user.items():
        user = users[uid]
        message = compose(Recipient(uid, user.email, user.get_full_name()), Cadence.DAILY, rows)
        message.connection = connection
        message.send()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 users instead of 10,000")
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--per-user", type=int, default=20)
    args = parser.parse_args(argv)
    count = args.users or (1000 if args.quick else 10_000)
    db.configure("sqlite")
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from waffle.models import Flag

    from platform_notifications.channels.email import batch
    from platform_notifications.config.enums import Cadence

    # In memory: the benchmark measures the pipeline, not a mail server.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with db.throwaway_database():
        Flag.objects.create(name="notifications.enable_email_notifications", everyone=True)
        user_ids = db.seed(count, {})
        when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        seed_digests(user_ids, args.per_user, when)
        mail.outbox = []
        base_seconds = baseline(user_ids, when)
        base_sent = len(mail.outbox)
        mail.outbox = []
        statements = []
        commits = [0]

        def record(execute, sql, params, many, context):
            statements.append(sql.split(None, 1)[0].upper())
            writes = statements[-1] in ("UPDATE", "INSERT", "DELETE")
            # A write outside a transaction commits on its own (autocommit).
            commits[0] += writes and not connection.in_atomic_block
            return execute(sql, params, many, context)

        original_commit = connection.commit

        def counted_commit():
            commits[0] += 1
            return original_commit()

        connection.commit = counted_commit
        started = time.perf_counter()
        with connection.execute_wrapper(record):
            outcome = batch.deliver_instant(Cadence.DAILY, when)
        seconds = time.perf_counter() - started
        connection.commit = original_commit
        sent = len(mail.outbox)
    assert sent == base_sent == count == outcome["sent"], (sent, base_sent, count, dict(outcome))
    report = {
        "engine": "sqlite",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "users": count,
        "notifications_per_user": args.per_user,
        "emails": sent,
        "seconds": round(seconds, 3),
        "emails_per_second": round(sent / seconds, 1),
        "baseline_seconds": round(base_seconds, 3),
        "baseline_emails_per_second": round(base_sent / base_seconds, 1),
        "ratio_to_baseline": round((sent / seconds) / (base_sent / base_seconds), 3),
        "batch": batch.BATCH,
        # Every statement of the run, the id reads and BEGINs included, counted with an execute wrapper.
        "queries_per_digest": round(len(statements) / sent, 3),
        "queries_total": len(statements),
        # The claim (an autocommit UPDATE) and the marks (one transaction) of each batch.
        "commits_per_digest": round(commits[0] / sent, 3),
        "commits_total": commits[0],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "digest-sqlite.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
