"""The contract of an outbound channel: enabled, eligible targets, a batch send, a retry policy.

``deliver_chunk`` (run inside the fan-out chunk's transaction) only writes ``queued`` delivery rows, applies
throttling and enqueues the sends after commit; the sending happens in Celery (``dispatch``). A new channel
subclasses ``OutboundChannel``, implements ``targets`` and ``send_batch``, and is added to
``NOTIFICATION_CHANNELS``: no other channel and no send API changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from django.db import transaction

from platform_notifications.channels import throttle
from platform_notifications.channels.base import Channel, ChunkDelivery
from platform_notifications.channels.message import Message
from platform_notifications.channels.retry import Outcome, RetryPolicy
from platform_notifications.core import queue

if TYPE_CHECKING:
    from platform_notifications.models import DeliveryAttempt, Notification

#: Delivery rows per send task: big enough to amortise the task's fixed queries (claim, load, bulk update),
#: small enough that one message is never more than a few KB and a worker's batch finishes in seconds.
TASK_BATCH = 500


class Target(NamedTuple):
    """One delivery owed: to a user (or an operator endpoint: no user) for one notification, at ``target``."""

    user_id: int | None
    notification: Notification
    target: str = ""


class Item(NamedTuple):
    """What ``send_batch`` receives: the delivery row and its message."""

    attempt: DeliveryAttempt
    message: Message


class OutboundChannel(Channel):
    """A channel that sends to something outside (a phone, a browser, a URL) and logs each attempt."""

    #: Whether the channel interrupts its reader (a buzz, a pop-up, a chat message): those are throttled.
    interrupting = True
    #: Whether a user's do-not-disturb and quiet hours hold this channel's deliveries (``ChunkDelivery.held_until``).
    respects_quiet_hours = False
    retry_policy = RetryPolicy()
    #: The chunk pays no savepoint for a channel that finds no target (one SELECT per chunk in the common case
    #: of few registrations); ``deliver_chunk`` opens its own savepoint only around the writes.
    writes_to_database = False

    def targets(self, delivery: ChunkDelivery) -> Iterable[Target]:
        """Who receives this chunk's notifications on this channel (preferences, levels, registrations)."""
        raise NotImplementedError

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]:
        """Send every item; return one outcome per item. Never raises for one item's failure."""
        raise NotImplementedError

    def after_batch(self, items: Sequence[Item], outcomes: Sequence[Outcome], final: set[int]) -> None:
        """Hook after the log is written (``final``: ids of attempts that failed for good)."""

    def deliver_chunk(self, delivery: ChunkDelivery) -> None:
        from platform_notifications.models import DeliveryAttempt

        targets = list(self.targets(delivery))
        if not targets:
            return
        request_id = delivery.request.pk
        rows = [
            Pending(t.user_id, t.notification, f"{t.notification.app_name}/{t.notification.notification_type}",
                    t.target, DeliveryAttempt.Status.QUEUED, delivery.now, "")
            for t in targets
        ]  # fmt: skip
        # A savepoint of its own: a failed write here must not abort the chunk's transaction (PostgreSQL).
        with transaction.atomic():
            held_until = throttle.apply(self, rows, delivery.now) if self.interrupting else None
            quiet_ends = hold_quiet(rows, delivery.held_until) if self.respects_quiet_hours else []
            ids = insert_pending(self.name, request_id, delivery.now, rows)
        transaction.on_commit(lambda: enqueue_sends(self.name, ids))
        if held_until is not None:
            transaction.on_commit(lambda: queue.enqueue(queue.RELEASE_HELD, [self.name], eta=held_until))
        for end in quiet_ends:
            transaction.on_commit(lambda end=end: queue.enqueue(queue.RELEASE_HELD, [self.name], eta=end))


class Pending:
    """A delivery row about to be written: what throttling and quiet hours read and change, and no more.

    Not a model instance: a chunk writes thousands, and building and compiling ``DeliveryAttempt`` objects
    cost more than the sends of a fast provider (``bench/channels.py``).
    """

    __slots__ = ("user_id", "notification", "kind", "target", "status", "scheduled_at", "error")

    def __init__(self, user_id, notification, kind, target, status, scheduled_at, error) -> None:
        self.user_id, self.notification, self.kind, self.target = user_id, notification, kind, target
        self.status, self.scheduled_at, self.error = status, scheduled_at, error


