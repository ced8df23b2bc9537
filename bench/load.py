"""``count/`` under 100 concurrent clients on loopback against a view that only authenticates and returns a constant.

``python -m bench.load [--db sqlite|postgresql|all] [--users 100] [--seconds 15] [--rounds 2]``: a throwaway
database (SQLite file, or a PostgreSQL database created and dropped), ``--users`` users each signed in with a
session and holding 50 notifications (a third unseen); one uvicorn process serves ``settings.services`` (the count
cache in Redis: ``REDIS_URL``) plus ``GET /bench/constant/``, an ``ApiView`` (same authentication, permission and
renderer as ``count/``) answering a constant of the same shape. Locust (headless, ``FastHttpUser``, closed loop, no
wait) runs ``--users`` clients against each path for ``--seconds``, alternating constant and count ``--rounds``
times so that machine load weighs on both alike. Reported: requests/s and p99 of each, and the ratio of the
requests/s (goal: count/ at least 0.5 of the constant). Needs the ``bench`` extra (locust). Writes
``bench/results/load-<db>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
SERVERS = {"postgresql": "postgres://postgres@127.0.0.1:5432/postgres"}
DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "bench_pn_load")
PATHS = {"constant": "/bench/constant/", "count": "/api/notifications/count/"}
GOAL = 0.5
PER_USER = 50


def database_url(engine: str, directory: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{directory}/load.sqlite3"
    base = os.environ.get("BENCH_DATABASE_URL") or SERVERS[engine]
    return base.rsplit("/", 1)[0] + f"/{DB_NAME}"


def admin(engine: str, sql: str) -> None:
    if engine != "postgresql":
        return
    import psycopg

    with psycopg.connect(os.environ.get("BENCH_DATABASE_URL") or SERVERS[engine], autocommit=True) as conn:
        conn.execute(sql)


def prepare(env: dict, users: int) -> list[str]:
    """Migrate and seed in a child process (its own Django); returns the session keys."""
    code = f"""
import json
import django
django.setup()
from datetime import timedelta
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.utils import timezone
from waffle.models import Flag
from platform_notifications.models import Notification

call_command("migrate", interactive=False, verbosity=0)
Flag.objects.create(name="notifications.enable_notifications", everyone=True)
User = get_user_model()
User.objects.bulk_create([User(username=f"load{{n}}", password="!") for n in range({users})])
now = timezone.now()
keys, rows = [], []
for user in User.objects.order_by("id"):
    for n in range({PER_USER}):
        seen = None if n % 3 == 0 else now
        rows.append(Notification(user=user, app_name="discussion", notification_type="new_response",
                                 content_context={{"replier_name": "A", "post_title": "B"}},
                                 created=now - timedelta(minutes=n), last_seen=seen))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    keys.append(session.session_key)
Notification.objects.bulk_create(rows, batch_size=2000)
print(json.dumps(keys))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def locust(env: dict, url: str, path: str, users: int, seconds: int, workdir: Path) -> dict:
    prefix = workdir / f"locust-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/load_app/locustfile.py"), "--headless"]
    command += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", url, "--csv", str(prefix)]
    command += ["--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    subprocess.run(command, cwd=ROOT, env={**env, "BENCH_LOAD_PATH": path}, capture_output=True, check=False)
    with open(f"{prefix}_stats.csv") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    if row["99%"] == "N/A":
        with open(f"{prefix}_failures.csv") as handle:
            raise SystemExit(f"no request of {path} answered; failures:\n{handle.read()[-2000:]}")
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
    }


def run(engine: str, users: int, seconds: int, rounds: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="pn-bench-load-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.load_app.settings",
        "DATABASE_URL": database_url(engine, workdir),
        "PYTHONPATH": str(ROOT),
        "PYTHONWARNINGS": "ignore",
    }
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    admin(engine, f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin(engine, f"CREATE DATABASE {DB_NAME}")
    server = None
    try:
        sessions = prepare(env, users)
        env["BENCH_LOAD_SESSIONS"] = json.dumps(sessions)
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "settings.asgi:application", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--lifespan", "off", "--log-level", "warning", "--no-access-log"]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("uvicorn did not start")
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        for path in PATHS.values():  # warm both paths (imports, caches, connections); a slow start is not counted
            with contextlib.suppress(SystemExit):
                locust(env, url, path, users, 5, workdir)
        runs: dict[str, list[dict]] = {name: [] for name in PATHS}
        for _ in range(rounds):
            for name, path in PATHS.items():
                runs[name].append(locust(env, url, path, users, seconds, workdir))
    finally:
        if server is not None:
            server.terminate()
            server.wait(15)
        admin(engine, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)
    summary = {
        name: {
            "rps": round(statistics.median(r["rps"] for r in results), 1),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "failures": sum(r["failures"] for r in results),
            "runs": results,
        }
        for name, results in runs.items()
    }
    ratio = summary["count"]["rps"] / summary["constant"]["rps"] if summary["constant"]["rps"] else 0.0
    return {
        "engine": engine,
        "clients": users,
        "seconds_per_run": seconds,
        "rounds": rounds,
        "server": "uvicorn, one process (settings.asgi), count cache in Redis",
        "constant": summary["constant"],
        "count": summary["count"],
        "ratio_rps": round(ratio, 2),
        "goal_ratio": GOAL,
        "met": ratio >= GOAL and summary["count"]["failures"] == 0,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def report(result: dict) -> None:
    c, k = result["constant"], result["count"]
    runs = f"{result['rounds']} x {result['seconds_per_run']} s per path"
    print(f"\n{result['engine']}: {result['clients']} clients, {runs}")
    print(f"  {'path':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failures':>9}")
    for name, e in (("constant", c), ("count/", k)):
        print(f"  {name:<10} {e['rps']:>8} {e['p50_ms']:>8} {e['p99_ms']:>8} {e['failures']:>9}")
    print(
        f"  count/ vs constant req/s: {result['ratio_rps']} (goal >= {GOAL}: {'met' if result['met'] else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "all"], default="sqlite")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for engine in ("sqlite", "postgresql") if args.db == "all" else (args.db,):
        result = run(engine, args.users, args.seconds, args.rounds)
        report(result)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"load-{engine}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
