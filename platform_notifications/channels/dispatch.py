"""Sending queued delivery rows (the Celery side of the outbound channels) and writing the log.

Per batch: one claiming UPDATE, one SELECT, the channel's sends, one bulk UPDATE of the outcomes and, for
retries, one INSERT of the next attempts. A row is claimed by a token, so a redelivered task never sends it twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from platform_notifications.channels import throttle
from platform_notifications.channels.message import build_many
from platform_notifications.channels.outbound import QUIET_NOTE, Item, OutboundChannel, enqueue_sends
from platform_notifications.channels.retry import Outcome
from platform_notifications.config.settings import get_setting
from platform_notifications.core import queue
from platform_notifications.models import DeliveryAttempt

log = logging.getLogger(__name__)
Status = DeliveryAttempt.Status

#: A queued row older than this whose task never ran (lost message, broker down) is re-enqueued by the sweep.
STALE_AFTER = timedelta(minutes=5)
#: A row claimed this long ago by a worker that died is given back to the queue (at-least-once).
CLAIM_EXPIRES = timedelta(minutes=15)


def channel_by_name(name: str) -> OutboundChannel | None:
    for path in get_setting("NOTIFICATION_CHANNELS"):
        cls = import_string(path)
        if getattr(cls, "name", None) == name and issubclass(cls, OutboundChannel):
            return cls()
    return None


def claim(ids: Sequence[int]) -> list[DeliveryAttempt]:
    token = uuid.uuid4().hex
    now = timezone.now()
    DeliveryAttempt.objects.filter(
        pk__in=ids, status=Status.QUEUED, scheduled_at__lte=now + timedelta(seconds=5)
    ).update(status=Status.SENDING, claim=token, claimed_at=now)
    # Only what the send path reads: a batch builds hundreds of rows and their notifications, and converting
    # the columns nobody reads (mostly datetimes) cost more than a fast provider's send.
    return list(DeliveryAttempt.objects.filter(claim=token).select_related("notification").only(*CLAIMED_FIELDS))


#: The columns a send reads of a claimed row and its notification (``message.build``, the channels' payloads).
CLAIMED_FIELDS = (
    "channel", "user_id", "kind", "request_id", "target", "status", "attempt", "payload", "error",
    "provider_message_id", "notification__user_id", "notification__course_id", "notification__app_name",
    "notification__notification_type", "notification__content_context", "notification__content_url",
    "notification__title", "notification__body", "notification__level", "notification__priority",
    "notification__links", "notification__push", "notification__web",
)  # fmt: skip


def run(channel_name: str, ids: Sequence[int]) -> dict[str, int]:
    """Send the queued rows ``ids`` of ``channel_name``; returns counts of sent, retrying and failed."""
    attempts = claim(ids)
    if not attempts:
        return {"sent": 0, "retrying": 0, "failed": 0}
    channel = channel_by_name(channel_name)
    now = timezone.now()
    if channel is None or not channel.enabled():
        outcomes = [Outcome.fail(a.pk, f"channel {channel_name} is not enabled") for a in attempts]
        items: list[Item] = []
    else:
        # A row whose notification was purged before it was sent (retention) is not a summary: nothing to send.
        orphans = [a for a in attempts if a.notification is None and a.kind != "summary"]
        sendable = [a for a in attempts if a not in orphans]
        items = [Item(a, message) for a, message in zip(sendable, build_many(sendable), strict=True)]
        try:
            outcomes = channel.send_batch(items) if items else []
            outcomes += [Outcome.fail(a.pk, "the notification no longer exists") for a in orphans]
        except Exception as error:  # a bug or an outage of the whole provider: every item retries
            log.exception("channel %s batch failed", channel_name)
            outcomes = [Outcome.retry(a.pk, f"{type(error).__name__}: {error}") for a in attempts]
    by_id = {o.attempt_id: o for o in outcomes}
    policy = channel.retry_policy if channel else None
    retries, final = [], set()
    for attempt in attempts:
        outcome = by_id.get(attempt.pk) or Outcome.retry(attempt.pk, "no outcome reported")
        attempt.finished_at, attempt.error = now, outcome.error[:2000]
        attempt.provider_message_id = outcome.provider_message_id
        if outcome.sent:
            attempt.status = Status.SENT
        elif outcome.retryable and policy and not policy.exhausted(attempt.attempt):
            attempt.status = Status.RETRYING
            retries.append(_next(attempt, now + timedelta(seconds=policy.delay(attempt.attempt))))
        else:
            attempt.status = Status.FAILED
            final.add(attempt.pk)
    with transaction.atomic():
        write_outcomes(attempts, now)
        for row in retries:  # rare, and saved one by one so that every engine returns the new ids
            row.save()
    for row in retries:
        queue.enqueue(queue.DELIVER_ATTEMPTS, [channel_name, [row.pk]], eta=row.scheduled_at)
    if channel is not None:
        channel.after_batch(items, outcomes, final)
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for attempt in attempts:
        counts[attempt.status] += 1
    return counts


#: Rows per provider-id UPDATE: three parameters each, under SQLite's historical 999-parameter limit.
PROVIDER_ID_BATCH = 300


def write_outcomes(attempts: Sequence[DeliveryAttempt], now) -> None:
    """One UPDATE per distinct (status, error) and one per 300 provider message ids.

    ``bulk_update`` builds a CASE expression object per row and field, which costs more than the send itself
    for a fast provider; the groups are few (most rows of a batch end alike) and the ids go in one plain CASE.
    """
    groups: dict[tuple[str, str], list[int]] = {}
    for attempt in attempts:
        groups.setdefault((attempt.status, attempt.error), []).append(attempt.pk)
    for (state, error), pks in groups.items():
        DeliveryAttempt.objects.filter(pk__in=pks).update(status=state, error=error, finished_at=now)
    with_ids = [(a.pk, a.provider_message_id) for a in attempts if a.provider_message_id]
    if not with_ids:
        return
    from django.db import connection

    table = connection.ops.quote_name(DeliveryAttempt._meta.db_table)
    for start in range(0, len(with_ids), PROVIDER_ID_BATCH):
        part = with_ids[start : start + PROVIDER_ID_BATCH]
        cases = " ".join(["WHEN %s THEN %s"] * len(part))
        marks = ", ".join(["%s"] * len(part))
        params = [value for pair in part for value in pair] + [pk for pk, _ in part]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET provider_message_id = CASE id {cases} END WHERE id IN ({marks})",  # noqa: S608
                params,
            )


def _next(attempt: DeliveryAttempt, when) -> DeliveryAttempt:
    return DeliveryAttempt(
        channel=attempt.channel,
        user_id=attempt.user_id,
        notification_id=attempt.notification_id,
        kind=attempt.kind,
        request_id=attempt.request_id,
        target=attempt.target,
        payload=attempt.payload,
        attempt=attempt.attempt + 1,
        created=timezone.now(),
        scheduled_at=when,
    )


def retry_now(ids: Sequence[int]) -> int:
    """Operators' "retry": a new queued attempt for each failed row, sent right away; returns how many."""
    now = timezone.now()
    failed = list(DeliveryAttempt.objects.filter(pk__in=ids, status=Status.FAILED))
    fresh = [_next(row, now) for row in failed]
    for row in fresh:
        row.save()
        transaction.on_commit(lambda row=row: enqueue_sends(row.channel, [row.pk]))
    return len(fresh)


