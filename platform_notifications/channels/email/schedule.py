"""Scheduling a fan-out chunk's emails: DigestSchedule rows per cadence, and one task per delivery instant.

Runs inside the chunk's transaction with a fixed number of queries per cadence group (one read of the
users' open schedules, one bulk insert of the missing ones, plus one read of timezones for digests), and
queues the delivery tasks only after the transaction commits.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from platform_notifications.channels.base import ChunkDelivery
from platform_notifications.channels.email import locale
from platform_notifications.channels.email.times import buffer_close, next_delivery, zone
from platform_notifications.config.enums import Cadence
from platform_notifications.core import queue
from platform_notifications.models import DigestSchedule

log = logging.getLogger(__name__)

#: Cadences that produce email (``Never`` rows never have ``email=True``).
EMAILED = (Cadence.IMMEDIATELY, Cadence.DAILY, Cadence.WEEKLY)

Instant = tuple[Cadence, datetime]


def schedule_chunk(delivery: ChunkDelivery) -> set[Instant]:
    """Create the schedules a chunk's email-on rows need and queue their delivery after commit.

    Returns the delivery instants that were queued (or will be, on commit).
    """
    users: dict[Cadence, set[int]] = defaultdict(set)
    for row in delivery.notifications:
        if row.email and row.email_cadence in EMAILED:
            users[Cadence(row.email_cadence)].add(row.user_id)
    if not users:
        return set()
    digest_users = users[Cadence.DAILY] | users[Cadence.WEEKLY]
    zones = user_zones(digest_users) if digest_users else {}
    instants: set[Instant] = set()
    for cadence, user_ids in users.items():
        if user_ids:
            instants |= schedule_users(cadence, user_ids, zones, delivery.now)
    if instants:
        transaction.on_commit(lambda: queue_instants(instants))
    return instants


def user_zones(user_ids: Iterable[int]) -> dict[int, str]:
    """Timezone names of the users that set one (``locale``: Open edX's account preference on Open edX)."""
    return locale.time_zones(user_ids)


def schedule_users(cadence: Cadence, user_ids: set[int], zones: dict[int, str], now: datetime) -> set[Instant]:
    """Open a schedule for each user without one still ahead; returns the instants of the new rows.

    A user who already has a pending schedule after ``now`` is covered: that delivery will include this
    notification (it picks every unsent row created up to its delivery time).
    """
    # uses index (state, delivery_time)
    covered = set(
        DigestSchedule.objects.filter(
            user_id__in=list(user_ids), cadence=cadence, state=DigestSchedule.State.PENDING, delivery_time__gt=now
        ).values_list("user_id", flat=True)
    )
    rows: list[DigestSchedule] = []
    for uid in sorted(user_ids - covered):
        for when in _instants_for(cadence, zones.get(uid), now):
            rows.append(DigestSchedule(user_id=uid, cadence=cadence, delivery_time=when, created=now))
    # A concurrent chunk may have inserted the same (user, cadence, instant): the unique key makes it a no-op.
    DigestSchedule.objects.bulk_create(rows, ignore_conflicts=True)
    return {(cadence, row.delivery_time) for row in rows}


def _instants_for(cadence: Cadence, tz_name: str | None, now: datetime) -> list[datetime]:
    if cadence == Cadence.IMMEDIATELY:
        # The first email goes out now; the buffer row collects what arrives until it closes.
        close = buffer_close(now)
        return [now, close] if close else [now]
    return [next_delivery(cadence, zone(tz_name), now)]


def instant_task_id(cadence: Cadence | str, when: datetime) -> str:
    """A deterministic id per delivery instant, the same from every chunk that queues it."""
    return f"pn-email-{Cadence(cadence).value.lower()}-{when.astimezone(UTC):%Y%m%dT%H%M%S%f}"


def queue_instants(instants: Iterable[Instant]) -> None:
    for cadence, when in sorted(instants):
        queue_instant(cadence, when)


def queue_instant(cadence: Cadence, when: datetime, force: bool = False) -> bool:
    """Queue the delivery task of one instant with its ETA; returns False when it was already queued.

    Every chunk of a large fan-out names the same instants; a cache marker keeps that to one message
    per instant. The marker is only an economy: a duplicate message is harmless (schedules are claimed
    one by one) and a lost one is delivered by the due-digest sweep.
    """
    task_id = instant_task_id(cadence, when)
    now = timezone.now()
    ttl = max(60, int((when - now).total_seconds()) + 3600)
    if not cache.add(f"pn:email:queued:{task_id}", 1, ttl) and not force:
        return False
    args = [Cadence(cadence).value, when.isoformat()]
    if not queue.enqueue(queue.DELIVER_EMAIL_INSTANT, args, eta=when if when > now else None, task_id=task_id):
        # Broker unavailable: the schedule rows are committed, so the sweep delivers them once it is due.
        cache.delete(f"pn:email:queued:{task_id}")
        log.error("%s email delivery for %s waits for the due-digest sweep", cadence, when)
        return False
    return True
