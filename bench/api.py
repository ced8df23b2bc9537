"""Tray API latency on a 1,000,000-row table against a 1,000-row table, in one run on one engine.

``python -m bench.api [--db sqlite|postgresql|mariadb|all] [--quick]``: two throwaway databases hold the same ten
measured users (100 notifications each), alone or beside 9,990 more users; count, list page 1 and mark-seen go
through the Django test client, alternating between the two databases block by block so that machine load weighs
on both alike. Prints median/p99 and their ratios; writes ``bench/results/api-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.api_seed import bulk_load, make_users

SERVERS = {
    "postgresql": "postgres://postgres@127.0.0.1:5432/postgres",
    "mariadb": "mysql://root@127.0.0.1:3306/mysql",
}
DB_NAME = "bench_api"
RESULTS = Path(__file__).resolve().parent / "results"
MEASURED_USERS = 10  # x 100 notifications each = the 1,000-row table
GOAL = 1.5


def configure(engine: str) -> None:
    if engine == "sqlite":
        directory = tempfile.mkdtemp(prefix="pn-bench-api-")
        os.environ["BENCH_API_TMP"] = directory
        os.environ["DATABASE_URL"] = f"sqlite:///{directory}/unused.sqlite3"
        os.environ["TEST_DATABASE_NAME"] = f"{directory}/{DB_NAME}.sqlite3"
    else:
        os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or SERVERS[engine]
        os.environ["TEST_DATABASE_NAME"] = DB_NAME
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings.services"
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)  # 4xx lines and per-request INFO would bury the figures


def timed(call, arm, samples: int, before=None) -> list[float]:
    durations = []
    for _ in range(samples):
        if before is not None:
            before()
        start = time.perf_counter()
        response = call(arm)
        durations.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.content[:200]
    return durations


class Arm:
    """One database of the comparison, with a logged-in test client per measured user."""

    def __init__(self, name: str, test_name: str) -> None:
        self.name, self.test_name, self.clients, self.turn = name, test_name, [], 0
        self.rows, self.seconds = 0, 0.0

    def login(self, user_ids: list[int]) -> None:
        from django.contrib.auth import get_user_model
        from django.test import Client

        for user in get_user_model().objects.filter(pk__in=user_ids).order_by("pk"):
            client = Client()
            client.force_login(user)
            self.clients.append((user.pk, client))

    def next_client(self):
        self.turn = (self.turn + 1) % len(self.clients)
        return self.clients[self.turn][1]

    def reset_unseen(self) -> None:
        # Untimed: give the next user five unseen discussion rows again, so mark-seen has work to do.
        from platform_notifications.models import Notification

        uid = self.clients[(self.turn + 1) % len(self.clients)][0]
        rows = Notification.objects.filter(user_id=uid, app_name="discussion").order_by("-created")
        Notification.objects.filter(pk__in=list(rows.values_list("id", flat=True)[:5])).update(last_seen=None)


CALLS = {
    "count": lambda arm: arm.next_client().get("/api/notifications/count/"),
    "list": lambda arm: arm.next_client().get(
        "/api/notifications/", {"app_name": "discussion", "page": 1, "page_size": 10, "tray_opened": "true"}
    ),
    "mark_seen": lambda arm: arm.next_client().put("/api/notifications/mark-seen/discussion/"),
}


def use(test_name: str) -> None:
    """Point the default connection at one of the run's databases (reconnects on the next query)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = test_name


