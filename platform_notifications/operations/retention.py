"""Retention: delete notifications (and finished bookkeeping) older than ``NOTIFICATIONS_EXPIRY`` days."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from platform_notifications.config.bounds import bounded
from platform_notifications.models import (
    DigestSchedule,
    Notification,
    NotificationRequest,
    RefusedNotification,
)

log = logging.getLogger(__name__)


def _delete_in_batches(queryset: QuerySet, batch_size: int) -> int:
    # Deleting by primary-key batches keeps each transaction and lock short on a large table.
    total = 0
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        total += queryset.model.objects.filter(pk__in=ids).delete()[0]


def purge_expired(batch_size: int | None = None) -> int:
    """Delete expired notifications and old finished requests, schedules and refusals; returns rows deleted."""
    batch_size = max(1, batch_size or bounded("NOTIFICATIONS_PURGE_BATCH_SIZE"))
    cutoff = timezone.now() - timedelta(days=bounded("NOTIFICATIONS_EXPIRY"))
    deleted = _delete_in_batches(Notification.objects.filter(created__lt=cutoff), batch_size)  # index (created)
    done = (NotificationRequest.State.DONE, NotificationRequest.State.FAILED)
    _delete_in_batches(NotificationRequest.objects.filter(state__in=done, modified__lt=cutoff), batch_size)
    finished = (DigestSchedule.State.SENT, DigestSchedule.State.EMPTY)
    _delete_in_batches(DigestSchedule.objects.filter(state__in=finished, delivery_time__lt=cutoff), batch_size)
    _delete_in_batches(RefusedNotification.objects.filter(created__lt=cutoff), batch_size)
    log.info("purged %s notifications older than %s", deleted, cutoff.isoformat())
    return deleted
