"""The account-settings view of a user's preferences: one entry per app, bundled row, ``non_editable`` map.

Effective values come from ``preferences.for_user`` (the user's choices over the configured defaults); this
module only decides what the user may see and how it is shaped for the front end.
"""

from __future__ import annotations

from typing import Any

from platform_notifications.config import BUNDLED_TYPE, Cadence, registry
from platform_notifications.preferences import effective as preferences
from platform_notifications.preferences.changes import editable_rows, row_defaults


def row_info(app_name: str, key: str) -> str:
    if key == BUNDLED_TYPE:
        return str(registry.get_app(app_name).info)
    return str(registry.get_type(key).info)


def shown_cadence(in_effect: Cadence, default: Cadence) -> Cadence:
    """The cadence reported to front ends: the one in effect, or for ``Never`` the default, else Daily."""
    if in_effect != Cadence.NEVER:
        return in_effect
    return default if default != Cadence.NEVER else Cadence.DAILY


def needs_roles() -> bool:
    """Whether any configured type is restricted by ``visible_to`` (only then are roles looked up)."""
    return any(ntype.visible_to for ntype in registry.types().values())


def user_preferences(user_id: int, roles: frozenset[str] | None) -> dict[str, dict[str, Any]]:
    """``data`` of the preferences GET for one user (two queries, whatever the number of types)."""
    effective = preferences.for_user(user_id)
    data: dict[str, dict[str, Any]] = {}
    for app_name, app in registry.apps().items():
        if not app.enabled:
            continue
        # Registered kinds ("app.type") are the flat preferences API's (/api/notification-preferences/): the stock
        # account page shows Open edX's course types, and its clients fail on rows they cannot send back.
        keys = [key for key in editable_rows(app_name, roles) if "." not in key]
        if not keys:
            continue
        rows: dict[str, dict[str, Any]] = {}
        locked: dict[str, list[str]] = {}
        for key in keys:
            eff = effective[(app_name, key)]
            defaults = row_defaults(app_name, key)
            rows[key] = {
                "web": eff.web,
                "push": eff.push,
                # Email with cadence Never sends nothing, so it is shown as off, with a cadence the front ends
                # offer (they show Immediately, Daily and Weekly only, and send back what they show).
                "email": eff.emails,
                "email_cadence": shown_cadence(eff.email_cadence, defaults.email_cadence).value,
                "info": row_info(app_name, key),
            }
            channels = defaults.non_editable
            if channels:
                # App-level non_editable governs the bundled row: reported here and enforced on PUT.
                locked[key] = sorted(channel.value for channel in channels)
        data[app_name] = {"enabled": app.enabled, "notification_types": rows, "non_editable": locked}
    return data
