"""Holding claimed email schedules during do-not-disturb and quiet hours, and releasing them.

At send time (after the claim), a schedule of a user in do-not-disturb (any cadence: digests wait until it
ends) or, for immediate email, in quiet hours goes back to pending with its ``delivery_time`` moved to the end
of the hold. The moved schedule covers what arrives meanwhile (the scheduler opens no other while one is
ahead), and it picks every unsent row created up to its delivery time: everything held goes out together, in
one email, once. Its instant is queued with that ETA; the due-digest sweep sends it if the message is lost.
CRITICAL email never reaches here (``critical`` sends it at once).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from platform_notifications.channels.email import locale
from platform_notifications.channels.email.schedule import queue_instants
from platform_notifications.config.enums import Cadence
from platform_notifications.models import DigestSchedule, UserNotificationSettings
from platform_notifications.preferences import attention

log = logging.getLogger(__name__)

State = DigestSchedule.State


def _settings(user) -> UserNotificationSettings | None:
    try:
        return user.notification_settings
    except UserNotificationSettings.DoesNotExist:
        return None


def hold_claimed(schedules: Sequence[DigestSchedule], claimed_at: datetime) -> set[int]:
    """Put back the claimed schedules whose users may not be disturbed now; returns their ids.

    ``schedules`` come with ``user__notification_settings`` (no query for users without a hold). One query for
    the host's time zones when a user has quiet hours and the zones live elsewhere (Open edX), then one UPDATE
    per held schedule.
    """
    now = timezone.now()
    candidates = []
    for schedule in schedules:
        own = _settings(schedule.user)
        if own is None:
            continue
        dnd = own.do_not_disturb_until is not None and own.do_not_disturb_until > now
        quiet = own.quiet_hours_start is not None and schedule.cadence == Cadence.IMMEDIATELY
        if dnd or quiet:
            candidates.append((schedule, own))
    if not candidates:
        return set()
    source = locale.source()
    zones = {} if type(source) is locale.StoredLocale else source.time_zones([s.user_id for s, _ in candidates])
    held: set[int] = set()
    instants: set[tuple[Cadence, datetime]] = set()
    for schedule, own in candidates:
        immediate = schedule.cadence == Cadence.IMMEDIATELY
        until = attention.is_quiet(own, zones.get(schedule.user_id, ""), now, immediate=immediate)
        if until is None:
            continue
        reason = "do not disturb" if own.do_not_disturb_until and own.do_not_disturb_until >= until else "quiet hours"
        if _move(schedule, claimed_at, until, f"{attention.HELD_NOTE}{reason}"):
            held.add(schedule.pk)
            if until < attention.DND_FOREVER:
                instants.add((Cadence(schedule.cadence), until))
    if instants:
        transaction.on_commit(lambda: queue_instants(instants))
    return held


def _move(schedule: DigestSchedule, claimed_at: datetime, until: datetime, note: str) -> bool:
    """Move one claimed schedule to ``until`` (pending); if the user has one there already, this one is merged."""
    mine = DigestSchedule.objects.filter(pk=schedule.pk, state=State.SENDING, claimed_at=claimed_at)
    try:
        with transaction.atomic():
            return bool(mine.update(state=State.PENDING, delivery_time=until, claimed_at=None, last_error=note))
    except IntegrityError:
        # The buffer schedule (or an earlier hold) already waits at that instant and will carry these rows.
        return bool(mine.update(state=State.EMPTY, claimed_at=None, last_error=f"{note}: merged"))


def release(user_id: int) -> int:
    """After a change of do-not-disturb or quiet hours: every schedule held for the user is due now.

    The next sender holds it again if the new setting still says so. Returns how many were released.
    """
    now = timezone.now()
    held = list(
        DigestSchedule.objects.filter(
            user_id=user_id, state=State.PENDING, last_error__startswith=attention.HELD_NOTE, delivery_time__gt=now
        ).values_list("pk", "cadence")
    )
    instants = set()
    for pk, cadence in held:
        try:
            with transaction.atomic():
                DigestSchedule.objects.filter(pk=pk).update(delivery_time=now, last_error="")
        except IntegrityError:  # another schedule of the user at this very instant: leave this one for later
            continue
        instants.add((Cadence(cadence), now))
    if instants:
        transaction.on_commit(lambda: queue_instants(instants))
    return len(instants)
