"""Scheduling a fan-out chunk's emails: DigestSchedule rows per cadence, and one task per delivery instant.

Set-based like the notification insert: per cadence group, one read finds the users who already have a schedule
still ahead (``covered``); the others travel as one JSON document the database expands, and one conflict-safe
``INSERT ... SELECT`` opens a schedule for each. Delivery times are computed in Python once per cadence, timezone
and digest frequency (DST rules live in ``zoneinfo``, not in SQL): a digest group first reads the distinct
(timezone, frequency) pairs of its users, then the INSERT picks each user's instant with a ``CASE`` on the pair.
Queries per chunk: two per immediate group, three per digest group, whatever the chunk size. Delivery tasks are
queued only after the transaction commits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from platform_notifications.channels.base import ChunkDelivery
from platform_notifications.channels.email import locale
from platform_notifications.channels.email.times import buffer_close, frequency, next_delivery, zone
from platform_notifications.config.enums import Cadence, DigestFrequency
from platform_notifications.core import queue
from platform_notifications.models import DigestSchedule, UserNotificationSettings
from platform_notifications.preferences.attention import HELD_NOTE

log = logging.getLogger(__name__)

#: Cadences that produce email (``Never`` rows never have ``email=True``).
EMAILED = (Cadence.IMMEDIATELY, Cadence.DAILY, Cadence.WEEKLY)

Instant = tuple[Cadence, datetime]

# One table function per engine: each yields a column ``u`` from a JSON array of user ids.
_USERS = {
    "postgresql": "(SELECT value::bigint AS u FROM json_array_elements_text(%s::json)) AS r",
    "sqlite": "(SELECT value AS u FROM json_each(%s)) AS r",
    "mysql": "JSON_TABLE(%s, '$[*]' COLUMNS (u BIGINT PATH '$')) AS r",
}


def schedule_chunk(delivery: ChunkDelivery) -> set[Instant]:
    """Create the schedules a chunk's email-on rows need and queue their delivery after commit.

    Returns the delivery instants that were queued (or will be, on commit).
    """
    instants: set[Instant] = set()
    for cadence, user_ids in delivery.emailed().items():
        if cadence in EMAILED:
            instants |= schedule_users(Cadence(cadence), set(user_ids), delivery.now)
    if instants:
        transaction.on_commit(lambda: queue_instants(instants))
    return instants


def schedule_users(cadence: Cadence, user_ids: set[int], now: datetime) -> set[Instant]:
    """Open a schedule for each user without one still ahead; returns the instants of the new rows.

    A user who already has a pending schedule after ``now`` is covered: that delivery will include this
    notification (it picks every unsent row created up to its delivery time). A concurrent chunk may insert
    the same (user, cadence, instant): the unique key makes the second insert a no-op.
    """
    if not user_ids:
        return set()
    zone_sql = locale.zone_sql("r.u")
    if not _set_based() or zone_sql is None:
        return _schedule_users_orm(cadence, user_ids, now)
    user_ids = user_ids - covered(cadence, user_ids, now)
    if not user_ids:
        return set()
    document = json.dumps(sorted(user_ids))
    if cadence == Cadence.IMMEDIATELY:
        # The first email goes out now; the buffer row collects what arrives until it closes.
        close = buffer_close(now)
        whens = [now, close] if close else [now]
        slots = " UNION ALL ".join(["SELECT %s AS t"] * len(whens))
        join = (f"CROSS JOIN ({slots}) AS i", [_db_time(when) for when in whens])
        inserted = _insert(cadence, document, now, ("i.t", []), join)
        return {(cadence, when) for when in whens} if inserted else set()
    pairs = _clocks(document, zone_sql)
    if not pairs:
        return set()
    # One computation per (zone, digest frequency) present in the chunk, not per user.
    default = next_delivery(cadence, zone(None), now)
    times = {pair: next_delivery(cadence, zone(pair[0]), now, frequency(pair[1])) for pair in pairs}
    # Users whose instant is the default one (UTC, its aliases, invalid names, no frequency) take the ELSE branch.
    named = sorted((pair, when) for pair, when in times.items() if when != default)
    joins = f"{zone_sql[0]} {_frequency_join()}"
    if named:
        zone_expr, freq_expr = _clock_exprs(zone_sql)
        branches = " ".join(f"WHEN {zone_expr} = %s AND {freq_expr} = %s THEN %s" for _ in named)
        params = [v for (name, freq), when in named for v in (name, freq, _db_time(when))]
        when_sql = (f"CASE {branches} ELSE %s END", [*params, _db_time(default)])
        join = (joins, [])
    else:
        when_sql, join = ("%s", [_db_time(default)]), ("", [])
    _insert(cadence, document, now, when_sql, join)
    return {(cadence, when) for when in times.values()}


def _frequency_join() -> str:
    """The join that brings each user's digest frequency (alias ``fq``; no settings row: the default)."""
    table = _q(UserNotificationSettings._meta.db_table)
    return f"LEFT JOIN {table} fq ON fq.{_q('user_id')} = r.u"


