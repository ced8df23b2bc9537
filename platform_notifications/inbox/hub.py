"""One listener per process (per event loop) that hands new live events to the open streams of its users.

However many streams a process holds, it reads the log with one query per round for all of their users: woken
at once by a Redis message (``inbox.live.publish``) when Redis is configured, and every
``NOTIFICATION_LIVE_POLL_SECONDS`` otherwise (with Redis, every ``FALLBACK_POLL_SECONDS``, in case a message was
lost). Notifications are serialized once per round, as the list API shows them, and each affected user's counts
are read in one grouped query, so a fan-out to every connected user costs a few queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.db.models import Max, Q
from django.utils import timezone

from platform_notifications.config.settings import get_setting
from platform_notifications.inbox import live
from platform_notifications.models import LiveEvent, Notification

log = logging.getLogger(__name__)

#: With Redis, how often the log is also polled (a message lost while Redis restarted costs at most this).
FALLBACK_POLL_SECONDS = 5.0
#: Events read per query; a larger backlog is read in several rounds.
ROUND_LIMIT = 5000
#: Polling re-reads the last seconds of the log: on a database with concurrent writers, a transaction can commit
#: an id lower than one already read. Ids already handed out are remembered (``RECENT_IDS``) and skipped.
RESCAN = timedelta(seconds=5)
RECENT_IDS = 100_000


@dataclass(eq=False)
class Connection:
    """One open stream: its user, the id it has seen up to, and the queue of formatted events for it."""

    user_id: int
    after: int = 0
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


def sse(kind: str, data: str, event_id: int | None = None) -> str:
    """One server-sent event; ``data`` is one line of JSON."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {data}\n\n"


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def render(rows: list[LiveEvent]) -> dict[int, list[tuple[int | None, str]]]:
    """Formatted events per user for ``rows`` (ordered by id), each followed by the user's fresh counts.

    Two queries whatever the number of rows and users (the notifications, then every user's counts); a
    notification deleted since its event is skipped.
    """
    from platform_notifications.api.serializers import ITEM_FIELDS
    from platform_notifications.inbox.views import users_counts

    ids = {row.notification_id for row in rows if row.notification_id is not None}
    items = {}
    if ids:
        found = Notification.objects.filter(pk__in=ids).only(*ITEM_FIELDS, "user_id", "thread_key").with_muted()
        items = serialized(list(found))
    out: dict[int, list[tuple[int | None, str]]] = {}
    for row in rows:
        if row.kind == LiveEvent.Kind.NOTIFICATION:
            item = items.get(row.notification_id)
            if item is None or item[0] != row.user_id:
                continue
            out.setdefault(row.user_id, []).append((row.pk, sse(row.kind, item[1], row.pk)))
        else:
            out.setdefault(row.user_id, []).append((row.pk, sse(row.kind, dumps(row.data), row.pk)))
    bodies = users_counts(sorted(out)) if out else {}
    for user_id, events in out.items():
        # No id: a reconnection resumes from the last logged event, and gets fresh counts anyway.
        events.append((None, sse("counts", dumps(bodies[user_id]))))
    return out


def _hashable(value):
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value


def serialized(found: list[Notification]) -> dict[int, tuple[int, str]]:
    """``{pk: (user_id, JSON)}``: each notification exactly as the list API serializes it.

    The rows of a fan-out chunk differ only in id and user, so the list's serializer runs once per distinct rest
    (every serialized field but the id) and the id is put in: a chunk to 1,000 users is one serialization, not
    1,000 (each renders the content from its template).
    """
    from platform_notifications.api.serializers import ITEM_FIELDS, NotificationSerializer

    rest = [name for name in ITEM_FIELDS if name != "id"]
    groups: dict[tuple, list[Notification]] = {}
    for row in found:
        key = (*(_hashable(getattr(row, name)) for name in rest), row.thread_key, bool(getattr(row, "muted", False)))
        groups.setdefault(key, []).append(row)
    data = NotificationSerializer([group[0] for group in groups.values()], many=True).data
    return {
        row.pk: (row.user_id, dumps({**item, "id": row.pk}))
        for group, item in zip(groups.values(), data, strict=True)
        for row in group
    }


def db(fn):
    """``fn`` run in the thread-sensitive thread (for the streams one per process: ``inbox.asgi``)."""
    return sync_to_async(fn, thread_sensitive=True)


def latest_id() -> int:
    return LiveEvent.objects.aggregate(top=Max("id"))["top"] or 0


