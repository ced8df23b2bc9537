"""Delivery instants: local time, daylight-saving changes, clamped settings, unknown zones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from platform_notifications.channels.email.times import buffer_close, delivery_clock, next_delivery, zone
from platform_notifications.config.enums import Cadence
from tests.email.conftest import utc

NY = zone("America/New_York")


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        # UTC user, before and after 17:00.
        (utc(2026, 5, 4, 10, 0), "UTC", utc(2026, 5, 4, 17, 0)),
        (utc(2026, 5, 4, 17, 0), "UTC", utc(2026, 5, 5, 17, 0)),
        # New York in summer (UTC-4) and winter (UTC-5): 17:00 local.
        (utc(2026, 7, 1, 12, 0), "America/New_York", utc(2026, 7, 1, 21, 0)),
        (utc(2026, 1, 15, 12, 0), "America/New_York", utc(2026, 1, 15, 22, 0)),
        # Kolkata (UTC+5:30): 17:00 local is 11:30 UTC; at 12:00 UTC it is tomorrow's.
        (utc(2026, 5, 4, 12, 0), "Asia/Kolkata", utc(2026, 5, 5, 11, 30)),
        # Late evening in Tokyo is already the next local day.
        (utc(2026, 5, 4, 20, 0), "Asia/Tokyo", utc(2026, 5, 5, 8, 0)),
        # Unknown or empty zone: UTC.
        (utc(2026, 5, 4, 10, 0), "Mars/Olympus", utc(2026, 5, 4, 17, 0)),
        (utc(2026, 5, 4, 10, 0), "", utc(2026, 5, 4, 17, 0)),
    ],
)
def test_daily_delivery_is_at_local_hour(now, tz, expected):
    assert next_delivery(Cadence.DAILY, zone(tz), now) == expected


def test_daily_across_spring_forward_keeps_local_hour():
    # 2026-03-08 is the US spring-forward day: 17:00 local is 22:00 UTC the day before, 21:00 UTC that day.
    before = next_delivery(Cadence.DAILY, NY, utc(2026, 3, 7, 12, 0))
    after = next_delivery(Cadence.DAILY, NY, utc(2026, 3, 7, 23, 0))
    assert before == utc(2026, 3, 7, 22, 0)
    assert after == utc(2026, 3, 8, 21, 0)
    assert after - before == timedelta(hours=23)


def test_daily_across_fall_back_keeps_local_hour():
    # 2026-11-01 is the US fall-back day: the local day has 25 hours.
    before = next_delivery(Cadence.DAILY, NY, utc(2026, 10, 31, 12, 0))
    after = next_delivery(Cadence.DAILY, NY, utc(2026, 10, 31, 22, 0))
    assert (before, after) == (utc(2026, 10, 31, 21, 0), utc(2026, 11, 1, 22, 0))


@override_settings(NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR=2, NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE=30)
def test_nonexistent_local_time_moves_forward():
    # 02:30 does not exist in New York on 2026-03-08; it is read with the pre-change offset (07:30 UTC = 03:30 EDT).
    when = next_delivery(Cadence.DAILY, NY, utc(2026, 3, 8, 5, 0))
    assert when == utc(2026, 3, 8, 7, 30)
    assert when.astimezone(NY).hour == 3


@override_settings(NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR=1, NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE=30)
def test_ambiguous_local_time_takes_first_occurrence():
    # 01:30 happens twice in New York on 2026-11-01: the first (EDT, 05:30 UTC) is used, once.
    assert next_delivery(Cadence.DAILY, NY, utc(2026, 11, 1, 4, 0)) == utc(2026, 11, 1, 5, 30)
    assert next_delivery(Cadence.DAILY, NY, utc(2026, 11, 1, 5, 45)) == utc(2026, 11, 2, 6, 30)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 5, 4, 10, 0), utc(2026, 5, 4, 17, 0)),  # a Monday morning: today
        (utc(2026, 5, 4, 18, 0), utc(2026, 5, 11, 17, 0)),  # Monday evening: next week
        (utc(2026, 5, 7, 9, 0), utc(2026, 5, 11, 17, 0)),  # Thursday: next Monday
    ],
)
def test_weekly_delivery_day(now, expected):
    assert next_delivery(Cadence.WEEKLY, zone("UTC"), now) == expected


@override_settings(NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY=4, NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR=9)
def test_weekly_in_local_zone():
    # Friday 09:00 in Tokyo is Friday 00:00 UTC.
    assert next_delivery(Cadence.WEEKLY, zone("Asia/Tokyo"), utc(2026, 5, 4, 0, 0)) == utc(2026, 5, 8, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR": 99, "NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE": -5}, (23, 0)),
        ({"NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR": "x", "NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE": 75}, (17, 59)),
    ],
)
def test_clock_is_clamped(overrides, expected):
    with override_settings(**overrides):
        assert delivery_clock(Cadence.DAILY)[1:] == expected


@override_settings(NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY=12)
def test_weekday_is_clamped():
    assert delivery_clock(Cadence.WEEKLY)[0] == 6


def test_buffer_close():
    now = utc(2026, 5, 4, 10, 0)
    assert buffer_close(now) == utc(2026, 5, 4, 10, 15)
    with override_settings(NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES=0):
        assert buffer_close(now) is None
