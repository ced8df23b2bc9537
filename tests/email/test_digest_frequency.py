"""Per-user digest schedules: each frequency at local time, DST changes, exactly once, the sweep, the API."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from platform_notifications import tasks
from platform_notifications.channels.base import ChunkDelivery
from platform_notifications.channels.email import schedule
from platform_notifications.channels.email.times import next_delivery, zone
from platform_notifications.config import registry
from platform_notifications.config.enums import Cadence, DigestFrequency
from platform_notifications.models import DigestSchedule, Notification, UserNotificationSettings
from tests.email.conftest import set_cadence, set_settings, utc
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/digest-preferences/"
PARIS = ZoneInfo("Europe/Paris")
NY = ZoneInfo("America/New_York")
# Monday 2026-05-04, 12:00 UTC = 14:00 in Paris (summer time, UTC+2).
MONDAY_NOON = utc(2026, 5, 4, 12, 0)
State = DigestSchedule.State


@pytest.mark.parametrize(
    ("cadence", "frequency", "now", "expected"),
    [
        # Daily: the operator's 17:00 local by default, 07:00 / 18:00 / the next of both when chosen.
        ("Daily", "default", MONDAY_NOON, utc(2026, 5, 4, 15, 0)),
        ("Daily", "daily_morning", MONDAY_NOON, utc(2026, 5, 5, 5, 0)),
        ("Daily", "daily_evening", MONDAY_NOON, utc(2026, 5, 4, 16, 0)),
        ("Daily", "twice_daily", MONDAY_NOON, utc(2026, 5, 4, 16, 0)),
        ("Daily", "twice_daily", utc(2026, 5, 4, 16, 0), utc(2026, 5, 5, 5, 0)),
        ("Daily", "twice_daily", utc(2026, 5, 4, 4, 0), utc(2026, 5, 4, 5, 0)),
        # Weekly: the operator's Monday 17:00 by default, else that weekday at 07:00.
        ("Weekly", "default", MONDAY_NOON, utc(2026, 5, 4, 15, 0)),
        ("Weekly", "weekly_friday", MONDAY_NOON, utc(2026, 5, 8, 5, 0)),
        ("Weekly", "weekly_saturday", MONDAY_NOON, utc(2026, 5, 9, 5, 0)),
        ("Weekly", "weekly_sunday", MONDAY_NOON, utc(2026, 5, 10, 5, 0)),
        # Friday 07:00 just passed: next Friday.
        ("Weekly", "weekly_friday", utc(2026, 5, 8, 5, 0), utc(2026, 5, 15, 5, 0)),
        # A frequency of the other family leaves the cadence at the operator's clock.
        ("Weekly", "daily_morning", MONDAY_NOON, utc(2026, 5, 4, 15, 0)),
        ("Daily", "weekly_sunday", MONDAY_NOON, utc(2026, 5, 4, 15, 0)),
    ],
)
def test_each_frequency_is_at_its_local_clock(cadence, frequency, now, expected):
    assert next_delivery(Cadence(cadence), PARIS, now, DigestFrequency(frequency)) == expected


@pytest.mark.parametrize(
    ("tz", "frequency", "days", "cadence"),
    [
        # Europe's spring change (Sunday 2026-03-29) and autumn change (Sunday 2026-10-25).
        ("Europe/Paris", "daily_morning", [(2026, 3, d) for d in (28, 29, 30)], "Daily"),
        ("Europe/Paris", "twice_daily", [(2026, 10, d) for d in (24, 25, 26)], "Daily"),
        ("Europe/Paris", "weekly_sunday", [(2026, 3, 29), (2026, 10, 25)], "Weekly"),
        # The US changes (Sunday 2026-03-08 and Sunday 2026-11-01).
        ("America/New_York", "daily_morning", [(2026, 3, d) for d in (7, 8, 9)], "Daily"),
        ("America/New_York", "daily_morning", [(2026, 10, 31), (2026, 11, 1), (2026, 11, 2)], "Daily"),
        ("America/New_York", "weekly_sunday", [(2026, 3, 8), (2026, 11, 1)], "Weekly"),
    ],
)
def test_across_daylight_saving_changes_the_digest_goes_out_once_at_seven_local(
    email_on, send, queued, tz, frequency, days, cadence
):
    """For each local day: a notification the evening before, time moved to 07:00 local, one email, no other."""
    local = ZoneInfo(tz)
    user = UserFactory()
    set_settings(user, timezone=tz, digest_frequency=frequency)
    set_cadence(user, cadence)
    for number, (year, month, day) in enumerate(days, start=1):
        seven = datetime(year, month, day, 7, 0, tzinfo=local).astimezone(ZoneInfo("UTC"))
        evening_before = datetime(year, month, day, 0, 0, tzinfo=local) - timedelta(hours=3)
        with time_machine.travel(evening_before, tick=False) as clock:
            send([user.pk], context={"replier_name": "Ana", "post_title": f"Day {number}"})
            pending = DigestSchedule.objects.get(user=user, state=State.PENDING)
            assert pending.delivery_time == seven
            assert pending.delivery_time.astimezone(local).hour == 7
            clock.move_to(seven - timedelta(minutes=1))
            assert tasks.send_due_digests.apply().get() == {}
            clock.move_to(seven)
            assert tasks.deliver_email_instant.apply(args=[cadence, seven.isoformat()]).get() == {"sent": 1}
            # A duplicate message and the sweep find nothing more to send.
            assert tasks.deliver_email_instant.apply(args=[cadence, seven.isoformat()]).get() == {}
            assert tasks.send_due_digests.apply().get() == {}
        assert len(mail.outbox) == number
        assert f"Day {number}" in mail.outbox[-1].body
    assert Notification.objects.filter(email_sent_on__isnull=True).count() == 0
    assert DigestSchedule.objects.filter(state=State.SENT).count() == len(days)


def test_twice_daily_sends_morning_and_evening(email_on, send, queued):
    user = UserFactory()
    set_settings(user, timezone="Europe/Paris", digest_frequency="twice_daily")
    morning, evening = utc(2026, 5, 5, 5, 0), utc(2026, 5, 5, 16, 0)
    with time_machine.travel(utc(2026, 5, 4, 20, 0), tick=False) as clock:
        send([user.pk], context={"replier_name": "Ana", "post_title": "Night"})
        clock.move_to(morning + timedelta(minutes=1))
        send([user.pk], context={"replier_name": "Bo", "post_title": "Morning"})  # after 07:00: the evening one
        assert tasks.send_due_digests.apply().get() == {"sent": 1}
        assert DigestSchedule.objects.get(state=State.PENDING).delivery_time == evening
        clock.move_to(evening)
        # The broker lost the ETA message: the sweep sends it.
        assert tasks.send_due_digests.apply().get() == {"sent": 1}
    assert ["Night" in m.body for m in mail.outbox] == [True, False]
    assert "Morning" in mail.outbox[1].body
    assert [c["eta"] for c in queued] == [morning, evening]


def _delivery(users, cadence, now):
    ntype = registry.get_type("new_response")
    rows = [NotificationFactory(user=u, email=True, email_cadence=cadence, created=now) for u in users]
    return ChunkDelivery(request=None, ntype=ntype, notifications=rows, prefs={}, now=now)


@pytest.mark.parametrize("cadence", ["Daily", "Weekly"])
def test_fan_out_with_every_frequency_and_zone_costs_three_queries_per_group(cadence, queued):
    frequencies = [f.value for f in DigestFrequency]
    zones = ["", "Europe/Paris", "America/New_York", "Asia/Tokyo"]
    counts = []
    for size in (len(frequencies) * len(zones), 300):
        users = UserFactory.create_batch(size)
        for index, user in enumerate(users[:-1]):  # the last one has no settings row
            set_settings(
                user, timezone=zones[index % len(zones)], digest_frequency=frequencies[index % len(frequencies)]
            )
        delivery = _delivery(users, cadence, MONDAY_NOON)
        with CaptureQueriesContext(connection) as ctx:
            schedule.schedule_chunk(delivery)
        counts.append(len(ctx.captured_queries))
        own = dict(UserNotificationSettings.objects.values_list("user_id", "digest_frequency"))
        zone_of = dict(UserNotificationSettings.objects.values_list("user_id", "timezone"))
        for user_id, when in DigestSchedule.objects.filter(user__in=users).values_list("user_id", "delivery_time"):
            expected = next_delivery(
                Cadence(cadence), zone(zone_of.get(user_id)), MONDAY_NOON, DigestFrequency(own.get(user_id, "default"))
            )
            assert when == expected
        assert DigestSchedule.objects.filter(user__in=users).count() == size
    assert counts == [3, 3]  # the covered users, the users' (zone, frequency) pairs, one INSERT ... SELECT


def test_orm_fallback_follows_the_frequency(queued, monkeypatch):
    monkeypatch.setattr(schedule, "_set_based", lambda: False)
    user = UserFactory()
    set_settings(user, timezone="Europe/Paris", digest_frequency="weekly_saturday")
    schedule.schedule_chunk(_delivery([user], "Weekly", MONDAY_NOON))
    assert DigestSchedule.objects.get().delivery_time == utc(2026, 5, 9, 5, 0)


# The API.


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _patch(client, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.patch(URL, data, content_type="application/json")


def test_get_answers_the_defaults_and_anonymous_is_401():
    user = UserFactory()
    assert _client(user).get(URL).json() == {"digest_frequency": "default", "timezone": ""}
    assert _client().get(URL).status_code == 401
    assert _patch(_client(), {"digest_frequency": "daily_morning"}).status_code == 401
    assert not UserNotificationSettings.objects.exists()


@pytest.mark.parametrize("frequency", [f.value for f in DigestFrequency])
def test_patch_sets_each_frequency(frequency):
    user = UserFactory()
    client = _client(user)
    answer = _patch(client, {"digest_frequency": frequency, "timezone": "America/Los_Angeles"})
    assert answer.status_code == 200
    assert answer.json() == {"digest_frequency": frequency, "timezone": "America/Los_Angeles"}
    own = UserNotificationSettings.objects.get(user=user)
    assert (own.digest_frequency, own.timezone) == (frequency, "America/Los_Angeles")
    assert client.get(URL).json() == answer.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"digest_frequency": "hourly"}, "digest_frequency"),
        ({"digest_frequency": None}, "digest_frequency"),
        ({"digest_frequency": "daily_morning", "timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": 5}, "timezone"),
        ({"digest_frequency": "daily_morning", "cadence": "Daily"}, "cadence"),
        ('["daily_morning"]', "non_field_errors"),
    ],
)
def test_bad_values_are_refused_with_field_errors_and_change_nothing(body, field):
    user = UserFactory()
    set_settings(user, timezone="Europe/Paris", digest_frequency="weekly_friday")
    answer = _patch(_client(user), body)
    assert answer.status_code == 400
    assert field in answer.json()
    own = UserNotificationSettings.objects.get(user=user)
    assert (own.digest_frequency, own.timezone) == ("weekly_friday", "Europe/Paris")


def test_a_change_moves_the_open_digest_to_the_new_clock(email_on, send, queued, django_capture_on_commit_callbacks):
    user = UserFactory()
    set_settings(user, timezone="Europe/Paris")
    with time_machine.travel(MONDAY_NOON, tick=False) as clock:
        send([user.pk])
        old = DigestSchedule.objects.get().delivery_time
        assert old == utc(2026, 5, 4, 15, 0)  # 17:00 Paris
        with django_capture_on_commit_callbacks(execute=True):
            assert _patch(_client(user), {"digest_frequency": "daily_morning"}).status_code == 200
        moved = DigestSchedule.objects.get()
        assert (moved.state, moved.delivery_time) == (State.PENDING, utc(2026, 5, 5, 5, 0))
        assert queued[-1]["eta"] == utc(2026, 5, 5, 5, 0)
        # The old instant's message finds nothing; the new one sends the notification once.
        clock.move_to(old)
        assert tasks.deliver_email_instant.apply(args=["Daily", old.isoformat()]).get() == {}
        clock.move_to(utc(2026, 5, 5, 5, 0))
        assert tasks.send_due_digests.apply().get() == {"sent": 1}
        assert tasks.send_due_digests.apply().get() == {}
    assert len(mail.outbox) == 1


def test_a_time_zone_change_in_user_settings_moves_the_open_digest_too(email_on, send, queued):
    user = UserFactory()
    set_settings(user, digest_frequency="daily_evening")
    with time_machine.travel(MONDAY_NOON, tick=False):
        send([user.pk])
        assert DigestSchedule.objects.get().delivery_time == utc(2026, 5, 4, 18, 0)
        answer = _client(user).patch(
            "/api/notifications/user-settings/",
            json.dumps({"timezone": "America/New_York"}),
            content_type="application/json",
        )
        assert answer.status_code == 200
        assert DigestSchedule.objects.get().delivery_time == utc(2026, 5, 4, 22, 0)  # 18:00 New York


def test_held_and_retrying_schedules_are_not_moved():
    user = UserFactory()
    set_settings(user, digest_frequency="daily_morning")
    with time_machine.travel(MONDAY_NOON, tick=False):
        held = DigestSchedule.objects.create(
            user=user, cadence="Daily", delivery_time=utc(2026, 5, 4, 20, 0), last_error="held: do not disturb"
        )
        retrying = DigestSchedule.objects.create(
            user=user, cadence="Weekly", delivery_time=utc(2026, 5, 4, 20, 0), retry_at=utc(2026, 5, 4, 20, 0)
        )
        assert schedule.reschedule_user(user.pk) == set()
    assert DigestSchedule.objects.get(pk=held.pk).delivery_time == utc(2026, 5, 4, 20, 0)
    assert DigestSchedule.objects.get(pk=retrying.pk).delivery_time == utc(2026, 5, 4, 20, 0)
