"""Fake Open edX models: ``student``, ``django_comment_common``, ``course_groups``, ``teams``, ``course_modes``,
``course_overviews``, ``user_api`` and the course duration limits (their function and config).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from opaque_keys.edx.django.models import CourseKeyField

LABEL = "fake_openedx"


class CourseOverview(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    id = CourseKeyField(max_length=255, primary_key=True)
    start = models.DateTimeField(null=True)

    class Meta:
        app_label = LABEL


class CourseEnrollment(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    # As in Open edX: a foreign key to CourseOverview whose column is ``course_id``.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(CourseOverview, db_constraint=False, on_delete=models.DO_NOTHING, related_name="+")
    is_active = models.BooleanField(default=True)
    mode = models.CharField(max_length=100, default="audit")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = LABEL


class CourseAccessRole(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    org = models.CharField(max_length=64, blank=True)
    course_id = CourseKeyField(max_length=255, blank=True)
    role = models.CharField(max_length=64)

    class Meta:
        app_label = LABEL


class Role(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    name = models.CharField(max_length=30)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    course_id = CourseKeyField(max_length=255, blank=True)

    class Meta:
        app_label = LABEL


class CourseUserGroup(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    name = models.CharField(max_length=255)
    course_id = CourseKeyField(max_length=255)
    group_type = models.CharField(max_length=20, default="cohort")

    class Meta:
        app_label = LABEL


class CohortMembership(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    course_user_group = models.ForeignKey(CourseUserGroup, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course_id = CourseKeyField(max_length=255)

    class Meta:
        app_label = LABEL


class CourseTeam(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    team_id = models.SlugField(max_length=255, unique=True)
    name = models.CharField(max_length=255)
    course_id = CourseKeyField(max_length=255)

    class Meta:
        app_label = LABEL


class CourseTeamMembership(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(CourseTeam, on_delete=models.CASCADE, related_name="membership")

    class Meta:
        app_label = LABEL


class CourseMode(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    course_id = CourseKeyField(max_length=255)
    mode_slug = models.CharField(max_length=100)
    expiration_datetime = models.DateTimeField(null=True)

    class Meta:
        app_label = LABEL

    @classmethod
    def verified_mode_for_course(cls, course_id=None, modes=None, include_expired=False, course=None):
        """The course's verified mode (as Open edX's classmethod), expired ones when ``include_expired``."""
        found = cls.objects.filter(course_id=course_id or course.id, mode_slug="verified")
        if not include_expired:
            unexpired = models.Q(expiration_datetime__isnull=True) | models.Q(expiration_datetime__gt=timezone.now())
            found = found.filter(unexpired)
        return found.first()


class UserPreference(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    """Open edX's account preferences (``user_api``): ``time_zone``, ``pref-lang``, ..."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    value = models.TextField()

    class Meta:
        app_label = LABEL
        unique_together = ("user", "key")


#: Expected audit access duration per course key string (Open edX computes it from the course's effort);
#: missing: Open edX's minimum, four weeks.
EXPECTED_DURATIONS: dict[str, timedelta | None] = {}


def get_expected_duration(course_id) -> timedelta | None:
    return EXPECTED_DURATIONS.get(str(course_id), timedelta(weeks=4))


@dataclass
class CourseDurationLimitConfig:
    """Open edX's config model, reduced to what the audit filter reads; ``ENABLED`` switches it per course."""

    enabled_as_of: datetime | None = None

    ENABLED = {}  # course key string -> enabled_as_of  # noqa: RUF012 (test knob)

    @classmethod
    def current(cls, course_key=None) -> CourseDurationLimitConfig:
        return cls(enabled_as_of=cls.ENABLED.get(str(course_key)))

    def enabled_for_course(self, course_key) -> bool:
        return self.enabled_as_of is not None


ALL = (
    CourseOverview,
    CourseEnrollment,
    CourseAccessRole,
    Role,
    CourseUserGroup,
    CohortMembership,
    CourseTeam,
    CourseTeamMembership,
    CourseMode,
    UserPreference,
)
