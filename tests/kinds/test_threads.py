"""Threads: one row per user and thread, occurrence counts, re-notification of readers, silent for the unread."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from platform_notifications import service
from platform_notifications.config.kinds import thread_key
from platform_notifications.models import DigestSchedule, Notification, ThreadEvent
from tests.factories import UserFactory
from tests.kinds.conftest import ALERT


def test_thread_key_is_the_team_alerts_identifier():
    expected = hashlib.sha1(
        json.dumps({"slug": ALERT, "data": {"b": 2, "action_id": 1}}, sort_keys=True).encode()
    ).hexdigest()
    assert thread_key(ALERT, {"action_id": 1, "b": 2}) == expected


def alert(committed, audience, level, title, data=None, **kw):
    return committed(service.send, ALERT, audience, title=title, level=level, event_data=data or {"action_id": 1}, **kw)


def test_reader_is_renotified_and_unread_user_gets_it_silently(db, on, alert_kind, committed):
    reader, busy = UserFactory.create_batch(2)
    audience = {"users": [reader, busy]}
    alert(committed, audience, service.Level.ERROR, "API down", links={"Logs": "/logs/1"})
    assert len(mail.outbox) == 2
    Notification.objects.filter(user=reader).update(last_read=timezone.now(), last_seen=timezone.now())
    mail.outbox.clear()
    alert(committed, audience, service.Level.INFO, "API back up")
    rows = {row.user_id: row for row in Notification.objects.all()}
    assert len(rows) == 2 and Notification.objects.count() == 2
    for row in rows.values():
        assert (row.occurrences, row.title, row.level, row.links) == (2, "API back up", "info", [])
    assert rows[reader.pk].last_read is None and rows[reader.pk].last_seen is None
    # The reader is owed an email again (within the immediate buffer it goes out when the buffer closes); the
    # unread thread keeps its first email only.
    assert rows[reader.pk].email and rows[reader.pk].email_sent_on is None
    assert rows[busy.pk].email_sent_on is not None
    assert DigestSchedule.objects.filter(user=reader, state="pending", delivery_time__gt=timezone.now()).exists()
    from platform_notifications.channels.email import batch

    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        batch.deliver_due()
    assert [m.to for m in mail.outbox] == [[reader.email]]
    assert "API back up" in mail.outbox[0].subject


def test_different_event_data_is_another_thread(db, on, alert_kind, committed):
    user = UserFactory()
    alert(committed, {"users": [user]}, "error", "API 1 down", {"action_id": 1})
    alert(committed, {"users": [user]}, "error", "API 2 down", {"action_id": 2})
    assert Notification.objects.filter(user=user).count() == 2


def test_notify_threads_like_send(db, on, alert_kind, committed):
    user = UserFactory()
    first = committed(service.notify, user, ALERT, title="Slow", level="warning", event_data={"id": 5})
    again = committed(service.notify, user, ALERT, title="Down", level="error", event_data={"id": 5})
    assert first.pk == again.pk and (again.occurrences, again.title) == (2, "Down")
    assert len(mail.outbox) == 1  # unread: the second occurrence is silent
    assert ThreadEvent.objects.filter(thread_key=first.thread_key).count() == 2


def test_once_per_thread_skips_who_was_notified(db, on, alert_kind, committed):
    old, new = UserFactory.create_batch(2)
    committed(service.send, ALERT, {"users": [old]}, title="Maintenance", event_data={"w": 1}, once_per_thread=True)
    committed(
        service.send, ALERT, {"users": [old, new]}, title="Maintenance", event_data={"w": 1}, once_per_thread=True
    )
    assert {(r.user_id, r.occurrences) for r in Notification.objects.all()} == {(old.pk, 1), (new.pk, 1)}
    assert service.notify(old, ALERT, title="Maintenance", event_data={"w": 1}, once_per_thread=True) is None


def test_scope_separates_threads(db, on, alert_kind, committed):
    user = UserFactory()
    alert(committed, {"users": [user]}, "error", "down", scope="team:1")
    alert(committed, {"users": [user]}, "error", "down", scope="team:2")
    assert sorted(Notification.objects.values_list("scope", flat=True)) == ["team:1", "team:2"]
