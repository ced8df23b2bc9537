"""The unseen counts per app, cached per user and invalidated by every change to the user's rows.

Each user has a *generation* token in the cache; a cached count is valid only while it carries the current
token. A change replaces the tokens of every user it touched (one ``set_many`` per fan-out chunk, whatever
its size) after its transaction commits. A reader reads the token before it queries, so a count computed
from rows older than a change is stored under the old token and never served again: no read-then-write
race can leave a stale badge. The entry's lifetime (``NOTIFICATION_COUNT_CACHE_SECONDS``) only bounds what
changes made outside this package (the admin, a raw SQL purge) can leave behind; it is cut to the end of the
user's nearest timed mute, whose rows count again from then.

Rows below the user's web minimum level and rows of muted threads are listed but not counted
(``NotificationQuerySet.counted``); a mute, an unmute or a change of level invalidates the count.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from functools import partial

from django.core.cache import caches
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from platform_notifications.config.bounds import bounded
from platform_notifications.config.settings import get_setting
from platform_notifications.models import Notification, ThreadMute


def _cache():
    # The cache must be shared by every process that changes rows (web servers and Celery workers).
    return caches[get_setting("NOTIFICATION_COUNT_CACHE")]


def _generation_key(user_id: int) -> str:
    return f"pn:unseen:gen:{user_id}"


def _counts_key(user_id: int) -> str:
    return f"pn:unseen:counts:{user_id}"


def _token() -> int:
    # An integer: Django's Redis cache stores it as a plain number, which the bulk invalidation below can write.
    return secrets.randbits(62)


def query_unseen_by_app(user_id: int) -> dict[str, int]:
    """The user's unseen tray rows per app, from the database (one query; uses index (user, last_seen, web))."""
    rows = (
        Notification.objects.filter(user_id=user_id)
        .in_tray()
        .unseen()
        .counted()
        .values("app_name")
        .annotate(unseen=Count("id"))
        .order_by()
    )
    return {row["app_name"]: row["unseen"] for row in rows}


def unseen_by_app(user_id: int) -> dict[str, int]:
    """The user's unseen counts per app (every app with rows): from the cache, or one query then cached."""
    cache = _cache()
    generation_key, counts_key = _generation_key(user_id), _counts_key(user_id)
    found = cache.get_many([generation_key, counts_key])
    token = found.get(generation_key)
    cached = found.get(counts_key)
    # The expiry setting decides which rows count, so a cached count is also bound to its value.
    expiry = bounded("NOTIFICATIONS_EXPIRY")
    if token is not None and isinstance(cached, tuple) and cached[:2] == (token, expiry):
        return dict(cached[2])
    if token is None:
        # First read (or evicted): start a generation; if another process raced us, use its token.
        token = _token()
        if not cache.add(generation_key, token, timeout=None):
            token = cache.get(generation_key) or token
    counts = query_unseen_by_app(user_id)
    timeout = get_setting("NOTIFICATION_COUNT_CACHE_SECONDS")
    now = timezone.now()
    # uses the unique index (user, thread_key, scope)
    mute_ends = ThreadMute.objects.filter(user_id=user_id, until__gt=now).order_by("until").values_list("until")[:1]
    for (until,) in mute_ends:
        timeout = max(1, min(timeout, int((until - now).total_seconds()) + 1))
    cache.set(counts_key, (token, expiry, counts), timeout=timeout)
    return counts


#: From this many users up, a Redis cache is invalidated by one server-side script (see ``_redis_bulk``).
BULK_FROM = 100

# Sets every key ``KEYS[1] .. id`` to ``ARGV[1]`` for the ids of the JSON array ``ARGV[2]``: one MSET per 2,000
# keys (half the time of one SET per key; Lua's ``unpack`` takes at most about 8,000 values at once).
_SET_ALL = """
local t, args, n = ARGV[1], {}, 0
for _, id in ipairs(cjson.decode(ARGV[2])) do
  args[n + 1], args[n + 2], n = KEYS[1] .. id, t, n + 2
  if n >= 4000 then redis.call('MSET', unpack(args, 1, n)) n = 0 end
end
if n > 0 then redis.call('MSET', unpack(args, 1, n)) end
"""


def invalidate_now(user_ids: Iterable[int]) -> None:
    """Forget the cached counts of ``user_ids`` (one cache operation for all of them)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    token, cache = _token(), _cache()
    if len(ids) >= BULK_FROM and _redis_bulk(cache, ids, token):
        return
    cache.set_many({_generation_key(uid): token for uid in ids}, timeout=None)


def _redis_bulk(cache, ids: list[int], token: int) -> bool:
    """One script call writes every user's new token on a Redis cache; False where that does not apply.

    A fan-out chunk invalidates 20,000 users: through ``set_many`` that is 20,000 key validations and a
    40,000-argument command built in Python (a third of a chunk's time on PostgreSQL). The script receives the
    ids as one JSON argument and builds the keys on the server. It writes exactly what ``set_many`` would: the
    keys Django's key function makes (checked on a sample) and the token as the plain integer Django's Redis
    serializer stores, without expiry.
    """
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(cache, RedisCache):
        return False
    prefix = cache.make_key(_generation_key(""))
    if cache.make_key(_generation_key(ids[-1])) != f"{prefix}{ids[-1]}":
        return False  # a custom KEY_FUNCTION: keys are not the prefix and the id
    client = cache._cache.get_client(prefix, write=True)
    client.eval(_SET_ALL, 1, prefix, token, json.dumps(ids))
    return True


def invalidate(user_ids: Iterable[int]) -> None:
    """Forget the cached counts of ``user_ids`` once the current transaction commits (at once outside one).

    After commit, never before: a reader between the change and its commit would cache the old rows.
    """
    ids = frozenset(user_ids)
    if ids:
        transaction.on_commit(partial(invalidate_now, ids))


def changed(user_id: int) -> None:
    """A request changed ``user_id``'s rows: invalidate now, and again after commit inside a transaction.

    Views run in autocommit (the change is already committed); a host with ``ATOMIC_REQUESTS`` commits
    later, and the second invalidation drops whatever a reader cached from the rows before that commit.
    """
    invalidate_now([user_id])
    if transaction.get_connection().in_atomic_block:
        invalidate([user_id])
