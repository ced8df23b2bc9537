"""Fixtures for the suites on real servers: the test database's URL, a private Redis database, Celery workers.

Run with ``DJANGO_SETTINGS_MODULE=settings.services DATABASE_URL=postgres://... pytest -m services tests/services``.
Workers are real ``celery worker`` subprocesses on the pytest-django test database (use
``django_db(transaction=True)``, so that they see the test's rows).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _redis_url() -> str:
    # settings.services chose this run's Redis database (REDIS_URL, else one per run); workers get the same.
    from django.conf import settings

    return settings.CELERY_BROKER_URL


@pytest.fixture(scope="session")
def services_redis_url() -> Iterator[str]:
    """The broker of this run, emptied first; the test process publishes to it too."""
    import redis

    from settings import celery_app

    url = _redis_url()
    redis.Redis.from_url(url).flushdb()
    celery_app.conf.broker_url = url
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def services_database_url(django_db_setup, django_db_blocker) -> str:
    """``DATABASE_URL`` pointing at the test database pytest-django created (for subprocesses)."""
    from django.db import connection

    url = os.environ.get("DATABASE_URL")
    if not url or connection.vendor == "sqlite":
        pytest.skip("needs DATABASE_URL naming a PostgreSQL or MariaDB server")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@dataclass
class WorkerProcess:
    """One ``celery worker`` subprocess (its own process group, so that a kill takes its pool children too)."""

    process: subprocess.Popen
    log: Path
    name: str

    def output(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:]

    def wait_ready(self, timeout: float = 60) -> WorkerProcess:
        deadline = time.monotonic() + timeout
        while " ready." not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker {self.name} not ready after {timeout}s:\n{self.output()}")
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker at once: nothing is acknowledged, nothing is cleaned up (a crash)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30) -> None:
        """Warm shutdown (SIGTERM); SIGKILL if it does not finish in time."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def celery_worker_process(
    services_database_url: str, services_redis_url: str, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Factory: ``start = celery_worker_process; worker = start(concurrency=2, **env)`` starts a ready worker.

    ``env`` adds environment variables read by ``settings.services`` (``NOTIFICATION_CREATION_BATCH_SIZE``,
    ``CELERY_VISIBILITY_TIMEOUT``, ...). Every worker started is stopped when the test ends, before the
    database is flushed.
    """
    started: list[WorkerProcess] = []

    def start(concurrency: int = 2, wait: bool = True, **env: str) -> WorkerProcess:
        name = f"pn-{uuid.uuid4().hex[:8]}"
        log = tmp_path / f"{name}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "settings.services",
            "DATABASE_URL": services_database_url,
            "REDIS_URL": services_redis_url,
            "PYTHONPATH": str(ROOT),
            **{key: str(value) for key, value in env.items()},
        }
        command = [sys.executable, "-m", "celery", "-A", "settings", "worker", "--pool=prefork"]
        command += ["-c", str(concurrency), "-l", "info", "-n", f"{name}@%h", "--without-gossip", "--without-mingle"]
        with log.open("w") as handle:
            process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = WorkerProcess(process, log, name)
        started.append(worker)
        return worker.wait_ready() if wait else worker

    yield start
    for worker in started:
        worker.stop()


def sent_mail(outbox: Path) -> list:
    """Every message a file email backend wrote into ``outbox`` (one file per connection, messages separated by
    a line of 79 dashes), parsed."""
    import email
    from email import policy

    messages = []
    for path in sorted(outbox.glob("*")):
        for part in path.read_text().split("\n" + "-" * 79 + "\n"):
            if part.strip():
                messages.append(email.message_from_string(part.lstrip("\n"), policy=policy.default))
    return messages


def wait_for(condition: Callable[[], object], timeout: float, what: str, poll: float = 0.05, on_fail=None) -> object:
    """Poll ``condition`` until it returns something truthy; after ``timeout`` fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n{on_fail()}" if on_fail else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")
        time.sleep(poll)
