"""Durability: the outbox row lives in the producer's transaction; outages, repeats and crashes lose nothing."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError as DatabaseOperationalError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from platform_notifications import tasks
from platform_notifications.fanout import run as fanout
from platform_notifications.inbox import counts
from platform_notifications.intake import send as sending
from platform_notifications.intake import sweep
from platform_notifications.models import Notification, NotificationRequest
from tests.foundation.conftest import COURSE_KEY, RESPONSE_CONTEXT, recipients

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notifications_on")]


def _notify(user_ids, **kwargs):
    return sending.notify(
        user_ids, "new_response", "/courses/x/posts/1", "discussion", COURSE_KEY, RESPONSE_CONTEXT, **kwargs
    )


def test_request_is_stored_in_the_producers_transaction(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        request = _notify([users[0].id])
        # Visible inside the producer's transaction, and nothing fanned out before it commits.
        assert NotificationRequest.objects.filter(pk=request.pk, state="pending").exists()
        assert not Notification.objects.exists()
    # One callback: the fan-out (the tray count invalidations the fan-out itself registers aside).
    assert len([cb for cb in callbacks if getattr(cb, "func", None) is not counts.invalidate_now]) == 1
    assert recipients() == [users[0].id]


def test_rollback_sends_nothing(users, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _notify([u.id for u in users])
        raise RuntimeError("the producer's own work failed")
    assert callbacks == []
    assert not NotificationRequest.objects.exists()
    assert not Notification.objects.exists()


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(tasks.fan_out, "apply_async", refuse)
    return monkeypatch


def test_broker_down_loses_nothing_and_the_sweep_recovers(
    users, broker_down, caplog, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            request = _notify([u.id for u in users])
        assert NotificationRequest.objects.get(pk=request.pk).state == NotificationRequest.State.PENDING
        assert not Notification.objects.exists()
        assert any("could not enqueue" in r.getMessage() for r in caplog.records)

    broker_down.undo()
    # Not stale yet: a request that may still be in the queue is left alone.
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        assert sweep.requeue_stale_requests() == 0
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert sweep.requeue_stale_requests() == 1
    assert recipients() == sorted(u.id for u in users)
    assert NotificationRequest.objects.get(pk=request.pk).state == NotificationRequest.State.DONE
    # Done requests are not swept again.
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert sweep.requeue_stale_requests() == 0
    assert Notification.objects.count() == len(users)


def test_sweep_command_recovers_a_request_the_broker_never_got(users, broker_down, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        _notify([users[0].id])
    broker_down.undo()
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        call_command("sweep_notification_requests", stdout=(out := _Out()))
    assert "Re-enqueued 1 requests" in out.text
    assert recipients() == [users[0].id]


def test_sweep_task_recovers_too(users, broker_down, django_capture_on_commit_callbacks):
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        _notify([users[0].id])
    broker_down.undo()
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert tasks.sweep_stale_requests.delay().get() == 1
    assert recipients() == [users[0].id]


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_same_idempotency_key_twice_creates_nothing_twice(users, send):
    key = uuid.uuid4()
    first = send([u.id for u in users], idempotency_key=key)
    second = send([u.id for u in users], idempotency_key=str(key))
    assert first.pk == second.pk
    assert Notification.objects.count() == len(users)


def _dies_on_chunk(monkeypatch, number, error):
    calls = {"n": 0}
    original = fanout.write_chunk

    def write_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == number:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(fanout, "write_chunk", write_chunk)
    return calls


@override_settings(NOTIFICATION_CREATION_BATCH_SIZE=2)
def test_fan_out_dying_half_way_resumes_from_the_cursor(users, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        request = _notify([u.id for u in users])
    _dies_on_chunk(monkeypatch, 2, RuntimeError("worker lost"))
    with pytest.raises(RuntimeError):
        fanout.process_request(request.pk)
    request.refresh_from_db()
    # The first chunk committed with its cursor; the second rolled back entirely.
    assert recipients() == [users[0].id, users[1].id]
    assert (request.cursor, request.created_count, request.state) == (users[1].id, 2, "pending")

    monkeypatch.undo()
    result = fanout.process_request(request.pk)
    assert (result.created, result.chunks) == (3, 2)
    assert recipients() == sorted(u.id for u in users)
    request.refresh_from_db()
    assert (request.created_count, request.state) == (5, "done")
    # A late duplicate delivery of the task finds the request done and does nothing.
    assert fanout.process_request(request.pk).created == 0
    assert Notification.objects.count() == 5


@override_settings(NOTIFICATION_CREATION_BATCH_SIZE=2)
def test_task_retried_after_a_database_error_does_not_duplicate(users, monkeypatch, send):
    _dies_on_chunk(monkeypatch, 2, DatabaseOperationalError("deadlock detected"))
    request = send([u.id for u in users])  # the first attempt dies on its second chunk
    request.refresh_from_db()
    assert recipients() == [users[0].id, users[1].id]
    assert (request.state, request.attempts) == ("pending", 1)
    assert "deadlock detected" in request.last_error

    # The retry (a worker re-running the same message) resumes after the committed chunk.
    assert tasks.fan_out.apply(args=[request.pk]).get() == {"created": 3, "grouped": 0, "chunks": 2}
    request.refresh_from_db()
    assert recipients() == sorted(u.id for u in users)
    assert (request.state, request.created_count) == ("done", 5)


def test_request_for_a_type_removed_since_is_marked_failed(users, temp_registry, django_capture_on_commit_callbacks):
    temp_registry.type("short_lived", notification_app="discussion", use_app_defaults=True, content_template="x")
    with django_capture_on_commit_callbacks(execute=False):
        request = sending.notify([users[0].id], "short_lived", "/x", "discussion", COURSE_KEY, {})
    from platform_notifications.config import registry

    registry.unregister(types=["short_lived"])
    fanout.process_request(request.pk)
    request.refresh_from_db()
    assert request.state == NotificationRequest.State.FAILED
    assert "no longer configured" in request.last_error
    assert not Notification.objects.exists()


def test_request_failing_for_good_is_marked_failed(users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        request = _notify([users[0].id])
    for _ in range(sweep.MAX_ATTEMPTS - 1):
        sweep.record_failure(request.pk, RuntimeError("boom"), final=False)
    assert NotificationRequest.objects.get(pk=request.pk).state == "pending"
    sweep.record_failure(request.pk, RuntimeError("boom"), final=False)
    request.refresh_from_db()
    assert (request.state, request.attempts, request.last_error) == ("failed", sweep.MAX_ATTEMPTS, "RuntimeError: boom")