def measure(arms: list[Arm], samples: int, block: int = 10) -> dict[str, dict[str, list[float]]]:
    """Alternate the arms block by block, so a change in machine load affects both sides alike."""
    results: dict[str, dict[str, list[float]]] = {arm.name: {name: [] for name in CALLS} for arm in arms}
    for _round in range(max(1, samples // block)):
        for arm in arms:
            use(arm.test_name)
            for name, call in CALLS.items():
                before = arm.reset_unseen if name == "mark_seen" else None
                timed(call, arm, 3, before)  # warm-up after the switch: connection, plans, pages
                results[arm.name][name] += timed(call, arm, block, before)
    return results


def summary(durations: list[float]) -> dict[str, float]:
    ordered = sorted(durations)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
    }


def create_database(suffix: str) -> str:
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = f"{os.environ['TEST_DATABASE_NAME']}{suffix}"
    return connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def run(engine: str, quick: bool, samples: int) -> dict:
    configure(engine)
    from django.db import connection
    from waffle.models import Flag

    from platform_notifications.models import Notification

    total_users = 1_000 if quick else 10_000
    original = connection.settings_dict["NAME"]
    created: list[str] = []
    try:
        arms = []
        for name, suffix, users in (("small", "_small", MEASURED_USERS), ("large", "_large", total_users)):
            created.append(create_database(suffix))
            arm = Arm(name, created[-1])
            Flag.objects.create(name="notifications.enable_notifications", everyone=True)
            measured = make_users(0, MEASURED_USERS)
            started = time.perf_counter()
            # The measured users' rows first, as in the small table; then everyone else's.
            bulk_load(measured)
            bulk_load(make_users(MEASURED_USERS, users - MEASURED_USERS))
            arm.seconds = time.perf_counter() - started
            arm.rows = Notification.objects.count()
            arm.login(measured)
            arms.append(arm)
        results = measure(arms, samples)
    finally:
        for name in created:
            use(name)
            connection.creation.destroy_test_db(original, verbosity=0)
        if os.environ.get("BENCH_API_TMP"):
            shutil.rmtree(os.environ["BENCH_API_TMP"], ignore_errors=True)
    small, large = results["small"], results["large"]
    endpoints = {}
    for name in CALLS:
        low, big = summary(small[name]), summary(large[name])
        endpoints[name] = {
            "small": low,
            "large": big,
            "ratio_median": round(big["median_ms"] / low["median_ms"], 2),
            "ratio_p99": round(big["p99_ms"] / low["p99_ms"], 2),
        }
    return {
        "engine": engine,
        "quick": quick,
        "samples": len(small["count"]),
        "rows_small": arms[0].rows,
        "rows_large": arms[1].rows,
        "seed_seconds_large": round(arms[1].seconds, 1),
        "goal_ratio": GOAL,
        "endpoints": endpoints,
        "met": all(e["ratio_median"] < GOAL for e in endpoints.values()),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def report(result: dict) -> None:
    print(f"\n{result['engine']}: {result['rows_small']:,} rows vs {result['rows_large']:,} rows "
          f"({result['samples']} samples each; large table loaded in {result['seed_seconds_large']} s)")  # fmt: skip
    print(f"  {'endpoint':<10} {'small med/p99 ms':>18} {'large med/p99 ms':>18} {'ratio med':>10} {'ratio p99':>10}")
    for name, e in result["endpoints"].items():
        small = f"{e['small']['median_ms']:.2f}/{e['small']['p99_ms']:.2f}"
        large = f"{e['large']['median_ms']:.2f}/{e['large']['p99_ms']:.2f}"
        print(f"  {name:<10} {small:>18} {large:>18} {e['ratio_median']:>10} {e['ratio_p99']:>10}")
    print(f"  goal: median ratio < {GOAL} on every call: {'met' if result['met'] else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "mariadb", "all"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    if args.db == "all":
        # One engine per process: Django binds its database settings once.
        for engine in ("sqlite", "postgresql", "mariadb"):
            extra = ["--quick"] if args.quick else []
            subprocess.run(
                [sys.executable, "-m", "bench.api", "--db", engine, "--samples", str(args.samples), *extra], check=True
            )
        return
    result = run(args.db, args.quick, args.samples)
    report(result)
    RESULTS.mkdir(exist_ok=True)
    suffix = "-quick" if args.quick else ""
    (RESULTS / f"api-{args.db}{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
