"""What a user's next digests would contain and when they go out, shown in the user's own timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from platform_notifications.config.enums import Cadence
from platform_notifications.config.settings import clamp, get_setting
from platform_notifications.models import DigestSchedule, Notification, UserNotificationSettings

DIGEST_CADENCES = (Cadence.DAILY, Cadence.WEEKLY)


@dataclass(frozen=True)
class DigestPreview:
    cadence: Cadence
    delivery_time: datetime  # aware, in the user's zone
    scheduled: bool  # a DigestSchedule row already exists for it
    notifications: list[Notification]


def user_zone(user: AbstractBaseUser) -> ZoneInfo:
    name = UserNotificationSettings.objects.filter(user=user).values_list("timezone", flat=True).first()
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(cadence: Cadence) -> tuple[int | None, time]:
    if cadence == Cadence.DAILY:
        hour = clamp(get_setting("NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR"), 0, 23, 17)
        minute = clamp(get_setting("NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE"), 0, 59, 0)
        return None, time(hour, minute)
    day = clamp(get_setting("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY"), 0, 6, 0)
    hour = clamp(get_setting("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR"), 0, 23, 17)
    minute = clamp(get_setting("NOTIFICATION_WEEKLY_DIGEST_DELIVERY_MINUTE"), 0, 59, 0)
    return day, time(hour, minute)


def next_delivery(cadence: Cadence, tz: ZoneInfo, now: datetime) -> datetime:
    """The next delivery instant of ``cadence`` after ``now``: the configured clock read in the user's zone."""
    weekday, clock = _clock(cadence)
    today = now.astimezone(tz).date()
    day = today if weekday is None else today + timedelta(days=(weekday - today.weekday()) % 7)
    step = timedelta(days=1 if weekday is None else 7)
    candidate = datetime.combine(day, clock, tzinfo=tz)
    return candidate if candidate > now else datetime.combine(day + step, clock, tzinfo=tz)


def preview(user: AbstractBaseUser, now: datetime | None = None) -> list[DigestPreview]:
    """One entry per digest cadence: pending schedule (or the computed next slot) and the waiting items."""
    now = now or timezone.now()
    tz = user_zone(user)
    cutoff = now - timedelta(days=int(get_setting("NOTIFICATIONS_EXPIRY")))
    # uses index (user, email_sent_on)
    waiting = list(
        Notification.objects.filter(
            user=user, email=True, email_sent_on__isnull=True, email_cadence__in=DIGEST_CADENCES, created__gte=cutoff
        ).order_by("-created")
    )
    pending = {
        row.cadence: row.delivery_time
        for row in DigestSchedule.objects.filter(
            user=user, cadence__in=DIGEST_CADENCES, state=DigestSchedule.State.PENDING
        ).order_by("-delivery_time")
    }
    result = []
    for cadence in DIGEST_CADENCES:
        when = pending.get(cadence)
        result.append(
            DigestPreview(
                cadence=cadence,
                delivery_time=(when or next_delivery(cadence, tz, now)).astimezone(tz),
                scheduled=when is not None,
                notifications=[n for n in waiting if n.email_cadence == cadence],
            )
        )
    return result
