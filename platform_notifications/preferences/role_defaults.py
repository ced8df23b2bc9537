"""Role defaults: channel values a user inherits from their Django groups (the ERP's "defaults from the role").

``NOTIFICATION_ROLE_DEFAULTS = {"<group name>": {"<kind>": {"web": bool, "email": bool, "push": bool}}}``. A user
without a stored choice for a kind takes, per channel, the values of their groups that name it: on if any of
them turns it on, off if they all turn it off; a channel no group names falls through to the override dicts and
the kind's defaults. Precedence: stored choice, role default, override dict, kind default. Locked channels
(``non_editable``) keep the configured value.

Computed in SQL, one aggregate query per chunk (``MAX`` of a ``CASE`` per channel over the users' groups), and
only for kinds some group names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Max, Value, When

from platform_notifications.config import Channel, NotificationType
from platform_notifications.config.kinds import kind_of
from platform_notifications.config.settings import get_setting
from platform_notifications.core.idsets import lookup

CHANNELS = tuple(channel.value for channel in Channel)


def configured() -> Mapping[str, Mapping[str, Mapping[str, bool]]]:
    """The setting, read on every call (``override_settings`` and live changes apply)."""
    return get_setting("NOTIFICATION_ROLE_DEFAULTS") or {}


def kind_of_type(ntype: NotificationType) -> str:
    return kind_of(ntype.app_name, ntype.name)


def groups_for(kind: str) -> dict[str, dict[str, bool]]:
    """``{group name: {channel: value}}`` of the groups that give ``kind`` a default."""
    found = {}
    for group, kinds in configured().items():
        values = kinds.get(kind) if isinstance(kinds, Mapping) else None
        if isinstance(values, Mapping):
            chosen = {c: bool(values[c]) for c in CHANNELS if isinstance(values.get(c), bool)}
            if chosen:
                found[group] = chosen
    return found


def for_users(ntype: NotificationType, user_ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """``{user: {channel: value}}`` from the users' groups for ``ntype``; users no group covers are absent.

    One query (none when no group names the kind).
    """
    groups = groups_for(kind_of_type(ntype))
    users = list(user_ids)
    if not groups or not users:
        return {}
    membership = get_user_model().groups.through
    annotations = {}
    for channel in CHANNELS:
        on = [name for name, values in groups.items() if values.get(channel) is True]
        off = [name for name, values in groups.items() if values.get(channel) is False]
        whens = [When(group__name__in=on, then=Value(1))] if on else []
        whens += [When(group__name__in=off, then=Value(0))] if off else []
        annotations[channel] = (
            Max(Case(*whens, default=Value(None), output_field=IntegerField()))
            if whens
            else Value(None, output_field=IntegerField())
        )
    rows = (
        membership.objects.filter(**lookup("user_id", users), group__name__in=list(groups))
        .values("user_id")
        .annotate(**annotations)
        .values_list("user_id", *CHANNELS)
        .order_by()
    )
    wanted = set(users)
    result: dict[int, dict[str, bool]] = {}
    for uid, *values in rows:
        if uid in wanted:  # a range lookup may return neighbours
            chosen = {c: bool(v) for c, v in zip(CHANNELS, values, strict=True) if v is not None}
            if chosen:
                result[uid] = chosen
    return result


def problems() -> list[str]:
    """What is wrong with the setting (``manage.py check``)."""
    config = configured()
    if not isinstance(config, Mapping):
        return ["NOTIFICATION_ROLE_DEFAULTS must be a dict of group name -> {kind: {channel: bool}}"]
    found = []
    for group, kinds in config.items():
        if not isinstance(kinds, Mapping):
            found.append(f"NOTIFICATION_ROLE_DEFAULTS[{group!r}] must be a dict of kind -> {{channel: bool}}")
            continue
        for kind, values in kinds.items():
            if not isinstance(values, Mapping) or set(values) - set(CHANNELS):
                found.append(f"NOTIFICATION_ROLE_DEFAULTS[{group!r}][{kind!r}]: keys must be web, email, push")
            elif any(not isinstance(v, bool) for v in values.values()):
                found.append(f"NOTIFICATION_ROLE_DEFAULTS[{group!r}][{kind!r}]: values must be True or False")
    return found


def memberships(user_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """``{user: groups}`` of the configured groups each user belongs to (one query; none without the setting)."""
    names = list(configured())
    users = set(user_ids)
    if not names or not users:
        return {}
    membership = get_user_model().groups.through
    found: dict[int, set[str]] = {}
    for uid, name in membership.objects.filter(**lookup("user_id", users), group__name__in=names).values_list(
        "user_id", "group__name"
    ):
        if uid in users:
            found.setdefault(uid, set()).add(name)
    return {uid: frozenset(names) for uid, names in found.items()}


def values_for(kind: str, groups: Iterable[str]) -> dict[str, bool]:
    """The channel values ``groups`` give ``kind``: on if any turns a channel on (the SQL of ``for_users``)."""
    chosen: dict[str, bool] = {}
    by_group = groups_for(kind)
    for group in groups:
        for channel, value in by_group.get(group, {}).items():
            chosen[channel] = chosen.get(channel, False) or value
    return chosen
