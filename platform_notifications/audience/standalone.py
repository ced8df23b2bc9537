"""Audience filters for a standalone platform, backed by the ``CourseMembership`` roster model."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from platform_notifications.audience.resolver import AudienceFilter, IntegerValuesFilter
from platform_notifications.models import CourseMembership


def _members(course_id: str) -> QuerySet:
    return CourseMembership.objects.filter(course_id=course_id, is_active=True)


class ActiveLearners(AudienceFilter):
    """Everyone actively enrolled (any mode)."""

    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        return _members(course_id).exclude(mode="").values_list("user_id", flat=True)


class EnrollmentModes(AudienceFilter):
    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        return _members(course_id).filter(mode__in=values).values_list("user_id", flat=True)


class CourseRoles(AudienceFilter):
    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        return _members(course_id).filter(course_role__in=values).values_list("user_id", flat=True)


class DiscussionRoles(AudienceFilter):
    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        return _members(course_id).filter(discussion_role__in=values).values_list("user_id", flat=True)


class Cohorts(IntegerValuesFilter):
    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        return _members(course_id).filter(cohort_id__in=values).values_list("user_id", flat=True)


class Teams(AudienceFilter):
    def user_ids(self, course_id: str, values: list[Any]) -> QuerySet:
        return _members(course_id).filter(team_id__in=[str(v) for v in values]).values_list("user_id", flat=True)
