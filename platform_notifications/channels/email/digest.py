"""Delivering one DigestSchedule exactly once: claim it, build the email from the user's unsent rows, send, mark.

A schedule is claimed with a conditional UPDATE (pending and due, or a ``sending`` claim gone stale), so of
several workers, duplicate messages or a redelivered task only one sends it. The included notifications are
stamped ``email_sent_on`` in the same transaction as the state change; a failed send returns the schedule to
pending with a backoff and leaves the notifications unsent, so the retry resends them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection as database
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from platform_notifications.channels.email import hold, locale
from platform_notifications.channels.email.connections import Connections
from platform_notifications.channels.email.message import Recipient, by_sender, compose
from platform_notifications.channels.email.templates import TemplateMissing
from platform_notifications.config import registry, senders
from platform_notifications.config.enums import Cadence
from platform_notifications.config.kinds import Priority
from platform_notifications.core import queue
from platform_notifications.models import DigestSchedule, Notification, UserNotificationSettings
from platform_notifications.preferences import effective as preferences

log = logging.getLogger(__name__)

State = DigestSchedule.State
#: Minutes before a failed send is retried, per attempt; after the last one the schedule is marked failed.
RETRY_MINUTES = (5, 10, 20)
#: A ``sending`` claim older than this belongs to a worker that died mid-send; another may take it over.
STALE_CLAIM = timedelta(minutes=30)


def due(now: datetime) -> Q:
    """Schedules a sender may claim at ``now`` (the sweep's filter and the claim's condition)."""
    pending = Q(state=State.PENDING, delivery_time__lte=now) & (Q(retry_at__isnull=True) | Q(retry_at__lte=now))
    return pending | Q(state=State.SENDING, claimed_at__lt=now - STALE_CLAIM)


def blocked(now: datetime) -> Exists:
    """True for a schedule that must wait: a sibling (same user and cadence) comes first or is being sent.

    Only the earliest open schedule (by delivery time, then id) of a user and cadence may be claimed, and none
    while a sibling's fresh claim is out. Two due schedules of one user (an outage longer than a day, a retry
    meeting a new buffer) would read the same unsent rows; with this rule only the first can be claimed until it
    is finished, whatever each claimer's snapshot shows (the first is pending or sending in every one of them),
    so no lock is needed and a whole batch is claimed in one statement.
    """
    earlier = Q(delivery_time__lt=OuterRef("delivery_time")) | Q(
        delivery_time=OuterRef("delivery_time"), pk__lt=OuterRef("pk")
    )
    siblings = DigestSchedule.objects.filter(user_id=OuterRef("user_id"), cadence=OuterRef("cadence")).exclude(
        pk=OuterRef("pk")
    )
    # uses the unique index (user, cadence, delivery_time); tests/email/test_batch.py checks SQLite's plan
    return Exists(
        siblings.filter(
            (Q(state__in=(State.PENDING, State.SENDING)) & earlier)
            | Q(state=State.SENDING, claimed_at__gte=now - STALE_CLAIM)
        )
    )


def claim(schedule_id: int, now: datetime) -> bool:
    """Take schedule ``schedule_id`` for sending; True for exactly one caller while it is due and not blocked."""
    return claim_many([schedule_id], now) == 1


def claim_many(schedule_ids: list[int], now: datetime) -> int:
    """Take every due, unblocked schedule of ``schedule_ids`` in one UPDATE; returns how many were taken.

    The taken ones carry ``claimed_at=now``: the caller reads them back by it, and only it may finish them.
    """
    if not schedule_ids:
        return 0
    claimable = DigestSchedule.objects.filter(due(now), pk__in=schedule_ids).filter(~blocked(now))
    if database.vendor == "mysql" and not database.mysql_is_mariadb:
        # MySQL cannot UPDATE a table that a subquery of the same statement reads (error 1093; MariaDB can).
        with transaction.atomic():
            taken = list(claimable.select_for_update().values_list("pk", flat=True))
            claimable = DigestSchedule.objects.filter(due(now), pk__in=taken)
    return claimable.update(state=State.SENDING, claimed_at=now)


def deliver(schedule_id: int, connection=None) -> str:
    """Send schedule ``schedule_id`` if it is due and nobody else has; returns the resulting state or "skipped"."""
    now = timezone.now()
    if not claim(schedule_id, now):
        return "skipped"
    schedule = DigestSchedule.objects.select_related("user", "user__notification_settings").get(pk=schedule_id)
    if hold.hold_claimed([schedule], now):
        return "held"  # do-not-disturb or quiet hours: moved to their end
    user = schedule.user
    cadence = Cadence(schedule.cadence)
    # uses index (user, email_sent_on)
    rows = list(
        Notification.objects.filter(
            user_id=user.pk,
            email=True,
            email_cadence=cadence,
            email_sent_on__isnull=True,
            created__lte=schedule.delivery_time,
        ).order_by("pk")
    )
    keep, dropped = _still_wanted(user.pk, rows)
    if not keep or not user.email or not user.is_active:
        reason = "" if keep else "nothing to send"
        if keep:
            reason = "inactive user" if not user.is_active else "user has no email address"
        _finish(schedule, now, State.EMPTY, [], [r.pk for r in dropped], reason)
        return State.EMPTY.value
    own = _own_settings(user)
    version = own.unsubscribe_token_version if own else 0
    recipient = Recipient(user.pk, user.email, user.get_full_name(), locale.language(user), version)
    mine = connection if isinstance(connection, Connections) else Connections(connection)
    try:
        send_rows(recipient, cadence, keep, mine)
    except TemplateMissing as error:
        return fail_now(schedule, now, error)
    except Exception as error:  # SMTP errors, timeouts, a provider backend's own exceptions
        return record_failure(schedule, now, error)
    finally:
        if mine is not connection:
            mine.close()
    _finish(schedule, now, State.SENT, [r.pk for r in keep], [r.pk for r in dropped], "")
    return State.SENT.value


def _own_settings(user) -> UserNotificationSettings | None:
    try:
        return user.notification_settings
    except UserNotificationSettings.DoesNotExist:
        return None


def _still_wanted(user_id: int, rows: list[Notification]) -> tuple[list[Notification], list[Notification]]:
    """Split rows by the user's preferences now, so an unsubscribe since their creation is honoured."""
    if not rows:
        return [], []
    current = preferences.for_user(user_id)
    keep, dropped = [], []
    for row in rows:
        ntype = registry.get_type(row.notification_type)
        effective = current.get((ntype.app_name, ntype.preference_key)) if ntype else None
        # CRITICAL and HIGH notifications cannot be suppressed by preferences, at send time or now.
        wanted = (effective is not None and effective.emails) or row.priority <= Priority.HIGH
        (keep if wanted else dropped).append(row)
    return keep, dropped


