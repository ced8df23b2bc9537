"""Fake Open edX models: ``student``, ``django_comment_common``, ``course_groups`` and ``teams``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from opaque_keys.edx.django.models import CourseKeyField

LABEL = "fake_openedx"


class CourseOverview(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    id = CourseKeyField(max_length=255, primary_key=True)

    class Meta:
        app_label = LABEL


class CourseEnrollment(models.Model):  # noqa: DJ008 (a stand-in; never displayed)
    # As in Open edX: a foreign key to CourseOverview whose column is ``course_id``.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(CourseOverview, db_constraint=False, on_delete=models.DO_NOTHING, related_name="+")
    is_active = models.BooleanField(default=True)
    mode = models.CharField(max_length=100, default="audit")

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


ALL = (
    CourseOverview,
    CourseEnrollment,
    CourseAccessRole,
    Role,
    CourseUserGroup,
    CohortMembership,
    CourseTeam,
    CourseTeamMembership,
)
