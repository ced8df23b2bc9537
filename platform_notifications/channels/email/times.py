"""Delivery instants: the next daily or weekly delivery time in a user's own timezone, stored in UTC.

Wall-clock times that do not exist (the spring-forward gap) or exist twice (the autumn fold) are resolved
the way ``zoneinfo`` does with ``fold=0``: a time in the gap is read with the offset before the change
(02:30 becomes 03:30 daylight time), a repeated time takes its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platform_notifications.config.bounds import bounded
from platform_notifications.config.enums import Cadence


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


def next_delivery(cadence: Cadence, tz: ZoneInfo, now: datetime) -> datetime:
    """The first delivery instant of ``cadence`` strictly after ``now`` in zone ``tz``, as an aware UTC datetime."""
    weekday, hour, minute = delivery_clock(cadence)
    clock = time(hour, minute)
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
