"""Retention of every growing table: each its own age setting, pending work kept, short range-bounded DELETEs."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications.models import (
    DigestSchedule,
    LiveEvent,
    Notification,
    NotificationRequest,
    RefusedNotification,
)
from platform_notifications.operations import retention
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _ago(days: float):
    return timezone.now() - timedelta(days=days)


def _request(state: str, days: float) -> NotificationRequest:
    return NotificationRequest.objects.create(event_id=uuid.uuid4(), kind="users", state=state, modified=_ago(days))


def _schedule(state: str, days: float) -> DigestSchedule:
    return DigestSchedule.objects.create(user=UserFactory(), cadence="Daily", state=state, delivery_time=_ago(days))


def _deletes(captured, table: str) -> list[str]:
    prefix = f"DELETE FROM {connection.ops.quote_name(table)}"
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith(prefix)]


def test_schedules_of_a_user_deleted_outside_django_are_purged_whatever_their_state():
    """The schedule table has no foreign key constraint; a user row deleted by SQL leaves schedules behind."""
    gone, kept = _schedule("pending", -1), _schedule("pending", -1)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name('auth_user')} WHERE id = %s", [gone.user_id])
    assert retention.purge()["orphaned_schedules"] == 1
    assert list(DigestSchedule.objects.values_list("pk", flat=True)) == [kept.pk]


def test_deleting_a_user_through_django_deletes_their_schedules():
    schedule = _schedule("pending", -1)
    schedule.user.delete()
    assert not DigestSchedule.objects.exists()


@override_settings(NOTIFICATIONS_RETENTION_DAYS=10, NOTIFICATIONS_EXPIRY=60)
def test_each_table_follows_its_setting_and_pending_work_is_kept():
    old_done, old_failed, old_pending, young_done = (
        _request("done", 11),
        _request("failed", 11),
        _request("pending", 400),
        _request("done", 9),
    )
    RefusedNotification.objects.create(source="x", reason="r", created=_ago(11))
    young_refusal = RefusedNotification.objects.create(source="x", reason="r", created=_ago(9))
    sent, empty, failed = _schedule("sent", 11), _schedule("empty", 11), _schedule("failed", 11)
    pending, sending, young_sent = _schedule("pending", 11), _schedule("sending", 11), _schedule("sent", 9)
    notification = NotificationFactory(created=_ago(30))  # older than the retention days, younger than the expiry
    old_event = LiveEvent.objects.create(user=notification.user, kind="read", created=_ago(2))
    young_event = LiveEvent.objects.create(user=notification.user, kind="read", created=_ago(0.5))

    assert retention.purge() == {
        "notifications": 0,
        "requests": 2,
        "live_events": 1,
        "refused": 1,
        "schedules": 3,
        "orphaned_schedules": 0,
    }
    assert list(LiveEvent.objects.values_list("pk", flat=True)) == [young_event.pk]
    assert old_event.pk != young_event.pk
    assert set(NotificationRequest.objects.values_list("pk", flat=True)) == {old_pending.pk, young_done.pk}
    assert list(RefusedNotification.objects.values_list("pk", flat=True)) == [young_refusal.pk]
    assert set(DigestSchedule.objects.values_list("pk", flat=True)) == {pending.pk, sending.pk, young_sent.pk}
    assert Notification.objects.filter(pk=notification.pk).exists()
    assert not NotificationRequest.objects.filter(pk__in=[old_done.pk, old_failed.pk]).exists()
    assert not DigestSchedule.objects.filter(pk__in=[sent.pk, empty.pk, failed.pk]).exists()


@pytest.mark.parametrize("days", [0, -5, "x", None])
def test_out_of_range_retention_days_never_purge_young_rows(days):
    young = _request("done", 0.5)
    with override_settings(NOTIFICATIONS_RETENTION_DAYS=days):
        retention.purge()
    assert NotificationRequest.objects.filter(pk=young.pk).exists()


def test_each_delete_covers_at_most_one_batch_of_primary_keys():
    user = UserFactory()
    rows = NotificationFactory.create_batch(7, user=user, created=_ago(90))
    kept = NotificationFactory(user=user, created=_ago(1))
    with CaptureQueriesContext(connection) as captured:
        assert retention.purge(batch_size=3)["notifications"] == 7
    deletes = _deletes(captured, "platform_notifications_notification")
    assert len(deletes) == 3  # ranges of 3 keys over 7 consecutive keys
    for sql in deletes:
        low, high = map(int, re.search(r'"id" >= (\d+) AND .*"id" < (\d+)', sql).groups())
        assert high - low == 3
    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
    assert rows[0].pk < kept.pk


def test_gaps_in_the_keys_only_add_statements_never_rows_per_statement():
    old = NotificationFactory.create_batch(6, created=_ago(90))
    Notification.objects.filter(pk__in=[r.pk for r in old[1:5]]).delete()  # keys: first, (gap), last
    with CaptureQueriesContext(connection) as captured:
        assert retention.purge(batch_size=2)["notifications"] == 2
    assert len(_deletes(captured, "platform_notifications_notification")) == 3
    assert not Notification.objects.exists()


def test_nothing_to_purge_is_one_read_per_table():
    NotificationFactory(created=_ago(1))
    with CaptureQueriesContext(connection) as captured:
        assert sum(retention.purge().values()) == 0
    assert len(captured) == len(retention.POLICIES)


def test_command_reports_every_table():
    _request("done", 400)
    out = io.StringIO()
    call_command("purge_notifications", stdout=out)
    assert "Deleted 0 expired notifications." in out.getvalue()
    assert "Deleted 1 old requests." in out.getvalue()
    assert not NotificationRequest.objects.exists()
