"""An unreachable broker costs the producer a bounded moment, not kombu's six seconds, and loses nothing.

No stub: the project's real Celery app publishes to a Redis URL on a closed loopback port, exactly as it
would during an outage; the request waits in the outbox and the sweep delivers it once the broker is back.
"""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from platform_notifications.core import queue
from platform_notifications.intake import send as sending
from platform_notifications.intake import sweep
from platform_notifications.models import Notification, NotificationRequest
from settings.celery import app as celery_app
from tests.factories import COURSE_KEY, RESPONSE_CONTEXT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notifications_on")]

#: Generous on purpose (a loaded CI machine): before the bound, every emit took about 6 s here.
BOUND_SECONDS = 2.0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_unreachable():
    """The real app, not eager, publishing to a port nothing listens on; restored afterwards."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    celery_app.conf.task_always_eager = False
    queue.reset_breaker()

    def restore():
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        queue.reset_breaker()

    yield restore
    restore()


def _timed_emit(users, django_capture_on_commit_callbacks) -> tuple[float, NotificationRequest]:
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):  # the publish runs when the producer commits
        request = sending.notify(
            [u.id for u in users], "new_response", "/x", "discussion", COURSE_KEY, RESPONSE_CONTEXT
        )
    return time.perf_counter() - started, request


def test_emit_with_the_broker_unreachable_returns_quickly_and_the_sweep_delivers_later(
    users, broker_unreachable, django_capture_on_commit_callbacks, record_property
):
    start = timezone.now()
    with time_machine.travel(start, tick=True):
        # The first publish of a process also loads the broker's transport (about 0.1 s, once).
        cold, first = _timed_emit(users, django_capture_on_commit_callbacks)
        queue.reset_breaker()
        warm, second = _timed_emit(users, django_capture_on_commit_callbacks)
        # Within the breaker's window the broker is not even tried.
        skipped, third = _timed_emit(users, django_capture_on_commit_callbacks)
    figures = {"cold": cold, "warm": warm, "breaker_open": skipped}
    for name, seconds in figures.items():
        record_property(f"emit_seconds_broker_unreachable_{name}", round(seconds, 4))
    print("\nemit with the broker unreachable:", ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in figures.items()))
    assert max(figures.values()) < BOUND_SECONDS
    requests = [first.pk, second.pk, third.pk]
    assert set(NotificationRequest.objects.filter(pk__in=requests).values_list("state", flat=True)) == {"pending"}
    assert not Notification.objects.exists()

    broker_unreachable()  # the broker is back (the suite's eager, in-memory app)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert sweep.requeue_stale_requests() == 3
    assert Notification.objects.count() == 3 * len(users)
    assert set(NotificationRequest.objects.values_list("state", flat=True)) == {"done"}


def test_the_breaker_closes_after_its_window(broker_unreachable, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(queue.time, "monotonic", lambda: clock[0])
    attempts = []
    real_run = queue._run
    monkeypatch.setattr(queue, "_run", lambda *a, **kw: attempts.append(1) or real_run(*a, **kw))
    assert queue.enqueue(queue.FAN_OUT, [1]) is False
    assert queue.enqueue(queue.FAN_OUT, [1]) is False
    assert len(attempts) == 1  # the second was skipped
    clock[0] += queue.BREAKER_SECONDS + 0.1
    assert queue.enqueue(queue.FAN_OUT, [1]) is False
    assert len(attempts) == 2  # tried again once the window passed


def test_the_embedded_sqlalchemy_broker_takes_the_bounded_publish(tmp_path, users, django_capture_on_commit_callbacks):
    """``make run``'s broker (SQLAlchemy on SQLite) refuses Redis' socket options: the publish must not pass them."""
    from kombu import Connection

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = url, False
    queue.reset_breaker()
    try:
        _, request = _timed_emit(users, django_capture_on_commit_callbacks)
        with Connection(url) as connection, connection.SimpleQueue("celery") as waiting:
            message = waiting.get(timeout=5)
            assert message.headers["task"] == queue.FAN_OUT
            assert message.headers["argsrepr"] == repr([request.pk])
            message.ack()
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
        queue.reset_breaker()
