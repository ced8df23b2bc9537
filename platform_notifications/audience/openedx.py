"""Audience filters reading Open edX's own models, imported lazily so the app installs anywhere."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from platform_notifications.audience.resolver import AudienceFilter, IntegerValuesFilter
from platform_notifications.core.idsets import lookup
from platform_notifications.exceptions import InvalidNotificationData


def _key(course_id: str) -> CourseKey:
    return CourseKey.from_string(course_id)


class OpenEdxFilter(AudienceFilter):
    """Open edX's models key courses by ``CourseKey``: a course id that does not parse is refused on receipt."""

    def clean_course_id(self, course_id: str) -> None:
        try:
            _key(course_id)
        except InvalidKeyError as error:
            raise InvalidNotificationData(f"{course_id!r} is not an Open edX course key") from error


class ActiveLearners(OpenEdxFilter):
    """Users with an active enrollment in the course (``student.CourseEnrollment``)."""

    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        from common.djangoapps.student.models import CourseEnrollment

        return CourseEnrollment.objects.filter(course_id=_key(course_id), is_active=True).values_list(
            "user_id", flat=True
        )


class EnrollmentModes(OpenEdxFilter):
    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        from common.djangoapps.student.models import CourseEnrollment

        return CourseEnrollment.objects.filter(course_id=_key(course_id), is_active=True, mode__in=values).values_list(
            "user_id", flat=True
        )


class CourseRoles(OpenEdxFilter):
    """Course team members by ``student.CourseAccessRole`` role (``staff``, ``instructor``)."""

    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        from common.djangoapps.student.models import CourseAccessRole

        return CourseAccessRole.objects.filter(course_id=_key(course_id), role__in=values).values_list(
            "user_id", flat=True
        )


class DiscussionRoles(OpenEdxFilter):
    """Forum roles (``Administrator``, ``Moderator``, ``Community TA``, ``Student``)."""

    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        from openedx.core.djangoapps.django_comment_common.models import Role

        return Role.objects.filter(course_id=_key(course_id), name__in=values).values_list("users__id", flat=True)


class Cohorts(OpenEdxFilter, IntegerValuesFilter):
    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        from openedx.core.djangoapps.course_groups.models import CohortMembership

        return CohortMembership.objects.filter(course_id=_key(course_id), course_user_group_id__in=values).values_list(
            "user_id", flat=True
        )


class Teams(OpenEdxFilter):
    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        from lms.djangoapps.teams.models import CourseTeamMembership

        return CourseTeamMembership.objects.filter(
            team__course_id=_key(course_id), team__team_id__in=[str(v) for v in values]
        ).values_list("user_id", flat=True)


#: Forum roles that keep access to a course whatever the enrollment (as Open edX's filter counts them).
FORUM_STAFF_ROLES = ("Administrator", "Moderator", "Community TA", "Group Moderator")


class AuditExpiredWithoutRole:
    """Open edX's ``filter_audit_expired_users_with_no_role``, read from Open edX's own models.

    Only in a course with a verified mode (expired ones included): an active audit enrollment of a user who is
    not global staff and holds no course access role and no forum staff role has expired when its content
    availability (the later of enrollment and course start) plus the course's expected duration is past. When
    course duration limits are enabled for the course, only enrollments created since they were enabled count.
    The course-level facts are read once per fan-out, the enrollments once per chunk (one query).
    """

    def __init__(self) -> None:
        self._course: dict[str, tuple | None] = {}

    def _course_facts(self, key: CourseKey) -> tuple | None:
        """(course start, expected access duration, enrollments counted since) or None: nobody is filtered."""
        from common.djangoapps.course_modes.models import CourseMode
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview
        from openedx.features.course_duration_limits.access import get_expected_duration
        from openedx.features.course_duration_limits.models import CourseDurationLimitConfig

        if not CourseMode.verified_mode_for_course(course_id=key, include_expired=True):
            return None
        duration = get_expected_duration(key)
        start = CourseOverview.objects.filter(id=key).values_list("start", flat=True).first()
        if duration is None or start is None:
            return None
        limits = CourseDurationLimitConfig.current(course_key=key)
        since = limits.enabled_as_of if limits.enabled_for_course(key) else None
        return start, duration, since

    def excluded(self, course_id: str, user_ids: list[int]) -> list[int]:
        from common.djangoapps.student.models import CourseAccessRole, CourseEnrollment
        from openedx.core.djangoapps.django_comment_common.models import Role

        try:
            key = _key(course_id)
        except InvalidKeyError:
            return []  # not an Open edX course: the filter does not apply
        if course_id not in self._course:
            self._course[course_id] = self._course_facts(key)
        facts = self._course[course_id]
        if facts is None:
            return []
        start, duration, since = facts
        enrollments = (
            CourseEnrollment.objects.filter(
                **lookup("user_id", user_ids), course_id=key, mode="audit", user__is_staff=False
            )
            .exclude(user_id__in=CourseAccessRole.objects.filter(course_id=key).values("user_id"))
            .exclude(user_id__in=Role.objects.filter(course_id=key, name__in=FORUM_STAFF_ROLES).values("users__id"))
        )
        if since is not None:
            enrollments = enrollments.filter(created__gte=since)
        now = timezone.now()
        rows = enrollments.values_list("user_id", "created")
        wanted = set(user_ids)  # a range lookup may return neighbours
        return [uid for uid, created in rows if uid in wanted and max(created, start) + duration < now]
