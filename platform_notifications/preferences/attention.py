"""Attention: minimum levels per channel, muted threads, do-not-disturb and quiet hours, decided per chunk.

What a user set lives in ``UserNotificationSettings`` (levels, do-not-disturb, quiet hours) and ``ThreadMute``.
A fan-out chunk reads them in one query for the settings (only rows that differ from the defaults) and one for
the mutes of the request's thread; the clock arithmetic of quiet hours runs once per distinct (time zone,
window) of the chunk, not per user. The result says, per user of the chunk, which channels the level or a
mute switches off and until when interrupting deliveries (immediate email, push) wait.

Rules:

- **Levels** (``info`` < ``warning`` < ``error``): below the web minimum a row is stored and listed but not
  counted; below the email or push minimum it is not emailed or pushed.
- **Mute**: a muted thread's occurrences are recorded but the row is not re-opened, emailed, pushed or counted.
- **Do not disturb**: nothing interrupts until it ends; digests due meanwhile wait until then.
- **Quiet hours**: a daily local window; immediate email and push inside it wait until the window ends.
- Priorities: HIGH and CRITICAL ignore levels and mutes (they ignore every stored choice); only CRITICAL
  passes do-not-disturb and quiet hours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q

from platform_notifications.config.kinds import Level, Priority
from platform_notifications.core.idsets import lookup
from platform_notifications.models import ThreadMute, UserNotificationSettings

#: Order of the levels: a notification passes a minimum when its rank is at least the minimum's.
RANK = {Level.INFO.value: 0, Level.WARNING.value: 1, Level.ERROR.value: 2}
#: Do-not-disturb durations (the API's words); ``forever`` lasts until turned off.
DND_DURATIONS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "8h": timedelta(hours=8),
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
    "1m": timedelta(weeks=4),
    "forever": None,
}
#: ``do_not_disturb_until`` of a do-not-disturb "until turned off": far enough, and still valid on every engine.
DND_FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
#: Note on an email schedule held by attention (``DigestSchedule.last_error``); released when the setting changes.
HELD_NOTE = "held: "

_SETTINGS = (
    "user_id",
    "timezone",
    "web_min_level",
    "email_min_level",
    "push_min_level",
    "do_not_disturb_until",
    "quiet_hours_start",
    "quiet_hours_end",
)


def passes(level: str, minimum: str) -> bool:
    """Whether a notification of ``level`` reaches a channel whose minimum is ``minimum``."""
    return RANK.get(level, 0) >= RANK.get(minimum, 0)


def below(minimum: str) -> list[str]:
    """The levels a channel with ``minimum`` leaves out."""
    return [level for level, rank in RANK.items() if rank < RANK.get(minimum, 0)]


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo:
    """The user's zone; UTC when the name is empty or not a valid IANA zone."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def quiet_end(start: time | None, end: time | None, tz: ZoneInfo, now: datetime) -> datetime | None:
    """If ``now`` falls in the daily window ``start``-``end`` of zone ``tz``, the instant (UTC) it ends; else None.

    The window may cross midnight (22:00-07:00). Local times come from ``zoneinfo``, so a window is correct on
    the days clocks change: the end is the wall-clock time on that day, whatever the offset (an end inside the
    spring-forward gap is read with the offset before the change, as ``fold=0`` does).
    """
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        day = local.date()
    else:
        inside = clock >= start or clock < end
        day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    ends = datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
    # A gap end may read as an instant before ``now`` on a spring-forward day: the window has ended.
    return ends if ends > now else None


def hold_end(
    dnd_until: datetime | None,
    start: time | None,
    end: time | None,
    tz: ZoneInfo,
    now: datetime,
    *,
    quiet_hours: bool = True,
) -> datetime | None:
    """Until when an interrupting delivery waits at ``now`` (None: it goes now).

    Do-not-disturb first; then, with ``quiet_hours`` (immediate email and push, not digests), a quiet window
    the instant falls in. A do-not-disturb that ends inside quiet hours waits for the window's end too.
    """
    held = None
    moment = now
    for _ in range(3):  # DND, then a window, then (a DND ending inside a window) nothing more can apply
        if dnd_until is not None and dnd_until > moment:
            held = moment = dnd_until
            if dnd_until >= DND_FOREVER:
                return dnd_until
        if not quiet_hours:
            break
        window = quiet_end(start, end, tz, moment)
        if window is None:
            break
        held = moment = window
    return held


