"""Scheduling: one DigestSchedule per user and instant, at local time, fixed queries, one message per instant."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platform_notifications.channels.base import ChunkDelivery
from platform_notifications.channels.email import schedule
from platform_notifications.config import registry
from platform_notifications.models import DigestSchedule, Notification
from tests.email.conftest import set_cadence, set_settings, utc
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

MONDAY_NOON = utc(2026, 5, 4, 12, 0)


@time_machine.travel(MONDAY_NOON, tick=False)
def test_fan_out_schedules_daily_digest_at_each_users_local_time(email_on, send, queued):
    ny, tokyo, plain = UserFactory.create_batch(3)
    set_settings(ny, timezone="America/New_York")
    set_settings(tokyo, timezone="Asia/Tokyo")
    send([ny.pk, tokyo.pk, plain.pk])
    times = dict(DigestSchedule.objects.values_list("user_id", "delivery_time"))
    assert times == {
        ny.pk: utc(2026, 5, 4, 21, 0),
        tokyo.pk: utc(2026, 5, 5, 8, 0),
        plain.pk: utc(2026, 5, 4, 17, 0),
    }
    assert set(DigestSchedule.objects.values_list("cadence", "state").distinct()) == {("Daily", "pending")}
    # One message per distinct instant, with its ETA and a deterministic id.
    assert sorted((call["eta"], call["task_id"]) for call in queued) == [
        (utc(2026, 5, 4, 17, 0), "pn-email-daily-20260504T170000000000"),
        (utc(2026, 5, 4, 21, 0), "pn-email-daily-20260504T210000000000"),
        (utc(2026, 5, 5, 8, 0), "pn-email-daily-20260505T080000000000"),
    ]


@time_machine.travel(MONDAY_NOON, tick=False)
def test_second_notification_reuses_the_open_schedule_and_queues_nothing(email_on, send, queued):
    users = UserFactory.create_batch(3)
    send([u.pk for u in users])
    send([u.pk for u in users], context={"replier_name": "Bo", "post_title": "Week 2"})
    assert DigestSchedule.objects.count() == 3
    assert len(queued) == 1


@time_machine.travel(MONDAY_NOON, tick=False)
def test_users_sharing_an_instant_share_one_message_across_chunks(email_on, send, queued, settings):
    settings.NOTIFICATION_CREATION_BATCH_SIZE = 2
    users = UserFactory.create_batch(7)
    send([u.pk for u in users])
    assert DigestSchedule.objects.count() == 7
    assert len(queued) == 1  # four chunks name the same instant; one message


@time_machine.travel(MONDAY_NOON, tick=False)
def test_mixed_cadences_for_one_user(email_on, send, queued):
    user = UserFactory()
    set_cadence(user, "Weekly")
    send([user.pk])
    set_cadence(user, "Daily")
    send([user.pk])
    rows = dict(DigestSchedule.objects.values_list("cadence", "delivery_time"))
    # Monday 17:00 is both the weekly and the daily instant: two schedules, two messages.
    assert rows == {"Weekly": utc(2026, 5, 4, 17, 0), "Daily": utc(2026, 5, 4, 17, 0)}
    assert {call["task_id"] for call in queued} == {
        "pn-email-weekly-20260504T170000000000",
        "pn-email-daily-20260504T170000000000",
    }


@pytest.mark.parametrize("choice", [{"email": False}, {"email_cadence": "Never"}])
def test_email_off_or_never_schedules_nothing(email_on, send, queued, choice):
    user = UserFactory()
    set_cadence(user, "Daily")
    from platform_notifications.models import NotificationPreference

    NotificationPreference.objects.filter(user=user).update(**choice)
    send([user.pk])
    assert Notification.objects.filter(user=user).exists()
    assert not DigestSchedule.objects.exists()
    assert queued == []


def test_email_flag_off_schedules_nothing(flags, send, queued):
    flags("notifications.enable_notifications")
    user = UserFactory()
    send([user.pk])
    assert Notification.objects.filter(user=user, email=False).exists()
    assert not DigestSchedule.objects.exists()
    assert queued == []


def _delivery(users, cadence, now):
    ntype = registry.get_type("new_response")
    rows = [
        NotificationFactory(user=u, email=True, email_cadence=cadence, created=now)
        for u in users
        for _ in range(2)  # two rows per user: still one schedule each
    ]
    return ChunkDelivery(request=None, ntype=ntype, notifications=rows, prefs={}, now=now)


@pytest.mark.parametrize("cadence", ["Daily", "Weekly", "Immediately"])
def test_scheduling_costs_fixed_queries_per_cadence_group(cadence, queued):
    now = MONDAY_NOON
    counts = []
    # 300 users: an immediate group writes 600 schedule rows, past the 999 parameters Django assumes for SQLite.
    for size in (3, 300):
        users = UserFactory.create_batch(size)
        for user in users[::2]:
            set_settings(user, timezone="Europe/Paris")
        delivery = _delivery(users, cadence, now)
        with CaptureQueriesContext(connection) as ctx:
            schedule.schedule_chunk(delivery)
        counts.append(len(ctx.captured_queries))
        # The INSERT reads nothing of the schedule table per user (the covered users were read before it).
        (insert,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
        assert insert.count(DigestSchedule._meta.db_table) == 1
    # Digests: the covered users, the users' timezones, then one INSERT ... SELECT; immediate: no timezones.
    assert counts == ([3, 3] if cadence != "Immediately" else [2, 2])


def test_scheduling_mixed_cadences_costs_three_queries_per_digest_group_and_two_per_immediate(queued):
    users = UserFactory.create_batch(6)
    ntype = registry.get_type("new_response")
    rows = [
        NotificationFactory(user=u, email=True, email_cadence=c, created=MONDAY_NOON)
        for u, c in zip(users, ["Daily", "Weekly", "Immediately"] * 2, strict=True)
    ]
    with CaptureQueriesContext(connection) as ctx:
        schedule.schedule_chunk(ChunkDelivery(None, ntype, rows, {}, MONDAY_NOON))
    assert len(ctx.captured_queries) == 3 + 3 + 2
    assert DigestSchedule.objects.filter(cadence="Immediately").count() == 4  # immediate + buffer close, x2


@time_machine.travel(utc(2026, 1, 12, 12, 0), tick=False)
def test_one_chunk_with_many_zones_gets_each_users_local_instant(email_on, send, queued):
    """Zones sharing the default instant (UTC aliases, London in winter, an invalid name) take the ELSE branch."""
    zones = ["America/New_York", "Etc/UTC", "Europe/London", "Not/AZone", "", "Asia/Kolkata", "America/New_York"]
    users = UserFactory.create_batch(len(zones) + 1)  # the last one has no settings row at all
    for user, name in zip(users, zones, strict=False):
        set_settings(user, timezone=name)
    send([u.pk for u in users])
    times = dict(DigestSchedule.objects.values_list("user_id", "delivery_time"))
    expected = [
        utc(2026, 1, 12, 22, 0),
        *[utc(2026, 1, 12, 17, 0)] * 4,
        utc(2026, 1, 13, 11, 30),  # 17:00 in Kolkata (+05:30) has passed at 12:00 UTC: tomorrow's
        utc(2026, 1, 12, 22, 0),
        utc(2026, 1, 12, 17, 0),
    ]
    assert [times[u.pk] for u in users] == expected
    assert sorted(call["eta"] for call in queued) == sorted(set(expected))


@time_machine.travel(MONDAY_NOON, tick=False)
def test_covered_and_uncovered_users_in_one_chunk(email_on, send, queued):
    first, second = UserFactory.create_batch(2)
    send([first.pk])
    before = DigestSchedule.objects.get(user=first)
    send([first.pk, second.pk], context={"replier_name": "Bo", "post_title": "Week 2"})
    assert DigestSchedule.objects.filter(user=first).get() == before
    assert DigestSchedule.objects.filter(user=second).count() == 1


@pytest.mark.parametrize("cadence", ["Daily", "Immediately"])
def test_email_scheduling_builds_no_notification_instances(email_on, send, queued, monkeypatch, cadence):
    """The email channel reads user and cadence from the written values: no model instance, no id read-back."""
    from platform_notifications.channels.base import ChunkRows

    def refuse(self):
        raise AssertionError("the email path built Notification instances")

    monkeypatch.setattr(ChunkRows, "_rows", refuse)
    users = UserFactory.create_batch(3)
    for user in users:
        set_cadence(user, cadence)
    send([u.pk for u in users])
    assert DigestSchedule.objects.filter(cadence=cadence).values("user_id").distinct().count() == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
def test_coverage_check_uses_the_user_index_not_the_state_index(queued):
    """With many pending schedules, the covered users' read must not walk (state, delivery_time) for each user."""
    users = UserFactory.create_batch(3)
    later = MONDAY_NOON + timedelta(days=1)
    DigestSchedule.objects.bulk_create(DigestSchedule(user=u, cadence="Daily", delivery_time=later) for u in users)
    with CaptureQueriesContext(connection) as ctx:
        schedule.schedule_users(schedule.Cadence.DAILY, {u.pk for u in users}, MONDAY_NOON)
    sql = ctx.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "pn_digest_state_time" not in plan, plan
