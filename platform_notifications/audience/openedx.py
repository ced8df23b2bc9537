"""Audience filters reading Open edX's own models, imported lazily so the app installs anywhere."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from platform_notifications.audience.resolver import AudienceFilter, IntegerValuesFilter
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