def _clock_exprs(zone_sql: tuple[str, str]) -> tuple[str, str]:
    """SQL for a user's zone name ('' for none) and digest frequency ('default' for none)."""
    return f"COALESCE({zone_sql[1]}, '')", f"COALESCE(fq.{_q('digest_frequency')}, '{DigestFrequency.DEFAULT}')"


#: A user's (time zone name, digest frequency name): what their digest instant depends on.
Clock = tuple[str, str]


def _clocks(document: str, zone_sql: tuple[str, str]) -> set[Clock]:
    """The distinct (time zone name, digest frequency) of the group's users."""
    zone_expr, freq_expr = _clock_exprs(zone_sql)
    sql = (
        f"SELECT DISTINCT {zone_expr}, {freq_expr} FROM {_USERS[connection.vendor]} "  # noqa: S608 (quoted names)
        f"{zone_sql[0]} {_frequency_join()}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [document])
        return {(name or "", freq or DigestFrequency.DEFAULT.value) for name, freq in cursor.fetchall()}


def covered(cadence: Cadence, user_ids: set[int], now: datetime) -> set[int]:
    """The users of ``user_ids`` who already have a pending schedule of ``cadence`` after ``now`` (one query).

    That delivery will include the new notification (it picks every unsent row created up to its delivery time).
    Read in a statement of its own before the INSERT: inside the INSERT, PostgreSQL planned the per-user check
    while the table was still empty (a sequential scan) and then ran it once per user over the rows the same
    statement was adding (five seconds for the first 20,000-user chunk of a new deployment). Planned on its own,
    the check sees the table's real size.
    """
    if not _set_based():
        pending = DigestSchedule.objects.filter(
            user_id__in=list(user_ids), cadence=cadence, state=DigestSchedule.State.PENDING, delivery_time__gt=now
        )
        return set(pending.values_list("user_id", flat=True))
    # Per user of the chunk, one probe of the unique index (user, cadence, delivery_time). SQLite would rather walk
    # (state, delivery_time) for every user: a unary ``+`` keeps those terms off that index. PostgreSQL, estimating
    # few pending schedules, would turn the lookup into a join that reads the whole JSON document once per pending
    # schedule: ``OFFSET 0`` keeps the subquery a per-user lookup.
    plus = "+" if connection.vendor == "sqlite" else ""
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT r.u FROM {_USERS[connection.vendor]} WHERE EXISTS (SELECT 1 FROM "  # noqa: S608 (quoted names)
        f"{_q(DigestSchedule._meta.db_table)} d WHERE d.{_q('user_id')} = r.u AND d.{_q('cadence')} = %s "
        f"AND {plus}d.{_q('state')} = %s AND {plus}d.{_q('delivery_time')} > %s{fence})"
    )
    params = [json.dumps(sorted(user_ids)), cadence.value, DigestSchedule.State.PENDING.value, _db_time(now)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()} & user_ids


def _insert(cadence: Cadence, document: str, now: datetime, when: _Sql, join: _Sql) -> int:
    """One INSERT ... SELECT of the group's (uncovered) users; returns the number of rows inserted.

    A concurrent chunk may have inserted the same (user, cadence, instant) since ``covered`` read: the unique key
    makes this insert skip it.
    """
    ops = connection.ops
    columns = ", ".join(_q(c) for c in ("user_id", "cadence", "delivery_time", "state", "attempts", "last_error"))
    time_field = DigestSchedule._meta.get_field("delivery_time")
    suffix = ops.on_conflict_suffix_sql([time_field], OnConflict.IGNORE, None, None) or ""
    sql = (
        f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {_q(DigestSchedule._meta.db_table)} "  # noqa: S608
        f"({columns}, {_q('created')}) SELECT r.u, %s, {when[0]}, %s, 0, '', %s "
        f"FROM {_USERS[connection.vendor]} {join[0]} {suffix}"
    )
    state = DigestSchedule.State.PENDING.value
    params = [cadence.value, *when[1], state, _db_time(now), document, *join[1]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


_Sql = tuple[str, list]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _db_time(when: datetime):
    return DigestSchedule._meta.get_field("delivery_time").get_db_prep_value(when, connection)


def _set_based() -> bool:
    """Whether this database expands a JSON array into rows (SQLite's JSON1, PostgreSQL, MySQL 8, MariaDB 10.6)."""
    if connection.vendor == "mysql":
        return not connection.mysql_is_mariadb or connection.mysql_version >= (10, 6)
    return connection.vendor in _USERS


def _schedule_users_orm(cadence: Cadence, user_ids: set[int], now: datetime) -> set[Instant]:
    """The same through the ORM, for engines without JSON table functions: three queries a group."""
    wanted = user_ids - covered(cadence, user_ids, now)
    zones = locale.time_zones(wanted)
    chosen = frequencies(wanted) if cadence != Cadence.IMMEDIATELY else {}
    rows = []
    for uid in sorted(wanted):
        if cadence == Cadence.IMMEDIATELY:
            close = buffer_close(now)
            whens = [now, close] if close else [now]
        else:
            whens = [next_delivery(cadence, zone(zones.get(uid)), now, frequency(chosen.get(uid)))]
        rows += [DigestSchedule(user_id=uid, cadence=cadence, delivery_time=when, created=now) for when in whens]
    DigestSchedule.objects.bulk_create(rows, ignore_conflicts=True)
    return {(cadence, row.delivery_time) for row in rows}


def frequencies(user_ids: Iterable[int]) -> dict[int, str]:
    """``{user id: digest frequency}`` of the users that chose one (one query)."""
    return dict(
        UserNotificationSettings.objects.filter(user_id__in=list(user_ids))
        .exclude(digest_frequency=DigestFrequency.DEFAULT)
        .values_list("user_id", "digest_frequency")
    )


def reschedule_user(user_id: int) -> set[Instant]:
    """After a change of the user's time zone or digest frequency: move their open digests to the new clock.

    Only pending schedules still ahead, neither held (``channels.email.hold`` owns those) nor waiting for a retry,
    are moved; a moved schedule keeps collecting every unsent row up to its (new) delivery time, so nothing is
    lost or sent twice. The message of the old instant then finds nothing to claim. If the user already has a
    schedule at the new instant, that one carries the rows and the moved one is closed as empty.
    """
    now = timezone.now()
    movable = list(
        DigestSchedule.objects.filter(
            user_id=user_id,
            cadence__in=(Cadence.DAILY, Cadence.WEEKLY),
            state=DigestSchedule.State.PENDING,
            delivery_time__gt=now,
            retry_at__isnull=True,
        )
        .exclude(last_error__startswith=HELD_NOTE)
        .values_list("pk", "cadence", "delivery_time")
    )
    if not movable:
        return set()
    name = locale.time_zones([user_id]).get(user_id)
    chosen = frequency(frequencies([user_id]).get(user_id))
    instants: set[Instant] = set()
    for pk, cadence, when in movable:
        new = next_delivery(Cadence(cadence), zone(name), now, chosen)
        if new == when:
            continue
        mine = DigestSchedule.objects.filter(pk=pk, state=DigestSchedule.State.PENDING)
        try:
            with transaction.atomic():
                mine.update(delivery_time=new)
        except IntegrityError:
            mine.update(state=DigestSchedule.State.EMPTY, last_error="moved to a new clock: merged")
            continue
        instants.add((Cadence(cadence), new))
    if instants:
        transaction.on_commit(lambda: queue_instants(instants))
    return instants


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
