"""Validation of ``service.send``'s audience dict on receipt: every key known, every group and permission existing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platform_notifications.audience import followers, groups, hosts, permissions
from platform_notifications.audience.resolver import filter_classes
from platform_notifications.audience.spec import clean_users
from platform_notifications.exceptions import UnknownAudience
from platform_notifications.intake import validation
from platform_notifications.intake.content import jsonable

__all__ = ["clean", "clean_users"]


def clean(audience: Any) -> dict[str, Any]:
    """The audience as stored (JSON); raises ``UnknownAudience`` (or another refusal) for anything it cannot use."""
    if not isinstance(audience, Mapping) or not audience:
        raise UnknownAudience("the audience must be a non-empty dict")
    course_filters = set(filter_classes())
    unknown = sorted(
        str(key) for key in audience if key not in hosts.BUILT_IN and key not in course_filters and not hosts.get(key)
    )
    if unknown:
        known = sorted({*hosts.BUILT_IN, *hosts.keys(), *course_filters})
        raise UnknownAudience(f"unknown audience key {', '.join(map(repr, unknown))} (known: {', '.join(known)})")
    stray = sorted(key for key in audience if key in course_filters and "course" not in audience)
    if stray:
        raise UnknownAudience(f"audience filter {', '.join(stray)} needs a 'course'")
    cleaned: dict[str, Any] = {}
    if "users" in audience:
        cleaned["users"] = clean_users(audience["users"])
    if "groups" in audience:
        cleaned["groups"] = groups.clean(audience["groups"])
    if "followers_of" in audience:
        cleaned["followers_of"] = followers.clean(audience["followers_of"])
    if "course" in audience:
        course_id = validation.course_key(audience["course"], required=True)
        filters = {key: audience[key] for key in audience if key in course_filters}
        cleaned["course"] = {"id": course_id, "filters": validation.audience_filters(filters, course_id)}
    for key in audience:
        if key not in hosts.BUILT_IN and key not in course_filters:
            value = audience[key]
            check = getattr(hosts.get(key), "clean", None)
            if check is not None:
                value = check(value)
            cleaned.setdefault("hosts", {})[key] = jsonable(value, f"audience {key!r}")
    if "permissions" in audience:
        cleaned["permissions"] = permissions.clean(audience["permissions"])
    if not set(cleaned) - {"permissions"}:
        raise UnknownAudience("the audience names nobody (permissions only narrow a union of other keys)")
    return cleaned
