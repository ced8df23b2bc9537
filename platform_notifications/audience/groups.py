"""The ``groups`` audience: members of Django groups (the ERP's roles), named or by id."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet

from platform_notifications.exceptions import UnknownGroup


def clean(value: Any) -> list[int]:
    """Group ids for ``value`` (names, ids or ``Group`` objects); an unknown group is refused."""
    if isinstance(value, str | int | Group):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        raise UnknownGroup("groups must be a list of group names or ids")
    names, ids = set(), set()
    for item in value:
        if isinstance(item, Group):
            item = item.pk
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise UnknownGroup(f"a group is a name or an id, got {item!r}")
        (ids if isinstance(item, int) else names).add(item)
    found = dict(Group.objects.filter(name__in=names).values_list("name", "id")) if names else {}
    known_ids = set(Group.objects.filter(id__in=ids).values_list("id", flat=True)) if ids else set()
    missing = sorted(map(str, (names - set(found)) | (ids - known_ids)))
    if missing:
        raise UnknownGroup(f"unknown group {', '.join(missing)}")
    return sorted(set(found.values()) | known_ids)


def members(group_ids: list[int]) -> QuerySet:
    """User ids of the groups' members, as a subquery (uses the membership table's (user, group) key)."""
    through = get_user_model().groups.through
    return through.objects.filter(group_id__in=group_ids).values_list("user_id", flat=True)
