"""Kinds benchmark: ``service.send`` to a Django group of 100,000 narrowed by a permission, against a raw insert.

``python -m bench.kinds [--db sqlite|postgresql|mariadb|all] [--size 100000]``. The group has ``size`` members;
nine in ten hold the permission (through a second group), so the fan-out reaches 90% of them. The baseline is the
fastest raw insert (``COPY`` on PostgreSQL) of the same rows, measured in the same run; both are the median of
``--repeat`` runs. Figures go to ``bench/results/kinds-<db>.json``.

The attention scenario sends the same notification as a thread while a tenth of the audience is affected: one in
thirty muted the thread, one in thirty is in do-not-disturb, one in thirty is inside quiet hours, and the permitted
group has role defaults; every user has stored settings, so the per-chunk attention queries find rows to decide.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import db

RESULTS = Path(__file__).resolve().parent / "results"
KIND = "approvals.requested"


def seed_groups(user_ids: list[int]) -> list[int]:
    """Everyone in ``approvers``; nine in ten also in ``signers``, which holds the permission. Returns the holders."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    approvers = Group.objects.create(name="approvers")
    signers = Group.objects.create(name="signers")
    signers.permissions.add(Permission.objects.get(content_type__app_label="auth", codename="change_group"))
    through = get_user_model().groups.through
    holders = [uid for n, uid in enumerate(user_ids) if n % 10]
    step = 5000
    for members, group in ((user_ids, approvers), (holders, signers)):
        for start in range(0, len(members), step):
            through.objects.bulk_create(
                [through(user_id=uid, group_id=group.pk) for uid in members[start : start + step]]
            )
    db.analyze()
    return holders


EVENT = {"order": "PO-42"}


def seed_attention(user_ids: list[int]) -> dict:
    """Settings for everyone; a thirtieth each muted, in do-not-disturb, in quiet hours. Returns the counts."""
    from datetime import time, timedelta

    from django.utils import timezone

    from platform_notifications.config.kinds import thread_key
    from platform_notifications.models import ThreadMute, UserNotificationSettings

    now = timezone.now()
    # A window around the current UTC time, so the quiet-hours users are inside it whatever the hour.
    start, end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=1)).time()
    key = thread_key(KIND, EVENT)
    settings_rows, mutes = [], []
    for n, uid in enumerate(user_ids):
        row = UserNotificationSettings(user_id=uid, timezone="UTC")
        if n % 30 == 1:
            row.do_not_disturb_until, row.do_not_disturb = now + timedelta(days=1), "1d"
        elif n % 30 == 2:
            row.quiet_hours_start, row.quiet_hours_end = time(start.hour, start.minute), time(end.hour, end.minute)
        elif n % 30 == 3:
            mutes.append(ThreadMute(user_id=uid, thread_key=key))
        settings_rows.append(row)
    UserNotificationSettings.objects.bulk_create(settings_rows, batch_size=5000)
    ThreadMute.objects.bulk_create(mutes, batch_size=5000)
    db.analyze()
    return {"settings_rows": len(settings_rows), "muted": len(mutes), "dnd_and_quiet": 2 * len(mutes)}


def run(size: int, repeat: int) -> dict:
    from django.core.cache import cache
    from django.test import override_settings
    from waffle.models import Flag

    from platform_notifications import service

    Flag.objects.update_or_create(name="notifications.enable_notifications", defaults={"everyone": True})
    cache.clear()
    service.registry.register(KIND, "Approval requested", default_priority=service.Priority.NORMAL)
    ids = db.seed(size, {})
    holders = seed_groups(ids)
    plain = _measure(service, holders, repeat, thread=False)
    seeded = seed_attention(ids)
    role_defaults = {"signers": {KIND: {"web": True, "email": False, "push": False}}}
    with override_settings(NOTIFICATION_ROLE_DEFAULTS=role_defaults):
        attention = _measure(service, holders, repeat, thread=True)
    return {
        "repeat": repeat,
        "statistic": "median of paired ratios",
        "group_members": size,
        "holding_permission": len(holders),
        **plain,
        "attention": {**seeded, **attention},
    }


def _measure(service, holders: list[int], repeat: int, *, thread: bool) -> dict:
    """The median fan-out of the approval to the permitted group and the median raw insert of the same rows."""
    from bench import baselines
    from bench.measure import fan_out
    from platform_notifications.models import NotificationRequest, ThreadEvent

    options = {"event_data": EVENT} if thread else {}

    def send_and_fan_out():
        request = service.send(
            KIND,
            {"groups": ["approvers"], "permissions": ["auth.change_group"]},
            title="PO-42 waits for your approval",
            links={"Review": "/approvals/42"},
            **options,
        )
        measured = fan_out(request)
        # Muted users still get their (silent) row: a mute holds back interruptions, not the record.
        assert measured.created == len(holders), (measured.created, len(holders))
        db.truncate_notifications()
        ThreadEvent.objects.all().delete()
        return measured

    send_and_fan_out()  # a first run warms the caches and leaves a request to template the raw insert
    template = NotificationRequest.objects.filter(notification_type=KIND).first()
    pairs = []
    for _ in range(repeat):
        # Each fan-out is paired with a raw insert of the same rows just before it (``bench.scenarios`` says why).
        raw = baselines.raw_insert(holders, template)
        db.truncate_notifications()
        measured = send_and_fan_out()
        pairs.append((measured.rate * raw / len(holders), measured, raw))
    pairs.sort(key=lambda pair: pair[0])
    _ratio, best, raw = pairs[len(pairs) // 2]
    raw_rate = len(holders) / raw
    return {
        "rows_per_second": round(best.rate),
        "raw_rows_per_second": round(raw_rate),
        "ratio_vs_raw": round(best.rate / raw_rate, 3),
        "chunks": best.chunks,
        "queries": best.queries,
        "queries_per_chunk": sorted(set(best.per_chunk)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="all", choices=["all", *db.ENGINES])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.db == "all":
        failed = 0
        for engine in db.ENGINES:
            command = [sys.executable, "-m", "bench.kinds", "--db", engine, "--size", str(args.size)]
            command += ["--repeat", str(args.repeat)]
            failed |= subprocess.run(command, env={**os.environ, "DATABASE_URL": ""}).returncode  # noqa: PLW1510
        return failed
    # A database name of its own, so that it can run beside the fan-out benchmark.
    db.BENCH_DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "bench_kinds")
    db.configure(args.db)
    with db.throwaway_database() as connection:
        figures = run(args.size, args.repeat)
        report = {
            "engine": args.db,
            "vendor": connection.vendor,
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    report.update(figures)
    print(
        f"{args.db:<10} group {figures['group_members']:,}, {figures['holding_permission']:,} permitted: "
        f"{figures['rows_per_second']:,} rows/s, raw {figures['raw_rows_per_second']:,} "
        f"(x{figures['ratio_vs_raw']:.2f}), queries/chunk {figures['queries_per_chunk']}",
        flush=True,
    )
    attention = figures["attention"]
    print(
        f"{args.db:<10} with attention (a tenth muted, in DND or quiet hours; role defaults): "
        f"{attention['rows_per_second']:,} rows/s, raw {attention['raw_rows_per_second']:,} "
        f"(x{attention['ratio_vs_raw']:.2f}), queries/chunk {attention['queries_per_chunk']}",
        flush=True,
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"kinds-{args.db}.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
