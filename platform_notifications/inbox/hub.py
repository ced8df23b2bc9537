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
from datetime import timedelta
from typing import NamedTuple

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections
from django.db.models import Max, Q
from django.utils import timezone, translation

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


class Connection:
    """One open stream: its user, the id it has seen up to, and the formatted events not yet sent to it.

    No queue and no task of its own: the hub appends to ``pending`` and resolves the one future the stream waits
    on, which is all that an idle stream holds besides its HTTP connection.
    """

    __slots__ = ("user_id", "after", "language", "pending", "waiter")

    def __init__(self, user_id: int, after: int = 0, language: str | None = None) -> None:
        self.user_id = user_id
        self.after = after
        #: The language of the stream's request (None: whatever is active when the hub renders).
        self.language = language
        self.pending: list[str] = []
        self.waiter: asyncio.Future | None = None

    def push(self, text: str) -> None:
        self.pending.append(text)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def next(self, timeout: float) -> str | None:
        """The events pushed since the last call, waiting up to ``timeout`` seconds for one; None if none came."""
        if not self.pending:
            loop = asyncio.get_running_loop()
            self.waiter = waiter = loop.create_future()
            timer = loop.call_later(timeout, _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self.waiter = None
        if not self.pending:
            return None
        text = "".join(self.pending)
        self.pending.clear()
        return text


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


def sse(kind: str, data: str, event_id: int | None = None) -> str:
    """One server-sent event; ``data`` is one line of JSON."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {data}\n\n"


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


class Event(NamedTuple):
    """A ``LiveEvent`` row as the hub reads it (a tuple: a fan-out's thousand rows are no model instances)."""

    id: int
    user_id: int
    kind: str
    notification_id: int | None
    data: dict


EVENT_FIELDS = Event._fields


def render(
    rows: list[Event], languages: dict[int, str | None] | None = None
) -> dict[int, list[tuple[int | None, str]]]:
    """Formatted events per user for ``rows`` (ordered by id), each followed by the user's fresh counts.

    ``languages``: each user's stream language; notifications are rendered in it (others: the active one).
    Three queries whatever the number of rows and users (the notifications' columns, the few distinct ones as
    models for the serializer, then every user's counts); a notification deleted since its event is skipped.
    """
    from platform_notifications.inbox.views import users_counts

    ids = {row.notification_id for row in rows if row.notification_id is not None}
    items = serialized(ids, languages) if ids else {}
    out: dict[int, list[tuple[int | None, str]]] = {}
    for row in rows:
        if row.kind == LiveEvent.Kind.NOTIFICATION:
            item = items.get(row.notification_id)
            if item is None or item[0] != row.user_id:
                continue
            text = f'id: {row.id}\nevent: notification\ndata: {{"id":{row.notification_id},{item[1]}\n\n'
        else:
            text = sse(row.kind, dumps(row.data), row.id)
        out.setdefault(row.user_id, []).append((row.id, text))
    bodies = users_counts(sorted(out)) if out else {}
    for user_id, events in out.items():
        # No id: a reconnection resumes from the last logged event, and gets fresh counts anyway.
        events.append((None, sse("counts", dumps(bodies[user_id]))))
    return out


def serialized(ids: set[int], languages: dict[int, str | None] | None = None) -> dict[int, tuple[int, str]]:
    """``{pk: (user_id, rest)}``: each notification as the list API serializes it, minus its leading ``{"id":N,``.

    The rows of a fan-out chunk differ only in id and user, so the list's serializer runs once per distinct rest
    (every serialized field but the id) and each row's id is spliced in front of the encoded rest: a chunk to
    1,000 users is one serialization and one JSON encoding, not 1,000 (each renders the content from its
    template). The rows are read as plain tuples; only one row per distinct rest is read again as a model instance.
    A group whose users read different languages (``languages``: user id to language) is serialized once per
    language, each in its own.
    """
    from platform_notifications.api.serializers import ITEM_FIELDS, NotificationSerializer

    rest = [name for name in ITEM_FIELDS if name != "id"]
    found = Notification.objects.filter(pk__in=ids).with_muted()
    found = found.values_list("id", "user_id", *rest, "thread_key", "muted")
    # Grouped on the columns as the database returns them: no converter (dates, JSON) runs per row, and rows
    # with equal stored values serialize alike (unequal text of equal JSON only makes one more group).
    sql, params = found.query.get_compiler(using=found.db).as_sql()
    with connections[found.db].cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for pk, user_id, *values in raw:
        groups.setdefault(tuple(values), []).append((pk, user_id))
    first = [members[0][0] for members in groups.values()]
    models = {
        row.pk: row for row in Notification.objects.filter(pk__in=first).only(*ITEM_FIELDS, "thread_key").with_muted()
    }
    languages = languages or {}
    out: dict[int, tuple[int, str]] = {}
    for members, pk in zip(groups.values(), first, strict=True):
        if pk not in models:  # deleted between the two reads
            continue
        encoded: dict[str | None, str] = {}
        for member, user_id in members:
            language = languages.get(user_id)
            if language not in encoded:
                with translation.override(language) if language else contextlib.nullcontext():
                    item = NotificationSerializer(models[pk]).data
                    # The serializer's first field is the id (``ITEM_FIELDS``): the rest is encoded once per
                    # group and language.
                    encoded[language] = dumps({name: value for name, value in item.items() if name != "id"})[1:]
            out[member] = (user_id, encoded[language])
    return out


def db(fn):
    """``fn`` run in the thread-sensitive thread (for the streams one per process: ``inbox.asgi``)."""
    return sync_to_async(fn, thread_sensitive=True)


def latest_id() -> int:
    return LiveEvent.objects.aggregate(top=Max("id"))["top"] or 0


def replay(user_id: int, after: int, upto: int, language: str | None = None) -> list[str]:
    """The user's events in ``(after, upto]``: at most ``NOTIFICATION_LIVE_REPLAY_LIMIT``, the newest ones."""
    from platform_notifications.config.bounds import bounded

    limit = bounded("NOTIFICATION_LIVE_REPLAY_LIMIT")
    if upto <= after or limit == 0:
        return []
    # uses index (user, id)
    rows = LiveEvent.objects.filter(user_id=user_id, id__gt=after, id__lte=upto).order_by("-id")
    rows = [Event._make(row) for row in rows.values_list(*EVENT_FIELDS)[:limit]]
    rows.reverse()
    # Without the counts ``render`` adds: the stream sends the current ones right after.
    return [text for event_id, text in render(rows, {user_id: language}).get(user_id, []) if event_id is not None]


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
            fresh = [row for row in rows if row.id not in self.recent]
            if fresh:
                self.dispatch(await db(render)(fresh, self.languages(users)))
                for row in fresh:
                    self.recent[row.id] = None
                while len(self.recent) > RECENT_IDS:
                    self.recent.popitem(last=False)
            if rows:
                self.cursor = max(self.cursor, rows[-1].id)
            if len(rows) < ROUND_LIMIT:
                return
            where = Q(id__gt=rows[-1].id)

    def languages(self, user_ids: set[int]) -> dict[int, str | None]:
        """Each user's stream language. Events are rendered once per user: tabs of one user in two languages
        (rare: the language is the user's account setting or browser's) all get the language of one of them."""
        found = {}
        for user_id in user_ids:
            conns = self.connections.get(user_id)
            if conns:
                found[user_id] = next(iter(conns)).language
        return found

    @staticmethod
    def read(user_ids: list[int], where: Q) -> list[Event]:
        # uses index (user, id)
        rows = LiveEvent.objects.filter(where, user_id__in=user_ids).order_by("id").values_list(*EVENT_FIELDS)
        return [Event._make(row) for row in rows[:ROUND_LIMIT]]

    def dispatch(self, events: dict[int, list[tuple[int | None, str]]]) -> None:
        for user_id, formatted in events.items():
            for conn in self.connections.get(user_id, ()):
                # A stream opened after an event (or that replayed it) is not sent it again.
                texts = [text for event_id, text in formatted if event_id is None or event_id > conn.after]
                if len(texts) > 1:
                    conn.push("".join(texts))

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