def replay(user_id: int, after: int, upto: int) -> list[str]:
    """The user's events in ``(after, upto]``: at most ``NOTIFICATION_LIVE_REPLAY_LIMIT``, the newest ones."""
    from platform_notifications.config.bounds import bounded

    limit = bounded("NOTIFICATION_LIVE_REPLAY_LIMIT")
    if upto <= after or limit == 0:
        return []
    # uses index (user, id)
    rows = list(LiveEvent.objects.filter(user_id=user_id, id__gt=after, id__lte=upto).order_by("-id")[:limit])
    rows.reverse()
    # Without the counts ``render`` adds: the stream sends the current ones right after.
    return [text for event_id, text in render(rows).get(user_id, []) if event_id is not None]


class Hub:
    """The process's listener: connections by user, a cursor into the log, and the Redis subscription."""

    def __init__(self) -> None:
        self.connections: dict[int, set[Connection]] = {}
        self.cursor = 0
        self.wake = asyncio.Event()
        self.hints: list[tuple[int | None, list[int] | None]] = []
        self.recent: OrderedDict[int, None] = OrderedDict()
        self.task: asyncio.Task | None = None
        self.listener: asyncio.Task | None = None

    def connect(self, conn: Connection) -> None:
        self.connections.setdefault(conn.user_id, set()).add(conn)
        if self.task is None or self.task.done():
            # Starting (again): the log before this stream's start is not this hub's concern.
            self.cursor = conn.after
            self.task = asyncio.ensure_future(self.run())

    def disconnect(self, conn: Connection) -> None:
        conns = self.connections.get(conn.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.connections[conn.user_id]
        if not self.connections:
            # The last stream closed: stop listening, so nothing outlives the streams (or their event loop).
            for task in (self.task, self.listener):
                if task is not None:
                    task.cancel()
            self.task = self.listener = None

    async def run(self) -> None:
        url = live.redis_url()
        if url is not None and (self.listener is None or self.listener.done()):
            self.listener = asyncio.ensure_future(self.listen(url))
        interval = FALLBACK_POLL_SECONDS if url else float(get_setting("NOTIFICATION_LIVE_POLL_SECONDS"))
        while self.connections:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)
            self.wake.clear()
            hints, self.hints = self.hints, []
            try:
                await self.round(hints)
            except Exception:  # noqa: BLE001 - a database hiccup must not end every stream; the next round retries
                log.exception("live events: reading the log failed")
                await db(close_old_connections)()  # a broken connection is replaced

    async def round(self, hints: list[tuple[int | None, list[int] | None]]) -> None:
        users = set(self.connections)
        if hints and all(start is not None for start, _ in hints):
            # Woken by Redis: exactly the named users, from the first new id (even below the cursor).
            named = set().union(*(users if ids is None else users & set(ids) for _, ids in hints))
            users, where = named, Q(id__gte=min(start for start, _ in hints))
        else:
            where = Q(id__gt=self.cursor) | Q(created__gte=timezone.now() - RESCAN)
        if not users:
            return
        while True:
            rows = await db(self.read)(sorted(users), where)
            fresh = [row for row in rows if row.pk not in self.recent]
            if fresh:
                self.dispatch(await db(render)(fresh))
                for row in fresh:
                    self.recent[row.pk] = None
                while len(self.recent) > RECENT_IDS:
                    self.recent.popitem(last=False)
            if rows:
                self.cursor = max(self.cursor, rows[-1].pk)
            if len(rows) < ROUND_LIMIT:
                return
            where = Q(id__gt=rows[-1].pk)

    @staticmethod
    def read(user_ids: list[int], where: Q) -> list[LiveEvent]:
        # uses index (user, id)
        return list(LiveEvent.objects.filter(where, user_id__in=user_ids).order_by("id")[:ROUND_LIMIT])

    def dispatch(self, events: dict[int, list[tuple[int | None, str]]]) -> None:
        for user_id, formatted in events.items():
            for conn in self.connections.get(user_id, ()):
                # A stream opened after an event (or that replayed it) is not sent it again.
                texts = [text for event_id, text in formatted if event_id is None or event_id > conn.after]
                if len(texts) > 1:
                    conn.queue.put_nowait("".join(texts))

    async def listen(self, url: str) -> None:
        """Wake the loop on every Redis message; reconnect after a failure (polling covers the gap)."""
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(live.channel_name(url))
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        body = json.loads(message["data"])
                        self.hints.append((body.get("from"), body.get("users")))
                        self.wake.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                log.warning("live events: Redis subscription lost; polling until it is back", exc_info=True)
                await asyncio.sleep(1)
            finally:
                await client.aclose()


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The hub of the running event loop (one per process under an ASGI server)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        for old in [other for other in _hubs if other.is_closed()]:
            del _hubs[old]
        found = _hubs[loop] = Hub()
    return found
