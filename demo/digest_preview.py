"""What a user's next digests would contain and when they go out, shown in the user's own timezone.

Delivery instants come from the email package (``emails.times``), so the page shows exactly the slot the
scheduler uses; the contents follow the digest's rule: unsent email rows of that cadence that the user's
current preferences still want.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from platform_notifications.channels.email.times import frequency, next_delivery, zone
from platform_notifications.config import registry
from platform_notifications.config.enums import Cadence
from platform_notifications.config.settings import get_setting
from platform_notifications.models import DigestSchedule, Notification, UserNotificationSettings
from platform_notifications.preferences import effective as preferences

DIGEST_CADENCES = (Cadence.DAILY, Cadence.WEEKLY)


@dataclass(frozen=True)
class DigestPreview:
    cadence: Cadence
    delivery_time: datetime  # aware, in the user's zone
    scheduled: bool  # a pending DigestSchedule row already exists for it
    notifications: list[Notification]


def user_zone(user: AbstractBaseUser) -> ZoneInfo:
    return zone(UserNotificationSettings.objects.filter(user=user).values_list("timezone", flat=True).first())


def _wanted(user: AbstractBaseUser, rows: list[Notification]) -> list[Notification]:
    # The digest re-checks preferences when it sends, so an unsubscribe since a row was created is honoured.
    current = preferences.for_user(user.pk)
    kept = []
    for row in rows:
        ntype = registry.get_type(row.notification_type)
        effective = current.get((ntype.app_name, ntype.preference_key)) if ntype else None
        if effective is not None and effective.emails:
            kept.append(row)
    return kept


def preview(user: AbstractBaseUser, now: datetime | None = None) -> list[DigestPreview]:
    """One entry per digest cadence: the pending schedule (or the next slot) and the rows it would carry."""
    now = now or timezone.now()
    tz = user_zone(user)
    chosen = frequency(
        UserNotificationSettings.objects.filter(user=user).values_list("digest_frequency", flat=True).first()
    )
    cutoff = now - timedelta(days=int(get_setting("NOTIFICATIONS_EXPIRY")))
    # uses index (user, email_sent_on)
    waiting = Notification.objects.filter(
        user=user, email=True, email_sent_on__isnull=True, email_cadence__in=DIGEST_CADENCES, created__gte=cutoff
    ).order_by("-created")
    waiting = _wanted(user, list(waiting))
    pending: dict[str, datetime] = {}
    for cadence, when in (
        DigestSchedule.objects.filter(user=user, cadence__in=DIGEST_CADENCES, state=DigestSchedule.State.PENDING)
        .order_by("delivery_time")
        .values_list("cadence", "delivery_time")
    ):
        pending.setdefault(cadence, when)  # the earliest pending delivery of each cadence
    result = []
    for cadence in DIGEST_CADENCES:
        when = pending.get(cadence)
        result.append(
            DigestPreview(
                cadence=cadence,
                delivery_time=(when or next_delivery(cadence, tz, now, chosen)).astimezone(tz),
                scheduled=when is not None,
                notifications=[n for n in waiting if n.email_cadence == cadence],
            )
        )
    return result
