"""The one course of the demo platform and the roles of its members."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from opaque_keys.edx.keys import CourseKey

from platform_notifications.models import CourseMembership

COURSE_ID = "course-v1:Demo+N101+2026"
COURSE_NAME = "Notifications 101"
COURSE_STAFF_ROLES = ("staff", "instructor")


def course_key() -> CourseKey:
    return CourseKey.from_string(COURSE_ID)


def is_course_staff(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Course staff may post to all learners, publish updates and grade."""
    if not user.is_authenticated:
        return False
    return CourseMembership.objects.filter(
        user=user, course_id=COURSE_ID, is_active=True, course_role__in=COURSE_STAFF_ROLES
    ).exists()


def learners():
    """Active learners of the course (members with an enrollment mode), for the grading form."""
    from django.contrib.auth import get_user_model

    ids = CourseMembership.objects.filter(course_id=COURSE_ID, is_active=True).exclude(mode="").values("user_id")
    return get_user_model().objects.filter(id__in=ids, is_active=True).order_by("username")