@dataclass
class ChunkAttention:
    """What attention changes for one chunk: per user, channels switched off and holds of interruptions."""

    #: Below the web minimum: listed, not counted.
    uncounted: set[int] = field(default_factory=set)
    no_email: set[int] = field(default_factory=set)
    no_push: set[int] = field(default_factory=set)
    #: Users whose thread is muted (their rows take occurrences silently).
    muted: set[int] = field(default_factory=set)
    #: Interrupting deliveries (push, web push) wait until this instant.
    held_until: dict[int, datetime] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.uncounted or self.no_email or self.no_push or self.muted or self.held_until)


def _differs(now: datetime) -> Q:
    """Settings rows that change anything at ``now`` (the others are the defaults)."""
    return (
        ~Q(web_min_level=Level.INFO)
        | ~Q(email_min_level=Level.INFO)
        | ~Q(push_min_level=Level.INFO)
        | Q(do_not_disturb_until__gt=now)
        | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False)
    )


def active_mutes(now: datetime) -> Q:
    return Q(until__isnull=True) | Q(until__gt=now)


def for_chunk(
    user_ids: Iterable[int],
    level: str,
    priority: int,
    now: datetime,
    *,
    thread_key: str = "",
    scope: str = "",
    time_zones: Callable[[list[int]], Mapping[int, str]] | None = None,
) -> ChunkAttention:
    """The attention of a chunk's users for one notification: one query, two with a thread.

    ``time_zones`` (the email locale source's) replaces the stored time zone of users with quiet hours, when the
    host keeps time zones elsewhere (Open edX's account preferences); it is called once, for those users only.
    """
    users = list(user_ids)
    result = ChunkAttention()
    if not users:
        return result
    priority = Priority(priority)
    choices_apply = not priority.unsuppressable
    if thread_key and choices_apply:
        # uses index (thread_key, user)
        muted = ThreadMute.objects.filter(
            active_mutes(now), thread_key=thread_key, scope=scope, **lookup("user_id", users)
        )
        result.muted = set(muted.values_list("user_id", flat=True)).intersection(users)
        result.uncounted |= result.muted
        result.no_email |= result.muted
        result.no_push |= result.muted
    if not choices_apply and priority == Priority.CRITICAL:
        return result  # CRITICAL passes levels, mutes, do-not-disturb and quiet hours
    wanted = set(users)
    rows = [
        row
        for row in UserNotificationSettings.objects.filter(_differs(now), **lookup("user_id", users)).values_list(
            *_SETTINGS
        )
        if row[0] in wanted  # a range lookup may return neighbours
    ]
    if not rows:
        return result
    quiet_users = [row[0] for row in rows if row[6] is not None and row[7] is not None]
    zones = dict(time_zones(quiet_users)) if time_zones is not None and quiet_users else {}
    holds: dict[tuple, datetime | None] = {}
    for uid, tz_name, web_min, email_min, push_min, dnd, start, end in rows:
        if choices_apply:
            if not passes(level, web_min):
                result.uncounted.add(uid)
            if not passes(level, email_min):
                result.no_email.add(uid)
            if not passes(level, push_min):
                result.no_push.add(uid)
        # One computation per distinct (end of do-not-disturb, window, zone) of the chunk.
        key = (dnd if dnd is not None and dnd > now else None, start, end, zones.get(uid, tz_name))
        if key not in holds:
            holds[key] = hold_end(key[0], start, end, zone(key[3]), now)
        if holds[key] is not None:
            result.held_until[uid] = holds[key]
    return result


def is_quiet(
    settings: UserNotificationSettings | None, tz_name: str, now: datetime, *, immediate: bool
) -> datetime | None:
    """Until when one user's email waits at ``now`` (a schedule being sent); None: send now.

    Digests (``immediate=False``) wait for do-not-disturb only; immediate email for quiet hours too.
    """
    if settings is None:
        return None
    return hold_end(
        settings.do_not_disturb_until,
        settings.quiet_hours_start,
        settings.quiet_hours_end,
        zone(tz_name or settings.timezone),
        now,
        quiet_hours=immediate,
    )