def _finish(schedule: DigestSchedule, claimed: datetime, state: str, sent: list[int], dropped: list[int], note: str):
    now = timezone.now()
    with transaction.atomic():
        # Only the claim's owner may finish: a claim taken over as stale by another worker is theirs now.
        owned = DigestSchedule.objects.filter(pk=schedule.pk, state=State.SENDING, claimed_at=claimed).update(
            state=state, sent_at=now if state == State.SENT else None, retry_at=None, last_error=note
        )
        if not owned:
            log.warning("email schedule %s was taken over while sending; leaving it to the new owner", schedule.pk)
            return
        if sent:
            Notification.objects.filter(pk__in=sent, email_sent_on__isnull=True).update(email_sent_on=now)
        if dropped:
            # Email no longer applies to them (the user turned it off): never pick them up again.
            Notification.objects.filter(pk__in=dropped, email_sent_on__isnull=True).update(email=False)


def send_rows(recipient: Recipient, cadence: Cadence, rows: list[Notification], connections: Connections) -> None:
    """Send ``rows`` to ``recipient``: one email per sender, each on that sender's connection.

    Every email is composed before the first is sent, so a missing template (``TemplateMissing``) sends nothing.
    When a later email fails, the rows of the ones already sent are stamped sent before the error is raised, so
    the retry sends only the rest.
    """
    parts = [(senders.resolve(sender_id), part) for sender_id, part in by_sender(rows).items()]
    messages = [(sender, compose(recipient, cadence, part, sender), part) for sender, part in parts]
    done: list[int] = []
    try:
        for sender, message, part in messages:
            connections.send(message, sender, recipient.user_id)
            done += [row.pk for row in part]
    except Exception:
        if done:
            Notification.objects.filter(pk__in=done, email_sent_on__isnull=True).update(email_sent_on=timezone.now())
        raise


def fail_now(schedule: DigestSchedule, claimed: datetime, error: BaseException) -> str:
    """A failure no retry can mend (a missing template): the schedule is marked failed at once, its rows unsent."""
    message = f"{type(error).__name__}: {error}"[:2000]
    DigestSchedule.objects.filter(pk=schedule.pk, state=State.SENDING, claimed_at=claimed).update(
        state=State.FAILED, attempts=schedule.attempts + 1, last_error=message, claimed_at=None
    )
    log.error("email schedule %s failed: %s", schedule.pk, message)
    return State.FAILED.value


def record_failure(schedule: DigestSchedule, claimed: datetime, error: BaseException) -> str:
    """Record a failed send: back to pending with a backoff, or failed after the last retry."""
    attempts = schedule.attempts + 1
    message = f"{type(error).__name__}: {error}"[:2000]
    mine = DigestSchedule.objects.filter(pk=schedule.pk, state=State.SENDING, claimed_at=claimed)
    if attempts > len(RETRY_MINUTES):
        mine.update(state=State.FAILED, attempts=attempts, last_error=message, claimed_at=None)
        log.error("email schedule %s failed for good after %s attempts: %s", schedule.pk, attempts, message)
        return State.FAILED.value
    retry_at = timezone.now() + timedelta(minutes=RETRY_MINUTES[attempts - 1])
    mine.update(state=State.PENDING, attempts=attempts, last_error=message, claimed_at=None, retry_at=retry_at)
    log.warning("email schedule %s failed (attempt %s), retrying at %s: %s", schedule.pk, attempts, retry_at, message)
    if not queue.enqueue(queue.DELIVER_EMAIL_SCHEDULE, [schedule.pk], eta=retry_at):
        log.error("the retry of email schedule %s waits for the due-digest sweep", schedule.pk)
    return State.PENDING.value
