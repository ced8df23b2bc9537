"""Kinds benchmark: ``service.send`` to a Django group of 100,000 narrowed by a permission, against a raw insert.

``python -m bench.kinds [--db sqlite|postgresql|mariadb|all] [--size 100000]``. The group has ``size`` members;
nine in ten hold the permission (through a second group), so the fan-out reaches 90% of them. The baseline is the
fastest raw insert (``COPY`` on PostgreSQL) of the same rows, measured in the same run; both are the median of
``--repeat`` runs. Figures go to ``bench/results/kinds-<db>.json``.
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


def run(size: int, repeat: int) -> dict:
    from django.core.cache import cache
    from waffle.models import Flag

    from bench import baselines
    from bench.measure import fan_out
    from platform_notifications import service
    from platform_notifications.models import NotificationRequest

    Flag.objects.update_or_create(name="notifications.enable_notifications", defaults={"everyone": True})
    cache.clear()
    service.registry.register(KIND, "Approval requested", default_priority=service.Priority.NORMAL)
    ids = db.seed(size, {})
    holders = seed_groups(ids)
    runs = []
    for _ in range(repeat):
        request = service.send(
            KIND,
            {"groups": ["approvers"], "permissions": ["auth.change_group"]},
            title="PO-42 waits for your approval",
            links={"Review": "/approvals/42"},
        )
        measured = fan_out(request)
        assert measured.created == len(holders), (measured.created, len(holders))
        db.truncate_notifications()
        runs.append(measured)
    best = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]  # the median run
    template = NotificationRequest.objects.filter(notification_type=KIND).first()
    raws = []
    for _ in range(repeat):
        raws.append(baselines.raw_insert(holders, template))
        db.truncate_notifications()
    raw = sorted(raws)[len(raws) // 2]
    raw_rate = len(holders) / raw
    return {
        "repeat": repeat,
        "statistic": "median",
        "group_members": size,
        "holding_permission": len(holders),
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
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"kinds-{args.db}.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
