"""Delivering many schedules: every pending schedule of one instant (the ETA task), or everything due (the sweep).

Both read schedule ids in keyset chunks and deliver them in batches with a fixed number of statements each:
claim the batch (one UPDATE), read the claimed schedules with their users and settings, their rows, and their
users' stored choices (one query each), send, then mark them in one transaction. The claims keep them safe to
run side by side, twice, or on several workers at once (``digest.blocked`` says why no lock is needed).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from platform_notifications.channels.email import digest, locale
from platform_notifications.channels.email.connections import Connections
from platform_notifications.channels.email.message import Recipient
from platform_notifications.channels.email.templates import TemplateMissing
from platform_notifications.config import registry, toggles
from platform_notifications.config.enums import Cadence
from platform_notifications.config.kinds import Priority
from platform_notifications.models import DigestSchedule, Notification, UserNotificationSettings
from platform_notifications.operations import events
from platform_notifications.preferences import effective as preferences

log = logging.getLogger(__name__)

State = DigestSchedule.State
#: Schedule ids read per query.
CHUNK = 500
#: Schedules claimed, sent and marked together. A batch costs about ten statements and two commits whatever its
#: size; it is also what a worker killed mid-batch may send twice (after the stale-claim delay), so it stays small.
BATCH = 100
#: Ids per ``pk IN`` of the marks (SQLite binds at most 32,766 parameters per statement).
MARK_SLICE = 10_000

Key = tuple[int, str]


def _deliver_all(selection: Q) -> Counter:
    outcome: Counter = Counter()
    if not toggles.ENABLE_EMAIL_NOTIFICATIONS.is_enabled():
        # Schedules stay pending and go out when email is switched back on (or are purged by then).
        toggles.log_dropped(toggles.ENABLE_EMAIL_NOTIFICATIONS, "email delivery (schedules kept pending)")
        return outcome
    connections = Connections()
    last = 0
    try:
        while True:
            # uses index (state, delivery_time)
            found = list(
                DigestSchedule.objects.filter(selection, pk__gt=last)
                .order_by("pk")
                .values_list("pk", "user_id", "cadence")[:CHUNK]
            )
            if not found:
                break
            for start in range(0, len(found), BATCH):
                batch = {pk: (uid, cadence) for pk, uid, cadence in found[start : start + BATCH]}
                outcome += deliver_batch(batch, connections)
            last = found[-1][0]
    finally:
        connections.close()
    events.emails_sent(outcome)  # one event per batch
    return outcome


def deliver_batch(schedules: dict[int, Key], connection=None) -> Counter:
    """Deliver the due ones of ``schedules`` (``{pk: (user, cadence)}``); returns the count of each outcome.

    ``connection``: a ``Connections`` of the run, or one mail connection for the senders without their own.

    A schedule refused because a sibling in the same batch came first is claimed again once that one is
    finished (it then holds only what arrived since); any other refusal counts as skipped.
    """
    outcome: Counter = Counter()
    connections = connection if isinstance(connection, Connections) else Connections(connection)
    try:
        _deliver_waiting(dict(schedules), outcome, connections)
    finally:
        if connections is not connection:
            connections.close()
    if not outcome["skipped"]:
        del outcome["skipped"]
    return outcome


def _deliver_waiting(waiting: dict[int, Key], outcome: Counter, connections: Connections) -> None:
    while waiting:
        now = timezone.now()
        claimed: set[int] = set()
        finished: set[Key] = set()
        if digest.claim_many(list(waiting), now):
            claimed, finished = _send_claimed(list(waiting), now, outcome, connections)
        refused = {pk: key for pk, key in waiting.items() if pk not in claimed}
        waiting = {pk: key for pk, key in refused.items() if key in finished}
        outcome["skipped"] += len(refused) - len(waiting)


def _send_claimed(
    pks: list[int], claimed_at: datetime, outcome: Counter, connections: Connections
) -> tuple[set[int], set[Key]]:
    """Send the schedules of ``pks`` this caller claimed at ``claimed_at``; returns (their ids, finished keys)."""
    schedules = list(
        DigestSchedule.objects.filter(pk__in=pks, state=State.SENDING, claimed_at=claimed_at)
        .select_related("user", "user__notification_settings")
        .order_by("pk")
    )
    if not schedules:
        return set(), set()
    user_ids = {s.user_id for s in schedules}
    # uses index (user, email_sent_on); each schedule then keeps its own cadence and cut-off
    rows: dict[Key, list[Notification]] = defaultdict(list)
    for row in Notification.objects.filter(
        user_id__in=user_ids,
        email=True,
        email_sent_on__isnull=True,
        email_cadence__in={s.cadence for s in schedules},
        created__lte=max(s.delivery_time for s in schedules),
    ).order_by("pk"):
        rows[row.user_id, row.email_cadence].append(row)
    wanted = _Wanted(preferences.stored_choices(user_ids))
    marks: list[Mark] = []
    for schedule in schedules:
        user = schedule.user
        settings = _settings(user)
        mine = [r for r in rows.get((user.pk, schedule.cadence), ()) if r.created <= schedule.delivery_time]
        opted_out = bool(settings and settings.email_opt_out)
        # CRITICAL and HIGH notifications cannot be suppressed by preferences, at send time or now.
        keep = [r for r in mine if r.priority <= Priority.HIGH or wanted(user.pk, r.notification_type, opted_out)]
        kept = {r.pk for r in keep}
        dropped = [r.pk for r in mine if r.pk not in kept]
        note = _empty_reason(user, keep)
        if note:
            marks.append((schedule, State.EMPTY, [], dropped, note))
            continue
        version = settings.unsubscribe_token_version if settings else 0
        recipient = Recipient(user.pk, user.email, user.get_full_name(), locale.language(user), version)
        try:
            digest.send_rows(recipient, Cadence(schedule.cadence), keep, connections)
        except TemplateMissing as error:
            outcome[digest.fail_now(schedule, claimed_at, error)] += 1
            continue
        except Exception as error:  # SMTP errors, timeouts, a provider backend's own exceptions
            outcome[digest.record_failure(schedule, claimed_at, error)] += 1
            continue
        marks.append((schedule, State.SENT, [r.pk for r in keep], dropped, ""))
    finished = _finish(marks, claimed_at)
    for schedule, state, *_ in marks:
        if (schedule.user_id, schedule.cadence) in finished:
            outcome[str(state)] += 1
    return {s.pk for s in schedules}, finished


Mark = tuple[DigestSchedule, str, list[int], list[int], str]


def _finish(marks: list[Mark], claimed_at: datetime) -> set[Key]:
    """Mark the batch's schedules and rows in one transaction; returns the (user, cadence) keys marked.

    Only the claim's owner may finish: a claim taken over as stale by another worker is theirs now, so the
    schedules still ``sending`` with this claim are locked first and the rest are left alone.
    """
    if not marks:
        return set()
    now = timezone.now()
    with transaction.atomic():
        owned = set(
            DigestSchedule.objects.select_for_update()
            .filter(pk__in=[m[0].pk for m in marks], state=State.SENDING, claimed_at=claimed_at)
            .values_list("pk", flat=True)
        )
        by_outcome: dict[tuple[str, str], list[int]] = defaultdict(list)
        sent: list[int] = []
        dropped: list[int] = []
        for schedule, state, sent_rows, dropped_rows, note in marks:
            if schedule.pk not in owned:
                log.warning("email schedule %s was taken over while sending; leaving it to the new owner", schedule.pk)
                continue
            by_outcome[state, note].append(schedule.pk)
            sent += sent_rows
            dropped += dropped_rows
        for (state, note), pks in by_outcome.items():
            DigestSchedule.objects.filter(pk__in=pks).update(
                state=state, sent_at=now if state == State.SENT else None, retry_at=None, last_error=note
            )
        for start in range(0, len(sent), MARK_SLICE):
            ids = sent[start : start + MARK_SLICE]
            Notification.objects.filter(pk__in=ids, email_sent_on__isnull=True).update(email_sent_on=now)
        for start in range(0, len(dropped), MARK_SLICE):
            # Email no longer applies to them (the user turned it off): never pick them up again.
            ids = dropped[start : start + MARK_SLICE]
            Notification.objects.filter(pk__in=ids, email_sent_on__isnull=True).update(email=False)
    return {(m[0].user_id, m[0].cadence) for m in marks if m[0].pk in owned}


def _empty_reason(user, keep: list[Notification]) -> str:
    if not keep:
        return "nothing to send"
    if not user.is_active:
        return "inactive user"
    return "" if user.email else "user has no email address"


def _settings(user) -> UserNotificationSettings | None:
    try:
        return user.notification_settings
    except UserNotificationSettings.DoesNotExist:
        return None


class _Wanted:
    """Whether a user still wants a type by email now (an unsubscribe since the row's creation is honoured).

    Users without stored choices share one answer per (type, opt-out), so a batch computes few.
    """

    def __init__(self, stored: dict[int, dict]) -> None:
        self._stored, self._shared = stored, {}

    def __call__(self, user_id: int, type_name: str, opted_out: bool) -> bool:
        ntype = registry.get_type(type_name)
        if ntype is None:
            return False
        mine = self._stored.get(user_id)
        if mine is None:
            key = (type_name, bool(opted_out))
            if key not in self._shared:
                self._shared[key] = preferences.for_type(ntype, {}, bool(opted_out)).emails
            return self._shared[key]
        return preferences.for_type(ntype, mine, bool(opted_out)).emails


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
