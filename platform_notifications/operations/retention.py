"""Retention: every growing table is purged of old rows in short statements over primary-key ranges.

Notifications live ``NOTIFICATIONS_EXPIRY`` days; finished requests, refused events and finished email schedules
``NOTIFICATIONS_RETENTION_DAYS``. Each DELETE covers at most ``NOTIFICATIONS_PURGE_BATCH_SIZE`` consecutive primary
keys and commits on its own, so no statement holds locks for long and a purge can be stopped at any point.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from platform_notifications.config.bounds import bounded
from platform_notifications.models import (
    DigestSchedule,
    LiveEvent,
    Notification,
    NotificationRequest,
    RefusedNotification,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """One table's retention: which rows are old (given the cutoff) and which setting sets the age."""

    name: str
    queryset: Callable[[], QuerySet]
    old: Callable[[timezone.datetime], Q]
    days_setting: str


#: Rows counted as finished: pending work is never purged, however old.
FINISHED_REQUESTS = (NotificationRequest.State.DONE, NotificationRequest.State.FAILED)
FINISHED_SCHEDULES = (DigestSchedule.State.SENT, DigestSchedule.State.EMPTY, DigestSchedule.State.FAILED)

POLICIES: list[Policy] = [
    # index (created)
    Policy("notifications", Notification.objects.all, lambda cut: Q(created__lt=cut), "NOTIFICATIONS_EXPIRY"),
    # index (state, modified)
    Policy(
        "requests",
        NotificationRequest.objects.all,
        lambda cut: Q(state__in=FINISHED_REQUESTS, modified__lt=cut),
        "NOTIFICATIONS_RETENTION_DAYS",
    ),
    # index (created)
    # index (created): only the recent log is replayed (``NOTIFICATION_LIVE_REPLAY_LIMIT``)
    Policy("live_events", LiveEvent.objects.all, lambda cut: Q(created__lt=cut), "NOTIFICATION_LIVE_EVENT_DAYS"),
    Policy("refused", RefusedNotification.objects.all, lambda cut: Q(created__lt=cut), "NOTIFICATIONS_RETENTION_DAYS"),
    # index (state, delivery_time)
    Policy(
        "schedules",
        DigestSchedule.objects.all,
        lambda cut: Q(state__in=FINISHED_SCHEDULES, delivery_time__lt=cut),
        "NOTIFICATIONS_RETENTION_DAYS",
    ),
    # Schedules of users deleted outside Django (the table has no foreign key constraint: ``DigestSchedule``).
    Policy(
        "orphaned_schedules",
        DigestSchedule.objects.all,
        lambda cut: ~Exists(get_user_model().objects.filter(pk=OuterRef("user_id"))),
        "NOTIFICATIONS_RETENTION_DAYS",
    ),
]


def delete_in_ranges(queryset: QuerySet, batch_size: int) -> int:
    """Delete ``queryset`` in DELETEs over ranges of ``batch_size`` consecutive primary keys; returns rows deleted.

    The bounds come from one read (MIN/MAX over the filter's index); each range statement then touches at most
    ``batch_size`` rows and runs in its own transaction. Nothing points at these tables, so Django deletes each
    range with one "DELETE ... WHERE" (its fast path) rather than loading rows.
    """
    bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    if low is None:
        return 0
    total = 0
    for start in range(low, high + 1, batch_size):
        with transaction.atomic():
            total += queryset.filter(pk__gte=start, pk__lt=start + batch_size).delete()[0]
    return total


def purge(batch_size: int | None = None) -> dict[str, int]:
    """Purge every table by its policy; returns rows deleted per table."""
    batch_size = max(1, batch_size or bounded("NOTIFICATIONS_PURGE_BATCH_SIZE"))
    now = timezone.now()
    deleted = {}
    for policy in POLICIES:
        cutoff = now - timedelta(days=bounded(policy.days_setting))
        deleted[policy.name] = delete_in_ranges(policy.queryset().filter(policy.old(cutoff)), batch_size)
    log.info("retention purge: %s", deleted)
    return deleted


def purge_expired(batch_size: int | None = None) -> int:
    """Purge every table (see ``purge``); returns how many notifications were deleted."""
    return purge(batch_size)["notifications"]
