"""Fan-out benchmark: one notification to 1,000 / 10,000 / 100,000 users on SQLite, PostgreSQL and MariaDB.

``python -m bench.fanout [--db sqlite|postgresql|mariadb|all] [--sizes 1000,10000,100000]``. Each engine runs in
its own process on a throwaway database; figures go to ``bench/results/fanout-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import db

RESULTS = Path(__file__).resolve().parent / "results"
#: The naive loop runs on at most this many recipients; larger audiences extrapolate its (flat) rate.
NAIVE_SAMPLE = 500
USERS_PATH_SIZE = 10_000


def course_of(size: int) -> str:
    return f"course-v1:Bench+N{size}+Run"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="all", choices=["all", *db.ENGINES])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--chunk-sizes", default="", help="also sweep these chunk sizes at the largest audience")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--repeat", type=int, default=3, help="course fan-outs and raw inserts: best of N runs")
    args = parser.parse_args(argv)
    if args.db == "all":
        failed = 0
        for engine in db.ENGINES:
            command = [sys.executable, "-m", "bench.fanout", "--db", engine, "--sizes", args.sizes]
            command += ["--chunk-sizes", args.chunk_sizes, "--repeat", str(args.repeat)]
            command += ["--no-memory"] if args.no_memory else []
            failed |= subprocess.run(command, env={**os.environ, "DATABASE_URL": ""}).returncode  # noqa: PLW1510
        return failed
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    db.configure(args.db)
    from bench.scenarios import run_all

    with db.throwaway_database() as connection:
        report = {
            "engine": args.db,
            "server": connection.vendor + " " + _server_version(connection),
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "naive_sample": NAIVE_SAMPLE,
            **run_all(
                sizes,
                course_of,
                memory=not args.no_memory,
                naive_sample=NAIVE_SAMPLE,
                users_size=USERS_PATH_SIZE,
                repeat=args.repeat,
            ),
        }
        if args.chunk_sizes:
            from bench.scenarios import chunk_sweep

            report["chunk_sweep"] = chunk_sweep(sizes[-1], course_of(sizes[-1]), args.chunk_sizes)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"fanout-{args.db}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


def _server_version(connection) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return str(cursor.fetchone()[0]).split(" on ")[0]


if __name__ == "__main__":
    sys.exit(main())
