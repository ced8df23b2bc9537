"""A user's roles, course-independent, for ``visible_to`` filtering of preference rows.

Pluggable: the Django setting ``NOTIFICATION_USER_ROLES_FUNCTION`` (a dotted path to ``f(user) -> set[str] | None``)
replaces the standalone resolver; ``None`` means "every role". The standalone resolver collects
``CourseMembership.course_role`` and ``discussion_role`` from every active course of the user; staff hold every role.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import import_string

from platform_notifications.config.settings import get_setting
from platform_notifications.models import CourseMembership

SETTING = "NOTIFICATION_USER_ROLES_FUNCTION"


def standalone_roles(user) -> frozenset[str] | None:
    """Roles from the standalone roster (one query); ``None`` (every role) for staff and superusers."""
    if user.is_staff or user.is_superuser:
        return None
    pairs = CourseMembership.objects.filter(user=user, is_active=True).values_list("course_role", "discussion_role")
    return frozenset(role for pair in pairs.distinct() for role in pair if role)


def resolver() -> Callable[..., frozenset[str] | set[str] | None]:
    # Read on every call (not captured at import) so a host or a test can swap it with override_settings.
    path = get_setting(SETTING)
    return import_string(path) if path else standalone_roles


def user_roles(user) -> frozenset[str] | None:
    """The roles ``user`` holds in any course, or ``None`` when they may see every preference row."""
    roles = resolver()(user)
    return None if roles is None else frozenset(roles)
