"""Effective preferences: the user's own choice where they made one, else the configured default.

Only what users chose is stored (null fields mean "not chosen"), so an operator's override reaches every
user who has not chosen. Lookup order per channel: the type's row (or the app's bundled row), then the
app-wide ``*`` row, then (email only) the user's global opt-out, then the user's role defaults
(``role_defaults``, from their groups), then the configured default (override dicts, then the kind's). Channels in
``non_editable`` always take the default, whatever is stored; a locked email channel locks its cadence too (a
stored ``Never`` must not stop an email the operator made mandatory).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from platform_notifications.config import Cadence, Channel, ChannelDefaults, NotificationType, registry
from platform_notifications.config.enums import APP_WIDE_TYPE
from platform_notifications.core.idsets import lookup
from platform_notifications.models import NotificationPreference, UserNotificationSettings
from platform_notifications.preferences import role_defaults

#: Key of a user's role defaults inside ``stored_choices`` (no app is named so: app names are lower-case words).
ROLES = "@roles"

_FIELDS = ("web", "email", "push", "email_cadence")


@dataclass(frozen=True, slots=True)
class Effective:
    """What applies to one user for one type."""

    web: bool
    email: bool
    push: bool
    email_cadence: Cadence

    @property
    def emails(self) -> bool:
        """Email goes out only when switched on with a cadence other than Never."""
        return self.email and self.email_cadence != Cadence.NEVER

    def any(self) -> bool:
        return self.web or self.emails or self.push


def combine(
    defaults: ChannelDefaults,
    own: dict | None,
    app_wide: dict | None,
    email_opt_out: bool,
    roles: dict | None = None,
) -> Effective:
    """Apply stored choices (dicts of the four fields, None = not chosen), then role defaults, over ``defaults``."""
    values: dict = {}
    for name in _FIELDS:
        value = None
        # The cadence belongs to the email channel: locked with it.
        channel = Channel.EMAIL if name == "email_cadence" else Channel(name)
        locked = channel in defaults.non_editable
        if not locked:
            for row in (own, app_wide):
                if row is not None and row.get(name) is not None:
                    value = row[name]
                    break
            if value is None and name == "email" and email_opt_out:
                value = False
            if value is None and roles:
                value = roles.get(name)
        values[name] = getattr(defaults, name) if value is None else value
    values["email_cadence"] = Cadence(values["email_cadence"])
    return Effective(**values)


def for_users(ntype: NotificationType, user_ids: Iterable[int]) -> dict[int, Effective]:
    """Effective preferences of many users for one type, in two queries whatever their number.

    Three when a group of ``NOTIFICATION_ROLE_DEFAULTS`` names the type's kind (``role_defaults.for_users``).
    """
    user_ids = list(user_ids)
    defaults = registry.type_defaults(ntype)
    rows = NotificationPreference.objects.filter(
        **lookup("user_id", user_ids),
        app_name=ntype.app_name,
        notification_type__in=(ntype.preference_key, APP_WIDE_TYPE),
    ).values("user_id", "notification_type", *_FIELDS)
    own: dict[int, dict] = {}
    app_wide: dict[int, dict] = {}
    for row in rows:
        (app_wide if row["notification_type"] == APP_WIDE_TYPE else own)[row["user_id"]] = row
    opted_out = set(
        UserNotificationSettings.objects.filter(**lookup("user_id", user_ids), email_opt_out=True).values_list(
            "user_id", flat=True
        )
    )
    roles = role_defaults.for_users(ntype, user_ids)
    everyone = combine(defaults, None, None, False)
    if not own and not app_wide and not opted_out and not roles:
        return dict.fromkeys(user_ids, everyone)
    # Users without any stored choice or role share one answer; the others are combined once per distinct
    # combination (a group's role default, say, is the same for all its members).
    combined: dict[tuple, Effective] = {}
    result = {}
    for uid in user_ids:
        if uid not in own and uid not in app_wide and uid not in opted_out and uid not in roles:
            result[uid] = everyone
            continue
        mine, app, role = own.get(uid), app_wide.get(uid), roles.get(uid)
        key = (_values(mine), _values(app), uid in opted_out, tuple(role.items()) if role else None)
        found = combined.get(key)
        if found is None:
            found = combined[key] = combine(defaults, mine, app, uid in opted_out, role)
        result[uid] = found
    return result


def _values(row: dict | None) -> tuple | None:
    return None if row is None else tuple(row.get(name) for name in _FIELDS)


def stored_choices(user_ids: Iterable[int]) -> dict[int, dict[tuple[str, str], dict]]:
    """Every stored choice of many users, ``{user: {(app, key): row}}``, in one query (a batch of digests).

    With ``NOTIFICATION_ROLE_DEFAULTS``, a second query adds each user's configured groups under ``(ROLES, "")``.
    """
    wanted = set(user_ids)
    rows = NotificationPreference.objects.filter(**lookup("user_id", wanted)).values(
        "user_id", "app_name", "notification_type", *_FIELDS
    )
    stored: dict[int, dict[tuple[str, str], dict]] = {}
    for row in rows:
        if row["user_id"] in wanted:  # a range lookup may return neighbours
            stored.setdefault(row["user_id"], {})[(row["app_name"], row["notification_type"])] = row
    for uid, groups in role_defaults.memberships(wanted).items():
        stored.setdefault(uid, {})[(ROLES, "")] = groups
    return stored


def _roles(ntype: NotificationType, stored: dict) -> dict | None:
    groups = stored.get((ROLES, ""))
    return role_defaults.values_for(role_defaults.kind_of_type(ntype), groups) if groups else None


def for_type(ntype: NotificationType, stored: dict[tuple[str, str], dict], email_opt_out: bool) -> Effective:
    """What applies to one user for ``ntype``, from that user's ``stored_choices`` and global opt-out."""
    return combine(
        registry.type_defaults(ntype),
        stored.get((ntype.app_name, ntype.preference_key)),
        stored.get((ntype.app_name, APP_WIDE_TYPE)),
        email_opt_out,
        _roles(ntype, stored),
    )


def for_user(user_id: int) -> dict[tuple[str, str], Effective]:
    """Effective preferences of one user for every preference row ``(app, key)``, in two queries.

    ``key`` is a type name, or ``grouped_notification`` for an app's bundled types.
    """
    rows = NotificationPreference.objects.filter(user_id=user_id).values("app_name", "notification_type", *_FIELDS)
    stored = {(row["app_name"], row["notification_type"]): row for row in rows}
    opted_out = UserNotificationSettings.objects.filter(user_id=user_id, email_opt_out=True).exists()
    groups = role_defaults.memberships([user_id]).get(user_id)
    result: dict[tuple[str, str], Effective] = {}
    for ntype in registry.types().values():
        key = (ntype.app_name, ntype.preference_key)
        if key not in result:
            result[key] = combine(
                registry.type_defaults(ntype),
                stored.get(key),
                stored.get((ntype.app_name, APP_WIDE_TYPE)),
                opted_out,
                role_defaults.values_for(role_defaults.kind_of_type(ntype), groups) if groups else None,
            )
    return result
