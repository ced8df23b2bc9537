"""Grouper classes collapse a new notification into the user's still-unseen row of the same group.

A grouper is registered per notification type with ``@register_grouper("type")`` and merges the new
notification's context into the existing row's. ``merge_chunk`` does it for a whole chunk of users with
one read of candidate rows and one bulk update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from platform_notifications.config import toggles
from platform_notifications.models import Notification

if TYPE_CHECKING:
    from platform_notifications.config import NotificationType
    from platform_notifications.models import NotificationRequest
    from platform_notifications.preferences import Effective


class BaseGrouper:
    """Merge one new notification's context into an existing grouped row's context."""

    #: Variables this grouper adds to the context, which ``grouped_content_template`` may use.
    provides: frozenset[str] = frozenset()

    def group(self, existing: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
        """Return the merged context. Must set ``rendering.GROUPED_FLAG`` to use the grouped template."""
        raise NotImplementedError


_GROUPERS: dict[str, type[BaseGrouper]] = {}


def register_grouper(notification_type: str) -> Callable[[type[BaseGrouper]], type[BaseGrouper]]:
    """Class decorator: use the class to group notifications of ``notification_type``."""

    def decorator(cls: type[BaseGrouper]) -> type[BaseGrouper]:
        from platform_notifications.config import registry

        if registry.get_type(notification_type) is None:
            raise ImproperlyConfigured(f"grouper {cls.__name__} is registered for unknown type {notification_type!r}")
        if notification_type in _GROUPERS and _GROUPERS[notification_type] is not cls:
            raise ImproperlyConfigured(f"notification type {notification_type!r} already has a grouper")
        _GROUPERS[notification_type] = cls
        return cls

    return decorator


def unregister_grouper(notification_type: str) -> None:
    _GROUPERS.pop(notification_type, None)


def get_grouper(notification_type: str) -> BaseGrouper | None:
    cls = _GROUPERS.get(notification_type)
    return cls() if cls else None


def groupers() -> dict[str, type[BaseGrouper]]:
    return dict(_GROUPERS)


def merge_chunk(
    request: NotificationRequest,
    ntype: NotificationType,
    prefs: Mapping[int, Effective],
    now: datetime,
) -> list[Notification]:
    """Fold the request into each user's unseen row of the same group; return the updated rows.

    Users whose row was updated get no new row. One query reads candidates (locked, so concurrent
    fan-outs of the same group serialise on them) and one bulk update writes them.
    """
    if not request.group_by_id or not prefs:
        return []
    grouper = get_grouper(ntype.name)
    if grouper is None or not toggles.ENABLE_NOTIFICATION_GROUPING.is_enabled():
        return []
    candidates = (
        Notification.objects.select_for_update()
        .filter(
            user_id__in=list(prefs),
            notification_type=ntype.name,
            group_by_id=request.group_by_id,
            course_id=request.course_id,
            last_seen__isnull=True,
        )
        .order_by("user_id", "-created")
    )
    merged: dict[int, Notification] = {}
    for row in candidates:
        if row.user_id in merged:
            continue  # an older unseen row of the same group; the newest one keeps up
        effective = prefs[row.user_id]
        row.content_context = grouper.group(row.content_context, request.context)
        row.content_url = request.content_url
        row.created = row.modified = now
        row.last_read = None
        row.web, row.email, row.push = effective.web, effective.emails, effective.push
        row.email_cadence = effective.email_cadence if effective.emails else ""
        # The grouped row takes part in email like a new one, with its latest content.
        row.email_sent_on = None
        merged[row.user_id] = row
    if merged:
        Notification.objects.bulk_update(
            merged.values(),
            [
                "content_context",
                "content_url",
                "created",
                "modified",
                "last_read",
                "web",
                "email",
                "push",
                "email_cadence",
                "email_sent_on",
            ],
        )
    return list(merged.values())
