"""CRITICAL notifications: one standalone email per notification, sent at once whatever the user's cadence.

No buffer and no digest. Each row is claimed by stamping ``email_sent_on`` before sending (so a digest or a
second worker never sends it too) and unstamped if the send fails; a failed or unqueued send falls back to an
immediate schedule, which the due-digest sweep retries with its backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from platform_notifications.channels.email.connections import Connections
from platform_notifications.channels.email.message import Recipient, compose
from platform_notifications.channels.email.schedule import schedule_users
from platform_notifications.config import senders, toggles
from platform_notifications.config.enums import Cadence
from platform_notifications.core import queue
from platform_notifications.models import Notification, UserNotificationSettings

log = logging.getLogger(__name__)


def send_after_commit(notification_ids: Iterable[int]) -> None:
    """Queue the standalone sends once the surrounding transaction commits."""
    ids = sorted(set(notification_ids))
    if ids:
        transaction.on_commit(lambda: enqueue(ids))


def enqueue(notification_ids: list[int]) -> None:
    if not queue.enqueue(queue.DELIVER_CRITICAL_EMAIL, [notification_ids]):
        log.error("critical emails %s fall back to an immediate schedule", notification_ids)
        fall_back(notification_ids)


def fall_back(notification_ids: list[int]) -> None:
    """Leave the rows to the ordinary immediate delivery (and its retries)."""
    users = set(Notification.objects.filter(pk__in=notification_ids).values_list("user_id", flat=True))
    if users:
        with transaction.atomic():
            schedule_users(Cadence.IMMEDIATELY, users, {}, timezone.now())


def send(notification_ids: list[int]) -> int:
    """Send each row's standalone email (once); returns how many were sent."""
    if not toggles.ENABLE_EMAIL_NOTIFICATIONS.is_enabled():
        toggles.log_dropped(toggles.ENABLE_EMAIL_NOTIFICATIONS, "critical emails %s", notification_ids)
        return 0
    sent, failed = 0, []
    connections = Connections()
    rows = Notification.objects.filter(pk__in=notification_ids, email=True, email_sent_on__isnull=True)
    for row in rows.select_related("user").order_by("pk"):
        now = timezone.now()
        # The claim: only one sender stamps the row.
        if not Notification.objects.filter(pk=row.pk, email_sent_on__isnull=True).update(email_sent_on=now):
            continue
        user = row.user
        if not user.email or not user.is_active:
            continue
        try:
            language = UserNotificationSettings.objects.filter(user_id=user.pk).values_list("language", flat=True)
            sender = senders.resolve(row.sender)
            message = compose(
                Recipient(user.pk, user.email, user.get_full_name(), next(iter(language), "")),
                Cadence.IMMEDIATELY,
                [row],
                sender,
            )
            connections.send(message, sender, user.pk)
        except Exception:  # SMTP errors, timeouts, a provider backend's own exceptions
            log.exception("critical email of notification %s failed; falling back to the immediate schedule", row.pk)
            Notification.objects.filter(pk=row.pk, email_sent_on=now).update(email_sent_on=None)
            failed.append(row.pk)
            continue
        sent += 1
    connections.close()
    if failed:
        fall_back(failed)
    return sent