def insert_pending(channel: str, request_id: int | None, now, rows: Sequence[Pending]) -> list[int]:
    """Write ``rows`` as delivery rows in multi-row INSERTs; returns the ids of the queued ones.

    Values are prepared once per distinct value (every row of a chunk shares its channel, request and times),
    and the ids come back with ``RETURNING`` where the engine has it, else from one SELECT by (channel, created).
    """
    from django.db import connection

    from platform_notifications.models import DeliveryAttempt

    meta = DeliveryAttempt._meta
    names = ("channel", "user", "notification", "kind", "request_id", "target", "status", "attempt", "payload",
             "error", "provider_message_id", "created", "scheduled_at", "claim")  # fmt: skip
    fields = [meta.get_field(name) for name in names]
    prep = dict(zip(names, fields, strict=True))

    def value(name, raw):
        return prep[name].get_db_prep_save(raw, connection)

    shared = [
        value(name, raw)
        for name, raw in (("channel", channel), ("request_id", request_id), ("attempt", 1), ("payload", {}),
                          ("provider_message_id", ""), ("created", now), ("claim", ""))
    ]  # fmt: skip
    times: dict = {}
    values = []
    for row in rows:
        when = times.get(row.scheduled_at)
        if when is None:
            when = times[row.scheduled_at] = value("scheduled_at", row.scheduled_at)
        notification = row.notification.pk if row.notification is not None else None
        values.append((shared[0], row.user_id, notification, row.kind, shared[1], row.target, str(row.status),
                       shared[2], shared[3], row.error, shared[4], shared[5], when, shared[6]))  # fmt: skip
    q = connection.ops.quote_name
    table = q(meta.db_table)
    columns = ", ".join(q(f.column) for f in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = connection.features.can_return_rows_from_bulk_insert
    size = max(1, connection.ops.bulk_batch_size(fields, values))
    queued = str(DeliveryAttempt.Status.QUEUED)
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            part = values[start : start + size]
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(part))}"  # noqa: S608
            params = [v for row in part for v in row]
            if returning:
                cursor.execute(f"{sql} RETURNING {q('id')}, {q('status')}", params)
                ids += [pk for pk, status in cursor.fetchall() if status == queued]
            else:
                cursor.execute(sql, params)
    if not returning:  # engines without RETURNING (MySQL): one query reads the ids back
        ids = list(
            DeliveryAttempt.objects.filter(channel=channel, created=now, status=queued).values_list("pk", flat=True)
        )
    return sorted(ids)


#: Release tasks queued per chunk for do-not-disturb and quiet-hours ends; later ends are the sweep's
#: (``sweep_deliveries`` releases every due held row).
QUIET_RELEASES = 20
#: ``DeliveryAttempt.error`` of a row held by do-not-disturb or quiet hours (released early when they change).
QUIET_NOTE = "held: do not disturb or quiet hours"


def hold_quiet(rows: Sequence[DeliveryAttempt], held_until: dict) -> list:
    """Hold the rows of users in do-not-disturb or quiet hours until it ends (CRITICAL passes).

    Held rows are released like throttled ones: one summary per user and target when they come due, so what
    arrived during quiet hours is sent together at the window's end. Returns the distinct ends to queue.
    """
    from platform_notifications.config.kinds import Priority
    from platform_notifications.models import DeliveryAttempt
    from platform_notifications.preferences.attention import DND_FOREVER

    if not held_until:
        return []
    ends = set()
    for row in rows:
        until = held_until.get(row.user_id)
        if until is None or getattr(row.notification, "priority", None) == Priority.CRITICAL:
            continue
        throttled = row.status == DeliveryAttempt.Status.HELD
        row.status = DeliveryAttempt.Status.HELD
        row.scheduled_at = max(until, row.scheduled_at) if throttled else until
        row.error = QUIET_NOTE
        if until < DND_FOREVER:
            ends.add(until)
    return sorted(ends)[:QUIET_RELEASES]


def enqueue_sends(channel: str, ids: Sequence[int]) -> None:
    """Publish the send tasks of ``ids`` in batches; a refused publish is picked up by the sweep."""
    for start in range(0, len(ids), TASK_BATCH):
        queue.enqueue(queue.DELIVER_ATTEMPTS, [channel, list(ids[start : start + TASK_BATCH])])
