"""Write one user's preference choice: one channel or the cadence of one preference row.

Only what the user chose is stored (the other fields of the row stay null = "use the default"), channels the
configuration locks (``non_editable``, type-level or app-level for the bundled row) are refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from platform_notifications.config import BUNDLED_TYPE, Cadence, Channel, ChannelDefaults, registry
from platform_notifications.config.enums import APP_WIDE_TYPE
from platform_notifications.models import NotificationPreference

log = logging.getLogger(__name__)

#: The pseudo-channel that changes the email cadence of a row.
CADENCE_CHANNEL = "email_cadence"
#: Cadence stored when a user switches email on while their chosen cadence is Never and the default is Never too.
FALLBACK_CADENCE = Cadence.DAILY


class PreferenceChangeError(ValueError):
    """A refused change; ``errors`` maps request field names to messages. Nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class PreferenceChange:
    """A validated change: which row, which channel, and the value now in effect."""

    app_name: str
    preference_key: str
    channel: str
    value: bool | str


def row_defaults(app_name: str, preference_key: str) -> ChannelDefaults:
    """The configured defaults (overrides applied) of the row ``(app_name, preference_key)``."""
    if preference_key == BUNDLED_TYPE:
        return registry.app_defaults(app_name)
    ntype = registry.get_type(preference_key)
    assert ntype is not None and ntype.app_name == app_name
    return registry.type_defaults(ntype)


def editable_rows(app_name: str, roles: frozenset[str] | None) -> list[str]:
    """Preference keys of ``app_name`` a user holding ``roles`` may see and change (None: every role).

    The bundled row comes first, then the app's own types in configuration order.
    """
    keys: dict[str, None] = {}
    types = registry.types_of(app_name)
    if any(ntype.use_app_defaults for ntype in types):
        keys[BUNDLED_TYPE] = None
    for ntype in types:
        if not ntype.use_app_defaults and (not ntype.visible_to or roles is None or roles & set(ntype.visible_to)):
            keys[ntype.name] = None
    return list(keys)


def validate(
    app_name: object, preference_key: object, channel: object, value: object, cadence: object, roles
) -> PreferenceChange:
    """Check one requested change against the configuration; raise ``PreferenceChangeError`` listing every problem."""
    app = registry.get_app(app_name) if isinstance(app_name, str) else None
    if app is None or not app.enabled:
        raise PreferenceChangeError({"notification_app": f"unknown notification app {app_name!r}"})
    rows = editable_rows(app.name, roles)
    if not isinstance(preference_key, str) or preference_key not in rows:
        ntype = registry.get_type(preference_key) if isinstance(preference_key, str) else None
        if ntype is not None and ntype.app_name == app.name and ntype.use_app_defaults:
            message = f"{preference_key!r} is part of the {BUNDLED_TYPE!r} row of {app.name!r}; change that row"
        else:
            # A type hidden from this user by ``visible_to`` is reported exactly like a missing one.
            message = f"unknown notification type {preference_key!r} for app {app.name!r}"
        raise PreferenceChangeError({"notification_type": message})
    channels = [c.value for c in Channel] + [CADENCE_CHANNEL]
    if channel not in channels:
        raise PreferenceChangeError(
            {"notification_channel": f"unknown channel {channel!r} (expected one of {', '.join(channels)})"}
        )
    locked = row_defaults(app.name, preference_key).non_editable
    # The cadence belongs to the email channel: a locked email channel locks its cadence too.
    governing = Channel.EMAIL if channel == CADENCE_CHANNEL else Channel(channel)
    if governing in locked:
        raise PreferenceChangeError(
            {"notification_channel": f"{channel!r} cannot be changed for {preference_key!r} of {app.name!r}"}
        )
    if channel == CADENCE_CHANNEL:
        if cadence not in Cadence._value2member_map_:
            raise PreferenceChangeError(
                {"email_cadence": f"unknown cadence {cadence!r} (expected one of {', '.join(Cadence)})"}
            )
        return PreferenceChange(app.name, preference_key, channel, Cadence(cadence).value)
    if not isinstance(value, bool):
        raise PreferenceChangeError({"value": f"must be true or false, got {value!r}"})
    return PreferenceChange(app.name, preference_key, channel, value)


def apply(user_id: int, change: PreferenceChange) -> None:
    """Store ``change`` for ``user_id``; no other field of the row is touched.

    Switching email on while the user's own cadence is Never would change nothing the user could see, so it
    also drops that cadence choice (back to the default, or Daily when the default is Never too). A cadence of
    Never (which the stock front ends do not offer) is stored as email off, keeping the last real cadence, so
    those front ends never read back a cadence they cannot show.
    """
    with transaction.atomic():
        row, _created = NotificationPreference.objects.select_for_update().get_or_create(
            user_id=user_id, app_name=change.app_name, notification_type=change.preference_key
        )
        if change.channel == CADENCE_CHANNEL and change.value == Cadence.NEVER:
            row.email = False
            fields = ["email"]
        else:
            fields = [change.channel]
            setattr(row, change.channel, change.value)
        if change.channel == Channel.EMAIL and change.value:
            cadence = _cadence_for_email_on(user_id, change, row.email_cadence)
            if cadence != row.email_cadence:
                row.email_cadence = cadence
                fields.append("email_cadence")
        row.save(update_fields=[*fields, "modified"])
    log.info(
        "user %s set %s of %s/%s to %s", user_id, change.channel, change.app_name, change.preference_key, change.value
    )


def _cadence_for_email_on(user_id: int, change: PreferenceChange, own: str | None) -> str | None:
    """The row's cadence choice once email is on: unchanged unless the cadence in effect is Never."""
    default = row_defaults(change.app_name, change.preference_key).email_cadence
    app_wide = (
        NotificationPreference.objects.filter(
            user_id=user_id, app_name=change.app_name, notification_type=APP_WIDE_TYPE
        )
        .values_list("email_cadence", flat=True)
        .first()
    )
    if (own or app_wide or default) != Cadence.NEVER:
        return own
    if (app_wide or default) != Cadence.NEVER:
        return None
    return (default if default != Cadence.NEVER else FALLBACK_CADENCE).value


def set_choice(
    user_id: int,
    app_name: object,
    preference_key: object,
    channel: object,
    value: object = None,
    cadence: object = None,
    roles: frozenset[str] | None = None,
) -> PreferenceChange:
    """Validate and store one change for ``user_id``; ``roles`` None means the user may see every row."""
    change = validate(app_name, preference_key, channel, value, cadence, roles)
    apply(user_id, change)
    return change
