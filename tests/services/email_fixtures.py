"""Fixtures of the email services suite, and the driver its subprocesses run (``settings.services``, a real database).

``python -m tests.services.email_fixtures seed <users> <seconds_ahead> <queue> <duplicates>``: users, unsent daily
rows and schedules due a few seconds ahead, and the delivery messages queued on Redis with that ETA.
``python -m tests.services.email_fixtures report``: schedule states as JSON.
``python -m tests.services.email_fixtures worker <queue> <name>``: a Celery worker consuming only ``queue``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVERS = {
    "postgresql": "postgres://postgres@127.0.0.1:5432/",
    "mariadb": "mysql://root@127.0.0.1:3306/",
}
# A Redis database of its own, and a queue per test: other suites' workers never take these messages.
REDIS_URL = os.environ.get("EMAIL_SERVICES_REDIS_URL", "redis://127.0.0.1:6379/11")


def _setup(queue: str | None = None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.services")
    import django

    django.setup()
    from settings.celery import app

    if queue:
        # Every message this process queues (deliveries, early re-queues, retries) stays on the suite's queue.
        app.conf.task_default_queue = queue
    return app


def seed(users: int, seconds_ahead: float, queue: str, duplicates: int) -> None:
    _setup(queue)
    from django.contrib.auth import get_user_model
    from waffle.models import Flag

    from platform_notifications import tasks
    from platform_notifications.channels.email import schedule
    from platform_notifications.config.enums import Cadence
    from platform_notifications.models import DigestSchedule, Notification

    Flag.objects.update_or_create(name="notifications.enable_email_notifications", defaults={"everyone": True})
    run = datetime.now(UTC).strftime("%H%M%S%f")
    created = [
        get_user_model().objects.create(username=f"svc{run}-{n}", email=f"svc{run}-{n}@example.com")
        for n in range(users)
    ]
    when = (datetime.now(UTC) + timedelta(seconds=seconds_ahead)).replace(microsecond=0)
    now = datetime.now(UTC)
    Notification.objects.bulk_create(
        Notification(
            user=user,
            app_name="discussion",
            notification_type="new_response",
            content_context={"replier_name": "Ana", "post_title": f"Post {n}"},
            content_url="/courses/x/posts/1",
            email=True,
            email_cadence="Daily",
            created=now,
            modified=now,
        )
        for user in created
        for n in range(2)
    )
    DigestSchedule.objects.bulk_create(
        [DigestSchedule(user=user, cadence="Daily", delivery_time=when) for user in created]
    )
    for copy in range(duplicates):
        # The same instant queued several times, as a redelivered or duplicated message would be.
        schedule.queue_instant(Cadence.DAILY, when, force=True)
        if copy:
            tasks.send_due_digests.apply_async(eta=when)
    print(json.dumps({"delivery_time": when.isoformat(), "emails": [u.email for u in created]}))


def report() -> None:
    _setup()
    from platform_notifications.models import DigestSchedule

    rows = DigestSchedule.objects.values("user__email", "state", "attempts", "sent_at")
    print(json.dumps([{**row, "sent_at": row["sent_at"] and row["sent_at"].isoformat()} for row in rows]))


def worker(queue: str, name: str) -> None:
    app = _setup(queue)
    app.worker_main(
        ["worker", "-Q", queue, "-n", f"{name}@%h", "-c", "2", "-l", "info", "--without-gossip", "--without-mingle"]
    )


# -- fixtures (run in the pytest process; Django is not set up here) -------------------------------------


@dataclass
class EmailServices:
    env: dict
    queue: str
    outbox: Path

    def driver(self, *args: object) -> object:
        done = subprocess.run(
            [sys.executable, "-m", "tests.services.email_fixtures", *map(str, args)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def recipients(self) -> list[str]:
        """Recipients of every message the file backend wrote, one entry per message."""
        found = []
        for path in sorted(self.outbox.glob("*")):
            found += [line[4:].strip() for line in path.read_text().splitlines() if line.startswith("To: ")]
        return found

    @contextmanager
    def workers(self, count: int):
        procs = []
        try:
            for n in range(count):
                log = self.outbox.parent / f"worker{n}.log"
                handle = log.open("w")
                procs.append(
                    (
                        subprocess.Popen(
                            [sys.executable, "-m", "tests.services.email_fixtures", "worker", self.queue, f"w{n}"],
                            cwd=ROOT,
                            env=self.env,
                            stdout=handle,
                            stderr=subprocess.STDOUT,
                        ),
                        log,
                    )
                )
            deadline = time.monotonic() + 60
            while not all("ready." in log.read_text() for _, log in procs):
                assert time.monotonic() < deadline, "workers did not start: " + procs[0][1].read_text()[-2000:]
                assert all(p.poll() is None for p, _ in procs), procs[0][1].read_text()[-2000:]
                time.sleep(0.2)
            yield
        finally:
            for proc, _ in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc, _ in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def wait_until_sent(self, expected: int, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.driver("report")
            if sum(row["state"] == "sent" for row in rows) >= expected or time.monotonic() > deadline:
                return rows
            time.sleep(0.5)


def _database(engine: str, name: str, create: bool) -> None:
    if engine == "postgresql":
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                conn.execute(f'CREATE DATABASE "{name}"')
    else:
        import pymysql

        conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", autocommit=True)
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                if create:
                    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        finally:
            conn.close()


def _engines() -> list[str]:
    """The engine of the run's ``DATABASE_URL`` (``.ci/run`` runs the suite once per engine), else both."""
    url = os.environ.get("DATABASE_URL", "")
    chosen = [engine for engine, prefix in SERVERS.items() if url.startswith(prefix.split("@")[0].split(":")[0])]
    return chosen or sorted(SERVERS)


@pytest.fixture(scope="module", params=_engines())
def email_database(request):
    """A migrated throwaway database on a real server (one per engine and module); dropped afterwards."""
    engine = request.param
    name = f"pn_email_{uuid.uuid4().hex[:10]}"
    try:
        _database(engine, name, create=True)
    except Exception as error:  # the server is not running here
        pytest.skip(f"{engine} unavailable: {error}")
    url = SERVERS[engine] + name
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.services", "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
        yield url
    finally:
        _database(engine, name, create=False)


@pytest.fixture
def email_services(email_database, tmp_path):
    """The database, a fresh file outbox and a private queue on Redis."""
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.services",
        "DATABASE_URL": email_database,
        "REDIS_URL": REDIS_URL,
        "EMAIL_FILE_PATH": str(outbox),
        "PYTHONPATH": str(ROOT),
    }
    services = EmailServices(env, f"pn-email-{uuid.uuid4().hex[:8]}", outbox)
    try:
        yield services
    finally:
        import redis

        redis.Redis.from_url(REDIS_URL).delete(services.queue)


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "seed":
        seed(int(rest[0]), float(rest[1]), rest[2], int(rest[3]))
    elif command == "report":
        report()
    elif command == "worker":
        worker(rest[0], rest[1])
    else:
        raise SystemExit(f"unknown command {command!r}")
