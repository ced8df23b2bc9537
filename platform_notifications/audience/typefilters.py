"""Type filters: the names a notification type lists under ``filters``, each dropping some recipients.

Open edX ships one, ``filter_audit_expired_users_with_no_role``: a learner whose audit access to the course has
expired and who holds no course or forum role receives nothing of that type. The names map to classes through
the ``NOTIFICATION_TYPE_FILTERS`` setting, merged over the host's defaults (Open edX's models when they are
installed, the standalone ``CourseMembership`` roster otherwise), so a standalone platform plugs its own rule in
under the same name.

A filter is instantiated once per fan-out and asked once per chunk, so it may keep course-level facts (the
course's modes, its start) on the instance and costs a fixed number of queries per chunk.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

from django.utils import timezone
from django.utils.module_loading import import_string

from platform_notifications.config.settings import get_setting
from platform_notifications.core.idsets import lookup
from platform_notifications.models import CourseMembership

AUDIT_EXPIRED = "filter_audit_expired_users_with_no_role"

STANDALONE_TYPE_FILTERS = {AUDIT_EXPIRED: "platform_notifications.audience.typefilters.AuditExpiredWithoutRole"}
OPENEDX_TYPE_FILTERS = {AUDIT_EXPIRED: "platform_notifications.audience.openedx.AuditExpiredWithoutRole"}


class TypeFilter:
    """Drops recipients of one type. Subclass, or name a plain function ``f(course_id, user_ids)``."""

    def excluded(self, course_id: str, user_ids: list[int]) -> Iterable[int]:
        """The ids among ``user_ids`` that must not receive this notification."""
        raise NotImplementedError


class _FunctionFilter(TypeFilter):
    def __init__(self, function: Callable[[str, list[int]], Iterable[int]]) -> None:
        self.function = function

    def excluded(self, course_id: str, user_ids: list[int]) -> Iterable[int]:
        return self.function(course_id, user_ids)


def type_filter_paths() -> dict[str, str]:
    """Every known filter name with the dotted path of its class or function."""
    from django.apps import apps

    openedx = apps.is_installed("common.djangoapps.student")
    defaults = OPENEDX_TYPE_FILTERS if openedx else STANDALONE_TYPE_FILTERS
    return {**defaults, **(get_setting("NOTIFICATION_TYPE_FILTERS") or {})}


def type_filter(name: str) -> TypeFilter:
    """A fresh instance of the filter called ``name`` (``KeyError`` when no such filter is configured)."""
    target = import_string(type_filter_paths()[name])
    if inspect.isclass(target):
        return target()
    return _FunctionFilter(target)


class AuditExpiredWithoutRole(TypeFilter):
    """Standalone rule: an ``audit`` member whose ``audit_access_expires`` has passed and who holds no role."""

    def excluded(self, course_id: str, user_ids: list[int]) -> Iterable[int]:
        wanted = set(user_ids)  # a range lookup may return neighbours
        rows = (
            CourseMembership.objects.filter(
                course_id=course_id,
                # A dense chunk by id range (two parameters, not one per id); neighbours are dropped below.
                **lookup("user_id", user_ids),
                mode="audit",
                course_role="",
                discussion_role__in=("", "Student"),
                audit_access_expires__lt=timezone.now(),
                user__is_staff=False,  # as in Open edX: global staff keep access
            )
            .values_list("user_id", flat=True)
            .iterator()
        )
        return (uid for uid in rows if uid in wanted)
