"""Attention in the fan-out: a chunk's levels, mutes, do-not-disturb and quiet hours applied to its preferences.

``preferences.attention.for_chunk`` decides per chunk (one query, two with a thread); this module applies the
decision to the chunk's effective preferences (email and push switched off where a level or a mute says so) and
brings the host's time zones (Open edX's account preferences) to the quiet-hours arithmetic.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from platform_notifications.channels.email import locale
from platform_notifications.preferences import attention
from platform_notifications.preferences.attention import ChunkAttention
from platform_notifications.preferences.effective import Effective


def _zones():
    # The stored settings row already carries its time zone; another source (Open edX) is asked for them.
    source = locale.source()
    return None if type(source) is locale.StoredLocale else source.time_zones


def apply(
    prefs: dict[int, Effective],
    level: str,
    priority: int,
    now: datetime,
    *,
    thread_key: str = "",
    scope: str = "",
) -> ChunkAttention:
    """Decide the chunk's attention and switch email and push off in ``prefs`` (in place) where it says so."""
    decided = attention.for_chunk(prefs, level, priority, now, thread_key=thread_key, scope=scope, time_zones=_zones())
    if not decided:
        return decided
    # Users sharing a preference object share its replacement (the row writer decides once per object); the
    # original is kept with it so its id stays its own while the loop runs.
    replaced: dict[tuple[int, bool, bool], tuple[Effective, Effective]] = {}
    for uid in decided.no_email | decided.no_push:
        eff = prefs.get(uid)
        if eff is not None:
            email, push = eff.email and uid not in decided.no_email, eff.push and uid not in decided.no_push
            key = (id(eff), email, push)
            if key not in replaced:
                replaced[key] = (eff, replace(eff, email=email, push=push))
            prefs[uid] = replaced[key][1]
    return decided
