"""Delivering many schedules: every pending schedule of one instant (the ETA task), or everything due (the sweep).

Both read schedule ids in keyset chunks and deliver each one through its own claim, so they are safe to run
side by side, twice, or on several workers at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from django.core.mail import get_connection
from django.db.models import Q
from django.utils import timezone

from platform_notifications.channels.email import digest
from platform_notifications.config import toggles
from platform_notifications.config.enums import Cadence
from platform_notifications.models import DigestSchedule
from platform_notifications.operations import events

log = logging.getLogger(__name__)

#: Schedule ids read per query; each is then claimed and sent on its own.
CHUNK = 500


def _deliver_all(selection: Q) -> Counter:
    outcome: Counter = Counter()
    if not toggles.ENABLE_EMAIL_NOTIFICATIONS.is_enabled():
        # Schedules stay pending and go out when email is switched back on (or are purged by then).
        toggles.log_dropped(toggles.ENABLE_EMAIL_NOTIFICATIONS, "email delivery (schedules kept pending)")
        return outcome
    connection = get_connection(fail_silently=False)
    last = 0
    try:
        while True:
            # uses index (state, delivery_time)
            ids = list(
                DigestSchedule.objects.filter(selection, pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:CHUNK]
            )
            if not ids:
                break
            for schedule_id in ids:
                outcome[digest.deliver(schedule_id, connection)] += 1
            last = ids[-1]
    finally:
        connection.close()
    events.emails_sent(outcome)  # one event per batch
    return outcome


def deliver_instant(cadence: Cadence, when: datetime, now: datetime | None = None) -> Counter | None:
    """Deliver every pending schedule of ``cadence`` at ``when``; None (nothing sent) when ``when`` is ahead."""
    now = now or timezone.now()
    if when > now:
        return None
    return _deliver_all(Q(cadence=cadence, delivery_time=when) & digest.due(now))


def deliver_due(now: datetime | None = None) -> Counter:
    """Deliver every schedule whose time has come and that nobody sent (lost ETA messages, retries, dead workers)."""
    outcome = _deliver_all(digest.due(now or timezone.now()))
    if outcome:
        log.info("due email schedules: %s", dict(outcome))
    return outcome