def sweep(now=None) -> int:
    """Re-enqueue queued rows whose task was lost and rows claimed by a dead worker; release due held rows."""
    now = now or timezone.now()
    DeliveryAttempt.objects.filter(status=Status.SENDING, claimed_at__lt=now - CLAIM_EXPIRES).update(
        status=Status.QUEUED
    )
    stale = DeliveryAttempt.objects.filter(status=Status.QUEUED, scheduled_at__lt=now - STALE_AFTER)
    by_channel: dict[str, list[int]] = {}
    for pk, channel in stale.values_list("pk", "channel")[:50_000]:
        by_channel.setdefault(channel, []).append(pk)
    for channel, ids in by_channel.items():
        enqueue_sends(channel, ids)
    held = DeliveryAttempt.objects.filter(status=Status.HELD, scheduled_at__lte=now)
    for channel in set(held.values_list("channel", flat=True)):
        release_held(channel, now)
    return sum(len(ids) for ids in by_channel.values())


def release_held(channel: str, now=None) -> int:
    """Send one summary per user and target for the held rows of ``channel`` that are due."""
    ids = throttle.release(channel, now)
    transaction.on_commit(lambda: enqueue_sends(channel, ids))
    return len(ids)


def release_quiet(user_id: int, now=None) -> int:
    """After a change of do-not-disturb or quiet hours: the user's held deliveries are due now (one summary each)."""
    now = now or timezone.now()
    held = DeliveryAttempt.objects.filter(user_id=user_id, status=Status.HELD, error=QUIET_NOTE, scheduled_at__gt=now)
    channels = set(held.values_list("channel", flat=True))
    if not channels:
        return 0
    moved = held.update(scheduled_at=now)
    for channel in channels:
        release_held(channel, now)
    return moved
