"""Throttling of interrupting channels: per user and kind, and per user overall, in a sliding window.

Past a limit a delivery row is ``held`` (never dropped); when the window ends, ``release`` turns each
user's held rows of a channel and target into one summary delivery ("5 more notifications").
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from platform_notifications.channels.message import is_critical
from platform_notifications.config.settings import get_setting

if TYPE_CHECKING:
    from platform_notifications.channels.base import Channel
    from platform_notifications.models import DeliveryAttempt


def limits() -> tuple[timedelta, int, int] | None:
    """(window, per kind, overall) from ``NOTIFICATIONS_THROTTLE``; None when throttling is off."""
    config = get_setting("NOTIFICATIONS_THROTTLE")
    if not config:
        return None
    return (
        timedelta(seconds=int(config.get("window_seconds", 3600))),
        int(config.get("per_kind", 10)),
        int(config.get("overall", 30)),
    )


def apply(channel: Channel, rows: list[DeliveryAttempt], now: datetime) -> datetime | None:
    """Mark the rows past a limit ``held``; return when they are to be released (None: nothing held).

    One grouped query per chunk counts what each of the chunk's users was sent in the window
    (uses index (user, channel, created)).
    """
    from platform_notifications.models import DeliveryAttempt

    configured = limits()
    if configured is None:
        return None
    window, per_kind, overall = configured
    users = {row.user_id for row in rows if row.user_id is not None}
    by_kind: Counter = Counter()
    total: Counter = Counter()
    recent = (
        DeliveryAttempt.objects.filter(
            channel=channel.name, user_id__in=users, created__gte=now - window, attempt=1, notification__isnull=False
        )
        .exclude(status__in=[DeliveryAttempt.Status.HELD, DeliveryAttempt.Status.SUMMARIZED])
        .values_list("user_id", "kind")
        .annotate(n=Count("id"))
    )
    for user_id, kind, n in recent:
        by_kind[user_id, kind] += n
        total[user_id] += n
    release_at = None
    for row in rows:
        if row.user_id is None or is_critical(row.notification):
            continue
        if by_kind[row.user_id, row.kind] >= per_kind or total[row.user_id] >= overall:
            row.status = DeliveryAttempt.Status.HELD
            row.scheduled_at = release_at = now + window
            continue
        by_kind[row.user_id, row.kind] += 1
        total[row.user_id] += 1
    return release_at


def release(channel: str, now: datetime | None = None) -> list[int]:
    """Summarise every due held row of ``channel``: one queued summary per user and target; returns their ids."""
    from platform_notifications.models import DeliveryAttempt

    now = now or timezone.now()
    with transaction.atomic():
        held = list(
            DeliveryAttempt.objects.select_for_update()
            .filter(channel=channel, status=DeliveryAttempt.Status.HELD, scheduled_at__lte=now)
            .values_list("pk", "user_id", "target")
        )
        if not held:
            return []
        groups: Counter = Counter((user_id, target) for _, user_id, target in held)
        DeliveryAttempt.objects.filter(pk__in=[pk for pk, _, _ in held]).update(
            status=DeliveryAttempt.Status.SUMMARIZED, finished_at=now
        )
        summaries = [
            DeliveryAttempt(
                channel=channel, user_id=user_id, target=target, kind="summary", payload={"count": count}, created=now
            )
            for (user_id, target), count in groups.items()
        ]
        DeliveryAttempt.objects.bulk_create(summaries)
        ids = [row.pk for row in summaries]
        if ids and ids[0] is None:
            ids = list(
                DeliveryAttempt.objects.filter(channel=channel, kind="summary", created=now).values_list(
                    "pk", flat=True
                )
            )
    return ids
