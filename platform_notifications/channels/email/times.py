"""Delivery instants: the next daily or weekly delivery time in a user's own timezone, stored in UTC.

The clock is the operator's (Open edX's ``NOTIFICATION_*_DIGEST_DELIVERY_*`` settings) unless the user chose a
digest frequency (``DigestFrequency``): a daily one sets the Daily digest's local time (07:00, 18:00 or both), a
weekly one the Weekly digest's day at 07:00. A frequency of the other family leaves a cadence at the operator's.

Wall-clock times that do not exist (the spring-forward gap) or exist twice (the autumn fold) are resolved
the way ``zoneinfo`` does with ``fold=0``: a time in the gap is read with the offset before the change
(02:30 becomes 03:30 daylight time), a repeated time takes its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platform_notifications.config.bounds import bounded
from platform_notifications.config.enums import Cadence, DigestFrequency

MORNING, EVENING = time(7, 0), time(18, 0)
#: The local clocks of each chosen frequency: (cadence it sets, weekday or None, times of day).
FREQUENCY_CLOCKS: dict[DigestFrequency, tuple[Cadence, int | None, tuple[time, ...]]] = {
    DigestFrequency.DAILY_MORNING: (Cadence.DAILY, None, (MORNING,)),
    DigestFrequency.DAILY_EVENING: (Cadence.DAILY, None, (EVENING,)),
    DigestFrequency.TWICE_DAILY: (Cadence.DAILY, None, (MORNING, EVENING)),
    DigestFrequency.WEEKLY_FRIDAY: (Cadence.WEEKLY, 4, (MORNING,)),
    DigestFrequency.WEEKLY_SATURDAY: (Cadence.WEEKLY, 5, (MORNING,)),
    DigestFrequency.WEEKLY_SUNDAY: (Cadence.WEEKLY, 6, (MORNING,)),
}


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo:
    """The user's zone; UTC when the name is empty or not a valid IANA zone."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def delivery_clock(cadence: Cadence) -> tuple[int | None, int, int]:
    """(weekday or None, hour, minute) of a cadence's delivery, clamped to valid ranges (``config.bounds``)."""
    if cadence == Cadence.DAILY:
        return (
            None,
            bounded("NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR"),
            bounded("NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE"),
        )
    if cadence == Cadence.WEEKLY:
        return (
            bounded("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY"),
            bounded("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR"),
            bounded("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_MINUTE"),
        )
    raise ValueError(f"{cadence} has no delivery clock")


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    # fold=0: gap times take the pre-transition offset (pushed forward), repeated times their first occurrence.
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def frequency(name: str | None) -> DigestFrequency:
    """A stored frequency name as the enum; empty or unknown names are the operator's default."""
    try:
        return DigestFrequency(name or DigestFrequency.DEFAULT)
    except ValueError:
        return DigestFrequency.DEFAULT


def clocks(cadence: Cadence, chosen: DigestFrequency = DigestFrequency.DEFAULT) -> tuple[int | None, tuple[time, ...]]:
    """(weekday or None, local times of day) of ``cadence``'s delivery for a user who chose ``chosen``."""
    own = FREQUENCY_CLOCKS.get(chosen)
    if own and own[0] == cadence:
        return own[1], own[2]
    weekday, hour, minute = delivery_clock(cadence)
    return weekday, (time(hour, minute),)


def next_delivery(
    cadence: Cadence, tz: ZoneInfo, now: datetime, chosen: DigestFrequency = DigestFrequency.DEFAULT
) -> datetime:
    """The first delivery instant of ``cadence`` strictly after ``now`` in zone ``tz``, as an aware UTC datetime.

    ``chosen`` is the user's digest frequency; with two clocks a day (``twice_daily``) the earlier one ahead wins.
    """
    weekday, times = clocks(cadence, chosen)
    return min(_next_at(weekday, clock, tz, now) for clock in times)


def _next_at(weekday: int | None, clock: time, tz: ZoneInfo, now: datetime) -> datetime:
    today = now.astimezone(tz).date()
    if weekday is None:
        candidate = _at(today, clock, tz)
        return candidate if candidate > now else _at(today + timedelta(days=1), clock, tz)
    day = today + timedelta(days=(weekday - today.weekday()) % 7)
    candidate = _at(day, clock, tz)
    return candidate if candidate > now else _at(day + timedelta(days=7), clock, tz)


def buffer_close(now: datetime) -> datetime | None:
    """When an immediate-email buffer opened ``now`` closes; None when buffering is off (0 minutes)."""
    minutes = bounded("NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES")
    return now + timedelta(minutes=minutes) if minutes else None
