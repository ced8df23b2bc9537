"""The live event log: what the open streams are told, written with the change and published after its commit.

A fan-out chunk writes one ``LiveEvent`` per web recipient in one INSERT (the per-user values travel as one JSON
document that the database expands, as the notifications' own INSERT does); a read, seen or archive action writes
one row. After the commit, the users are published on Redis when one is configured, so every process holding a
stream of theirs looks at once; without Redis the processes poll the log (``inbox.hub``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from platform_notifications.config.settings import get_setting
from platform_notifications.core.dbfeatures import expands_json_rows
from platform_notifications.models import LiveEvent

log = logging.getLogger(__name__)

Kind = LiveEvent.Kind

#: A published message names its users up to this many; above, it says "anyone" and each process looks at all
#: of its own connected users (a 20,000-user chunk would otherwise publish 150 kB to every process).
PUBLISH_USERS_MAX = 1000

# One table function per engine: (u, n) pairs from a JSON array of [user_id, notification_id].
_PAIRS = {
    "postgresql": "(SELECT (v->>0)::bigint AS u, (v->>1)::bigint AS n FROM json_array_elements(%s::json) AS j(v)) AS r",
    "sqlite": "(SELECT value->>0 AS u, value->>1 AS n FROM json_each(%s)) AS r",
    "mysql": "JSON_TABLE(%s, '$[*]' COLUMNS (u BIGINT PATH '$[0]', n BIGINT PATH '$[1]')) AS r",
}


def record_notifications(pairs: Sequence[tuple[int, int]], now: datetime) -> None:
    """One ``notification`` event per ``(user_id, notification_id)``: one INSERT, published after commit."""
    if not pairs:
        return
    if not expands_json_rows(connection):
        created = LiveEvent.objects.bulk_create(
            [LiveEvent(user_id=u, kind=Kind.NOTIFICATION, notification_id=n, created=now) for u, n in pairs]
        )
        first = created[0].pk
    else:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in ("user_id", "kind", "notification_id", "data", "created"))
        table = quote(LiveEvent._meta.db_table)
        created_at = LiveEvent._meta.get_field("created").get_db_prep_save(now, connection)
        sql = (
            f"INSERT INTO {table} ({columns}) "  # noqa: S608 (quoted model columns)
            f"SELECT r.u, %s, r.n, %s, %s FROM {_PAIRS[connection.vendor]}"
        )
        params = [Kind.NOTIFICATION.value, "{}", created_at, json.dumps(pairs)]
        # The smallest new id tells the listening processes where to look from; reading it back must not cost
        # one returned row per event (a chunk writes 20,000).
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"WITH n AS ({sql} RETURNING {quote('id')}) SELECT MIN({quote('id')}) FROM n", params)  # noqa: S608
                first = cursor.fetchone()[0]
            else:
                cursor.execute(sql, params)
                # MySQL: the first id of a multi-row INSERT. SQLite: the last one; the statement holds the write
                # lock and an AUTOINCREMENT key counts up by one per row, so its rows' ids are consecutive.
                first = cursor.lastrowid if connection.vendor == "mysql" else cursor.lastrowid - cursor.rowcount + 1
    after_commit(sorted({u for u, _ in pairs}), first)


def record(user_id: int, kind: str, data: dict[str, Any] | None = None) -> None:
    """One read, seen or archived event of ``user_id`` (``data``: ``ids``, ``app_name`` or nothing: all rows)."""
    event = LiveEvent.objects.create(user_id=user_id, kind=kind, data=data or {}, created=timezone.now())
    after_commit([user_id], event.pk)


def after_commit(user_ids: list[int], first_id: int | None) -> None:
    if redis_url() is not None:
        transaction.on_commit(partial(publish, user_ids, first_id))


def redis_url() -> str | None:
    """The Redis used for publish/subscribe: the setting, else the count cache's Redis, else a Redis broker."""
    url = get_setting("NOTIFICATION_LIVE_REDIS_URL")
    if url:
        return url
    cache = settings.CACHES.get(get_setting("NOTIFICATION_COUNT_CACHE"), {})
    if cache.get("BACKEND") == "django.core.cache.backends.redis.RedisCache":
        location = cache.get("LOCATION")
        return location[0] if isinstance(location, list | tuple) else location
    broker = getattr(settings, "CELERY_BROKER_URL", None) or ""
    return broker if broker.startswith(("redis://", "rediss://")) else None


def channel_name(url: str) -> str:
    # Publish/subscribe ignores Redis's database numbers: the channel carries it, so that two deployments
    # sharing one server on different databases never hear each other.
    return f"platform_notifications:live:{urlsplit(url).path.strip('/') or '0'}"


@lru_cache(maxsize=4)
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def publish(user_ids: list[int], first_id: int | None) -> None:
    """Tell the listening processes that ``user_ids`` have events from ``first_id``; never raises.

    A lost message costs latency only: the processes also poll the log (``inbox.hub``).
    """
    url = redis_url()
    if url is None:
        return
    message: dict[str, Any] = {"from": first_id}
    if len(user_ids) <= PUBLISH_USERS_MAX:
        message["users"] = user_ids
    try:
        _client(url).publish(channel_name(url), json.dumps(message))
    except Exception:  # noqa: BLE001 - the stream falls back to polling; the change itself is committed
        log.warning("could not publish live events of %s users", len(user_ids), exc_info=True)
