"""A bounded soak on real servers: several producer processes, two Celery workers on a Redis of the test's own,
one worker killed and restarted, Redis restarted (its queue lost), the sweep catching up; about two minutes.

At the end every event has produced exactly one notification per recipient, and every notification went out in
exactly one email: none lost, none duplicated. Recipients chose Immediately: the workers send each one's first
email during the soak, and the 15-minute buffer after it collects the rest, delivered by the due-digest sweep once
it closes (run here on a clock moved past it).
Reports events per second, the slowest emit and the oldest pending request's age over time (``-s`` shows it).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.utils import timezone
from waffle.models import Flag

from platform_notifications.channels.email import batch
from platform_notifications.config import registry
from platform_notifications.core import queue
from platform_notifications.intake import sweep
from platform_notifications.models import DigestSchedule, Notification, NotificationPreference, NotificationRequest
from settings import celery_app
from tests.services.conftest import ROOT, sent_mail, wait_for

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]

PRODUCERS, SECONDS, RATE, RECIPIENTS = 3, 60.0, 4.0, 20
#: Drain limit after the producers stop: one sweep cycle (the stale age is one minute) and some slack.
DRAIN_SECONDS = 120


def _free_port(preferred: int = 6391) -> int:
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port")


class OwnRedis:
    """A throwaway redis-server without persistence: a restart loses every queued message, like a crash."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        wait_for(lambda: _pings(redis.Redis.from_url(self.url)), 10, "redis-server to answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    server = OwnRedis(tmp_path)
    server.start()
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = server.url
    queue.reset_breaker()
    yield server
    celery_app.conf.broker_url = saved
    server.stop()


def test_soak_loses_nothing_and_duplicates_nothing(
    own_redis, celery_worker_process, services_database_url, settings, tmp_path
):
    settings.NOTIFICATION_REQUEST_STALE_MINUTES = 1
    celery_app.conf.broker_url = own_redis.url  # the session's shared-Redis fixture may have set its own
    for flag in ("notifications.enable_notifications", "notifications.enable_email_notifications"):
        Flag.objects.create(name=flag, everyone=True)
    users = [
        get_user_model().objects.create(username=f"soak{i}", email=f"soak{i}@example.com") for i in range(RECIPIENTS)
    ]
    key = registry.get_type("new_response").preference_key
    NotificationPreference.objects.bulk_create(
        NotificationPreference(
            user=u, app_name="discussion", notification_type=key, email=True, email_cadence="Immediately"
        )
        for u in users
    )
    ids = ",".join(str(u.pk) for u in users)
    outbox = tmp_path / "outbox"  # what the workers send
    outbox.mkdir()
    worker_env = {"REDIS_URL": own_redis.url, "CELERY_VISIBILITY_TIMEOUT": 10, "EMAIL_FILE_PATH": str(outbox)}
    workers = [celery_worker_process(concurrency=1, **worker_env) for _ in range(2)]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.services",
        "DATABASE_URL": services_database_url,
        "REDIS_URL": own_redis.url,
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    producers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.services.soak_producer", f"p{n}", str(SECONDS), str(RATE), ids],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PRODUCERS)
    ]
    ages: list[tuple[float, float]] = []
    killed = restarted = False
    while any(p.poll() is None for p in producers) or time.monotonic() - started < SECONDS:
        elapsed = time.monotonic() - started
        if not killed and elapsed > SECONDS / 3:
            workers[0].kill()
            workers[0] = celery_worker_process(concurrency=1, **worker_env)
            killed = True
        if not restarted and elapsed > SECONDS / 2:
            own_redis.stop()
            time.sleep(2)  # producers emit into the outage meanwhile
            own_redis.start()
            restarted = True
        ages.append((round(elapsed), _oldest_pending_age()))
        sweep.requeue_stale_requests()
        time.sleep(2)
    outputs = [p.communicate(timeout=30) for p in producers]
    assert all(p.returncode == 0 for p in producers), outputs
    stats = [dict(part.split("=") for part in out.split()) for out, _err in outputs]
    events = sum(int(s["sent"]) for s in stats)
    produced_in = time.monotonic() - started

    def drained() -> bool:
        sweep.requeue_stale_requests()
        ages.append((round(time.monotonic() - started), _oldest_pending_age()))
        return not NotificationRequest.objects.exclude(state=NotificationRequest.State.DONE).exists()

    wait_for(drained, DRAIN_SECONDS, "every request to be fanned out", poll=2, on_fail=lambda: workers[1].output())
    per_pair = Counter(Notification.objects.values_list("user_id", "content_url"))
    print(
        f"\nsoak: {events} events from {PRODUCERS} producers in {produced_in:.0f} s ({events / produced_in:.1f}/s), "
        f"slowest emit {max(float(s['slowest']) for s in stats) * 1000:.0f} ms, "
        f"oldest pending request max {max(a for _t, a in ages):.0f} s; age over time: {ages}"
    )
    assert NotificationRequest.objects.count() == events
    assert max(per_pair.values()) == 1, "a notification was duplicated"
    assert len(per_pair) == events * RECIPIENTS, "a notification was lost"

    # Email: the first one per recipient goes out from a worker (a delivery message lost with Redis is sent by the
    # due-digest sweep, run here as the periodic task would); the buffer after it closes 15 minutes later.
    mail.outbox.clear()

    # A schedule has ended when it was sent, or found nothing to send (a buffer emptied by the email before it).
    done = (DigestSchedule.State.SENT, DigestSchedule.State.EMPTY)

    def first_emails_sent() -> bool:
        batch.deliver_due()
        due = DigestSchedule.objects.filter(delivery_time__lte=timezone.now())
        return not due.exclude(state__in=done).exists()

    wait_for(first_emails_sent, DRAIN_SECONDS, "the first emails", poll=1, on_fail=lambda: workers[1].output())
    from_workers = sent_mail(outbox)
    assert from_workers, "no worker sent an email"
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        batch.deliver_due()
    left = list(
        DigestSchedule.objects.exclude(state__in=done).values_list(
            "user_id", "cadence", "state", "delivery_time", "attempts", "last_error"
        )
    )
    assert not left, f"schedules not sent: {left} (now {timezone.now()})"
    messages = [(str(m["To"]), str(m["Subject"])) for m in from_workers]
    messages += [(m.to[0], m.subject) for m in mail.outbox]
    emailed = Counter()
    for to, subject in messages:
        emailed[to] += _notifications_in(subject)
    # Every row counted in exactly one email: a duplicated send counts twice, a lost row not at all.
    assert emailed == Counter({u.email: events for u in users}), "an email was lost or duplicated"
    assert not Notification.objects.filter(email_sent_on__isnull=True).exists(), "a notification was never emailed"
    assert Notification.objects.filter(email=True).count() == events * RECIPIENTS


def _notifications_in(subject: str) -> int:
    """How many notifications an email carries: its subject says so, except a single immediate one's."""
    found = re.search(r"(\d+) new notifications?$", subject)
    return int(found.group(1)) if found else 1


def _oldest_pending_age() -> float:
    oldest = (
        NotificationRequest.objects.filter(state=NotificationRequest.State.PENDING)
        .order_by("created")
        .values_list("created", flat=True)
        .first()
    )
    return 0.0 if oldest is None else (timezone.now() - oldest).total_seconds()
