"""``permissions`` narrows an audience to active users holding every permission (directly, by group, or superuser)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q

from platform_notifications.exceptions import InvalidPermission

PERMISSION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")


def clean(value: Any) -> list[int]:
    """Permission ids for ``["app_label.codename", ...]``; malformed or unknown ones are refused."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        raise InvalidPermission("permissions must be a list of 'app_label.codename' strings")
    wanted = set()
    for item in value:
        if not isinstance(item, str) or not PERMISSION.match(item):
            raise InvalidPermission(f"malformed permission {item!r}: expected 'app_label.codename'")
        wanted.add(tuple(item.split(".")))
    if not wanted:
        return []
    query = Q()
    for app_label, codename in wanted:
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = {
        (app, code): pk
        for pk, app, code in Permission.objects.filter(query).values_list("pk", "content_type__app_label", "codename")
    }
    missing = sorted(f"{app}.{code}" for app, code in wanted - set(found))
    if missing:
        raise InvalidPermission(f"unknown permission {', '.join(missing)}")
    return sorted(found.values())


def holding(permission_ids: list[int]) -> Q:
    """A filter on users: holds every permission (directly or through a group), or is a superuser.

    The groups granting each permission are read once here (one query per permission, once per fan-out), so a
    chunk's filter is two index probes per user rather than a join through the group-permission table.
    """
    user_model = get_user_model()
    direct = user_model.user_permissions.through.objects
    by_group = user_model.groups.through.objects
    group_perms = Permission.group_set.through.objects  # the group-permission table
    condition = Q()
    for pid in permission_ids:
        granting = list(group_perms.filter(permission_id=pid).values_list("group_id", flat=True))
        own = Exists(direct.filter(user_id=OuterRef("pk"), permission_id=pid))
        if granting:
            own |= Exists(by_group.filter(user_id=OuterRef("pk"), group_id__in=granting))
        condition &= own
    return Q(is_superuser=True) | condition
