"""Why a user gets what they get: each preference row's effective value per channel, with where it came from.

Follows the same order as ``preferences.effective`` (stored choice, app-wide choice, global email opt-out,
operator override, shipped default; a ``non_editable`` channel always takes the default), for the admin page.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_notifications.config import registry
from platform_notifications.config.enums import APP_WIDE_TYPE, Channel
from platform_notifications.config.settings import get_setting
from platform_notifications.models import NotificationPreference, UserNotificationSettings

FIELDS = ("web", "email", "push", "email_cadence")

STORED, APP_WIDE, OPT_OUT, OVERRIDE, LOCKED, DEFAULT = (
    "stored choice",
    "app-wide choice",
    "email opt-out",
    "override",
    "not editable: default",
    "default",
)


@dataclass(frozen=True)
class Cell:
    value: object
    source: str


@dataclass(frozen=True)
class Row:
    app_name: str
    preference_key: str
    types: tuple[str, ...]
    cells: dict[str, Cell]

    @property
    def ordered(self) -> list[Cell]:
        return [self.cells[name] for name in FIELDS]


def _override(ntype) -> tuple[dict, str]:
    if ntype.use_app_defaults:
        return get_setting("NOTIFICATION_APPS_OVERRIDE").get(ntype.app_name) or {}, "NOTIFICATION_APPS_OVERRIDE"
    return get_setting("NOTIFICATION_TYPES_OVERRIDE").get(ntype.name) or {}, "NOTIFICATION_TYPES_OVERRIDE"


def explain(user_id: int) -> list[Row]:
    """Every preference row of ``user_id`` (two queries), each channel's value and its source."""
    stored = {
        (row["app_name"], row["notification_type"]): row
        for row in NotificationPreference.objects.filter(user_id=user_id).values(
            "app_name", "notification_type", *FIELDS
        )
    }
    opted_out = UserNotificationSettings.objects.filter(user_id=user_id, email_opt_out=True).exists()
    rows: dict[tuple[str, str], Row] = {}
    for ntype in registry.types().values():
        key = (ntype.app_name, ntype.preference_key)
        if key in rows:
            rows[key] = Row(*key, (*rows[key].types, ntype.name), rows[key].cells)
            continue
        defaults = registry.type_defaults(ntype)
        override, override_name = _override(ntype)
        cells = {}
        for name in FIELDS:
            default_value = getattr(defaults, name)
            if name in Channel._value2member_map_ and Channel(name) in defaults.non_editable:
                cells[name] = Cell(default_value, LOCKED)
                continue
            own, app_wide = stored.get(key), stored.get((ntype.app_name, APP_WIDE_TYPE))
            if own is not None and own[name] is not None:
                cells[name] = Cell(own[name], STORED)
            elif app_wide is not None and app_wide[name] is not None:
                cells[name] = Cell(app_wide[name], APP_WIDE)
            elif name == "email" and opted_out:
                cells[name] = Cell(False, OPT_OUT)
            elif isinstance(override, dict) and name in override and override[name] == default_value:
                cells[name] = Cell(default_value, f"{OVERRIDE} ({override_name})")
            else:
                cells[name] = Cell(default_value, DEFAULT)
        rows[key] = Row(*key, (ntype.name,), cells)
    return list(rows.values())
