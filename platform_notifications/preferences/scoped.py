"""Effective preferences for one send: a scope's overrides ahead of the global choice, and priorities that bypass both.

A ``ScopedPreference`` row applies inside its scope only; a channel it leaves unset falls back to the user's
global choice (``effective``). CRITICAL and HIGH sends ignore every stored choice: in-app and email are on.
"""

from __future__ import annotations

from collections.abc import Iterable

from platform_notifications.config import Cadence, Channel, NotificationType, registry
from platform_notifications.config.enums import APP_WIDE_TYPE
from platform_notifications.config.kinds import Priority
from platform_notifications.core.idsets import lookup
from platform_notifications.models import ScopedPreference
from platform_notifications.preferences import effective
from platform_notifications.preferences.effective import Effective

_FIELDS = ("web", "email", "push", "email_cadence")


def forced(ntype: NotificationType, priority: Priority) -> Effective:
    """What an unsuppressable send delivers: in-app and email on; CRITICAL email goes out at once."""
    defaults = registry.type_defaults(ntype)
    cadence = defaults.email_cadence if defaults.email_cadence != Cadence.NEVER else Cadence.IMMEDIATELY
    if priority == Priority.CRITICAL:
        cadence = Cadence.IMMEDIATELY
    return Effective(web=True, email=True, push=defaults.push, email_cadence=cadence)


def for_users(
    ntype: NotificationType, user_ids: Iterable[int], scope: str = "", priority: int = Priority.NORMAL
) -> dict[int, Effective]:
    """Effective preferences of many users for one send: two or three queries whatever their number."""
    user_ids = list(user_ids)
    if Priority(priority).unsuppressable:
        return dict.fromkeys(user_ids, forced(ntype, Priority(priority)))
    base = effective.for_users(ntype, user_ids)
    if not scope:
        return base
    rows = ScopedPreference.objects.filter(
        **lookup("user_id", user_ids),
        scope=scope,
        app_name=ntype.app_name,
        notification_type__in=(ntype.preference_key, APP_WIDE_TYPE),
    ).values("user_id", "notification_type", *_FIELDS)
    chosen: dict[int, dict] = {}
    for row in sorted(rows, key=lambda r: r["notification_type"] != APP_WIDE_TYPE):
        # The type's own row wins over the scope's app-wide row: it is read last.
        chosen.setdefault(row["user_id"], {}).update({k: v for k, v in row.items() if k in _FIELDS and v is not None})
    if not chosen:
        return base
    locked = registry.type_defaults(ntype).non_editable
    result = dict(base)
    for uid, values in chosen.items():
        if uid not in base:
            continue  # the lookup's range covered a user outside this chunk
        current = base[uid]
        merged = {name: getattr(current, name) for name in _FIELDS}
        for name, value in values.items():
            if name in Channel._value2member_map_ and Channel(name) in locked:
                continue
            merged[name] = value
        merged["email_cadence"] = Cadence(merged["email_cadence"])
        result[uid] = Effective(**merged)
    return result
