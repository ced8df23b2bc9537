"""A producer's call naming 1,000,000 users: validate and store, measured against json.dumps of the id list.

Both are timed in the same run, in the producer's own transaction (rolled back, so each repeat starts clean):
the figure that matters is the ratio, not the seconds. Also reported: the per-id validation and JSON storage
the call used before (``sorted({user_id(i) for i in ids})`` then a JSON column), and the stored size.
JSON goes to ``bench/results/intake-<engine>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import db

RESULTS = Path(__file__).resolve().parent / "results"
CONTEXT = {"replier_name": "Ana", "post_title": "Week 1"}


def _median(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", choices=sorted(db.ENGINES))
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--order", default="ascending", choices=["ascending", "shuffled"])
    args = parser.parse_args(argv)
    db.configure(args.db)
    from django.db import transaction
    from waffle.models import Flag

    from platform_notifications import notify
    from platform_notifications.intake import validation
    from platform_notifications.models import NotificationRequest

    ids = list(range(1, args.users + 1))
    if args.order == "shuffled":
        random.Random(7).shuffle(ids)

    class Rollback(Exception):
        pass

    def in_rolled_back_transaction(work):
        def run():
            try:
                with transaction.atomic():
                    work()
                    raise Rollback
            except Rollback:
                pass

        return run

    with db.throwaway_database():
        Flag.objects.create(name="notifications.enable_notifications", everyone=True)
        call = _median(
            in_rolled_back_transaction(
                lambda: notify(ids, "new_response", "/x", "discussion", "course-v1:a+b+c", CONTEXT)
            ),
            args.repeats,
        )
        baseline = _median(lambda: json.dumps(ids), args.repeats)
        before = _median(
            lambda: json.dumps(sorted({validation.user_id(i, "each of user_ids") for i in ids})), args.repeats
        )
        with transaction.atomic():
            request = notify(ids, "new_response", "/x", "discussion", "course-v1:a+b+c", CONTEXT)
            stored = len(NotificationRequest._meta.get_field("user_ids").get_prep_value(request.user_ids))
            transaction.set_rollback(True)
    report = {
        "engine": args.db,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "user_ids": args.users,
        "order": args.order,
        "call_seconds": round(call, 4),
        "baseline_json_dumps_seconds": round(baseline, 4),
        "ratio_to_baseline": round(call / baseline, 2),
        "previous_validation_and_json_seconds": round(before, 4),
        "stored_bytes": stored,
        "json_bytes": len(json.dumps(ids)),
    }
    RESULTS.mkdir(exist_ok=True)
    suffix = "" if args.order == "ascending" else f"-{args.order}"
    (RESULTS / f"intake-{args.db}{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
