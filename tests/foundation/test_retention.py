"""Retention: rows older than ``NOTIFICATIONS_EXPIRY`` days are purged in batches; younger rows are kept."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications import tasks
from platform_notifications.models import Notification, NotificationRequest, RefusedNotification
from platform_notifications.operations import retention
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _aged(days: float, count: int = 1, **fields) -> list[Notification]:
    user = UserFactory()
    return NotificationFactory.create_batch(count, user=user, created=timezone.now() - timedelta(days=days), **fields)


def _deletes(queries) -> int:
    return sum(q["sql"].startswith('DELETE FROM "platform_notifications_notification"') for q in queries)


def test_purge_deletes_only_expired_rows_in_batches():
    old = _aged(61, 5)
    young = _aged(59, 2)
    with CaptureQueriesContext(connection) as captured:
        assert retention.purge_expired(batch_size=2) == 5
    assert set(Notification.objects.values_list("pk", flat=True)) == {n.pk for n in young}
    assert not Notification.objects.filter(pk__in=[n.pk for n in old]).exists()
    assert _deletes(captured.captured_queries) == 3  # 2 + 2 + 1


@override_settings(NOTIFICATIONS_EXPIRY=10)
def test_expiry_setting_is_read_on_use():
    _aged(11, 2)
    kept = _aged(9)
    assert retention.purge_expired() == 2
    assert list(Notification.objects.values_list("pk", flat=True)) == [kept[0].pk]


def test_management_command_purges_in_batches():
    _aged(90, 5)
    _aged(1)
    out = io.StringIO()
    with CaptureQueriesContext(connection) as captured:
        call_command("purge_notifications", "--batch-size", "2", stdout=out)
    assert "Deleted 5 expired notifications." in out.getvalue()
    assert _deletes(captured.captured_queries) == 3
    assert Notification.objects.count() == 1


@override_settings(NOTIFICATIONS_PURGE_BATCH_SIZE=2)
def test_periodic_task_purges_in_batches():
    _aged(90, 5)
    _aged(1)
    with CaptureQueriesContext(connection) as captured:
        assert tasks.purge_expired_notifications.delay().get() == 5
    assert _deletes(captured.captured_queries) == 3
    assert Notification.objects.count() == 1


def test_old_finished_bookkeeping_is_purged_and_pending_requests_kept():
    long_ago = timezone.now() - timedelta(days=61)
    done = NotificationRequest.objects.create(
        event_id="00000000-0000-0000-0000-000000000001", kind="users", state="done", modified=long_ago
    )
    pending = NotificationRequest.objects.create(
        event_id="00000000-0000-0000-0000-000000000002", kind="users", state="pending", modified=long_ago
    )
    RefusedNotification.objects.create(source="x", reason="r", created=long_ago)
    recent = RefusedNotification.objects.create(source="x", reason="r")
    retention.purge_expired()
    assert list(NotificationRequest.objects.values_list("pk", flat=True)) == [pending.pk]
    assert not NotificationRequest.objects.filter(pk=done.pk).exists()
    assert list(RefusedNotification.objects.values_list("pk", flat=True)) == [recent.pk]


def test_tray_hides_expired_and_web_off_rows():
    _aged(61)
    _aged(1, web=False)
    shown = _aged(1)
    assert list(Notification.objects.in_tray().values_list("pk", flat=True)) == [shown[0].pk]


def test_mark_seen_and_mark_read_count_what_changed():
    rows = _aged(1, 3)
    user = rows[0].user
    Notification.objects.filter(pk=rows[0].pk).update(last_seen=timezone.now())
    assert Notification.objects.for_user(user).mark_seen() == 2
    assert Notification.objects.for_user(user).mark_seen() == 0
    assert Notification.objects.for_user(user).mark_read() == 3
    assert Notification.objects.for_user(user).unread().count() == 0


@pytest.mark.parametrize(("expiry", "kept"), [(0, 2), (-30, 2), ("sixty", 3), (None, 3), (True, 3), (10**9, 3)])
def test_out_of_range_expiry_is_clamped_never_purging_young_rows(expiry, kept):
    # 0 or a negative expiry would put the cutoff in the future and delete everything.
    _aged(0.5, 2)
    _aged(59.5)  # kept by the default (60) and the upper bound; purged by the lower bound (1 day)
    with override_settings(NOTIFICATIONS_EXPIRY=expiry):
        retention.purge_expired()
        assert Notification.objects.in_tray().count() == kept
    assert Notification.objects.count() == kept


@override_settings(NOTIFICATIONS_PURGE_BATCH_SIZE=0)
def test_zero_purge_batch_size_still_purges():
    _aged(90, 3)
    assert retention.purge_expired() == 3
