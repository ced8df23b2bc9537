"""Course-wide audiences: each filter alone, unions, the no-filter default, exclusions and chunking.

Every case runs against both shipped filter sets: the standalone ``CourseMembership`` roster and the Open
edX filters, the latter querying test-only models shaped like Open edX's (``fake_openedx``).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.test import override_settings
from opaque_keys.edx.keys import CourseKey

from platform_notifications import exceptions as errors
from platform_notifications.audience.resolver import OPENEDX_FILTERS, STANDALONE_FILTERS, AudienceFilter, filter_paths
from platform_notifications.fanout import run as fanout
from platform_notifications.intake import send as sending
from platform_notifications.models import Notification, NotificationRequest
from tests.factories import COURSE, MembershipFactory, UserFactory
from tests.foundation import fake_openedx
from tests.foundation.conftest import COURSE_KEY, RESPONSE_CONTEXT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notifications_on")]

OTHER_COURSE = "course-v1:Other+Num+Run"
COHORT_1, COHORT_2, OTHER_COHORT = 101, 102, 201

# name -> where the person stands (in COURSE unless ``other_course``).
WORLD = {
    "audit": {"mode": "audit"},
    "verified": {"mode": "verified"},
    "staff": {"mode": "audit", "course_role": "staff"},
    "instructor": {"mode": "verified", "course_role": "instructor"},
    "moderator": {"mode": "audit", "discussion_role": "Moderator"},
    "ta": {"mode": "audit", "discussion_role": "Community TA"},
    "cohort1": {"mode": "audit", "cohort": COHORT_1},
    "cohort2": {"mode": "audit", "cohort": COHORT_2},
    "team_a": {"mode": "audit", "team": "team-a"},
    "dropped": {"mode": "verified", "active": False},
    "deactivated": {"mode": "verified", "user_active": False, "course_role": "staff", "cohort": COHORT_1},
    "elsewhere": {
        "mode": "verified",
        "other_course": True,
        "course_role": "staff",
        "discussion_role": "Moderator",
        "cohort": OTHER_COHORT,
        "team": "team-b",
    },
}
LEARNERS = ["audit", "verified", "staff", "instructor", "moderator", "ta", "cohort1", "cohort2", "team_a"]

CASES = [
    ({}, LEARNERS),
    (None, LEARNERS),
    ({"enrollments": ["verified"]}, ["verified", "instructor"]),
    ({"enrollments": ["audit", "verified"]}, LEARNERS),
    ({"course_roles": ["staff"]}, ["staff"]),
    ({"course_roles": ["staff", "instructor"]}, ["staff", "instructor"]),
    ({"discussion_roles": ["Moderator"]}, ["moderator"]),
    ({"discussion_roles": ["Moderator", "Community TA"]}, ["moderator", "ta"]),
    ({"cohorts": [COHORT_1]}, ["cohort1"]),
    ({"cohorts": [str(COHORT_1), COHORT_2]}, ["cohort1", "cohort2"]),
    ({"teams": ["team-a"]}, ["team_a"]),
    ({"teams": ["team-b"]}, []),
    ({"enrollments": ["verified"], "teams": ["team-a"]}, ["verified", "instructor", "team_a"]),
    (
        {"course_roles": ["staff"], "discussion_roles": ["Moderator"], "cohorts": [COHORT_2]},
        ["staff", "moderator", "cohort2"],
    ),
    ({"course_roles": []}, []),
]


def _standalone(world: dict) -> dict[str, int]:
    ids = {}
    for name, where in world.items():
        user = UserFactory(username=name, is_active=where.get("user_active", True))
        MembershipFactory(
            user=user,
            course_id=OTHER_COURSE if where.get("other_course") else COURSE,
            mode=where["mode"],
            is_active=where.get("active", True),
            course_role=where.get("course_role", ""),
            discussion_role=where.get("discussion_role", "Student"),
            cohort_id=where.get("cohort"),
            team_id=where.get("team", ""),
        )
        ids[name] = user.id
    return ids


def _openedx(world: dict) -> dict[str, int]:
    from tests.foundation.fake_openedx import models as m

    courses = {key: m.CourseOverview.objects.create(id=CourseKey.from_string(key)) for key in (COURSE, OTHER_COURSE)}
    cohorts = {
        cohort: m.CourseUserGroup.objects.create(id=cohort, name=str(cohort), course_id=courses[course].id)
        for cohort, course in ((COHORT_1, COURSE), (COHORT_2, COURSE), (OTHER_COHORT, OTHER_COURSE))
    }
    teams = {
        team: m.CourseTeam.objects.create(team_id=team, name=team, course_id=courses[course].id)
        for team, course in (("team-a", COURSE), ("team-b", OTHER_COURSE))
    }
    ids = {}
    for name, where in world.items():
        user = UserFactory(username=name, is_active=where.get("user_active", True))
        course = courses[OTHER_COURSE if where.get("other_course") else COURSE]
        m.CourseEnrollment.objects.create(
            user=user, course=course, mode=where["mode"], is_active=where.get("active", True)
        )
        if "course_role" in where:
            m.CourseAccessRole.objects.create(user=user, org="Org", course_id=course.id, role=where["course_role"])
        if "discussion_role" in where:
            role, _ = m.Role.objects.get_or_create(name=where["discussion_role"], course_id=course.id)
            role.users.add(user)
        if "cohort" in where:
            m.CohortMembership.objects.create(
                course_user_group=cohorts[where["cohort"]], user=user, course_id=course.id
            )
        if "team" in where:
            m.CourseTeamMembership.objects.create(user=user, team=teams[where["team"]])
        ids[name] = user.id
    # A forum role nobody holds: its empty join must not add anyone (nor a NULL id).
    m.Role.objects.create(name="Administrator", course_id=courses[COURSE].id)
    return ids


@pytest.fixture(scope="session")
def fake_openedx_tables(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        fake_openedx.create_tables(connection)


@pytest.fixture(params=["standalone", "openedx"])
def world(request, fake_openedx_tables):
    """Populate WORLD for one filter set and select that set; returns name -> user id."""
    if request.param == "standalone":
        with override_settings(NOTIFICATION_AUDIENCE_FILTERS=None):
            yield _standalone(WORLD)
        return
    with fake_openedx.installed(), override_settings(NOTIFICATION_AUDIENCE_FILTERS=OPENEDX_FILTERS):
        yield _openedx(WORLD)


def _names(ids: dict[str, int]) -> list[str]:
    by_id = {uid: name for name, uid in ids.items()}
    return sorted(by_id[uid] for uid in Notification.objects.values_list("user_id", flat=True))


@pytest.mark.parametrize(("filters", "expected"), CASES)
def test_audience(world, send_course, filters, expected):
    send_course(filters)
    assert _names(world) == sorted(expected)


@pytest.mark.parametrize("batch_size", [1, 2, 4, 100])
def test_course_audience_is_chunked(world, batch_size, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        request = sending.notify_course(COURSE_KEY, "discussion", "new_response", "/x", RESPONSE_CONTEXT)
    with override_settings(NOTIFICATION_CREATION_BATCH_SIZE=batch_size):
        result = fanout.process_request(request.pk)
    assert result.chunks == -(-len(LEARNERS) // batch_size)
    assert _names(world) == sorted(LEARNERS)  # each exactly once
    request.refresh_from_db()
    assert (request.state, request.created_count) == ("done", len(LEARNERS))


def test_sender_excluded(world, send_course):
    send_course({"course_roles": ["staff", "instructor"]}, context={**RESPONSE_CONTEXT, "sender_id": world["staff"]})
    assert _names(world) == ["instructor"]


def test_openedx_filters_chosen_when_openedx_is_installed(monkeypatch):
    from django.apps import apps

    assert filter_paths() == STANDALONE_FILTERS
    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name == "common.djangoapps.student" or installed(name))
    assert filter_paths() == OPENEDX_FILTERS


def test_openedx_filters_refuse_a_course_id_that_is_not_a_course_key():
    with (
        override_settings(NOTIFICATION_AUDIENCE_FILTERS=OPENEDX_FILTERS),
        pytest.raises(errors.InvalidNotificationData, match="course key"),
    ):
        sending.notify_course("not a course key", "discussion", "new_response", "/x", RESPONSE_CONTEXT)
    assert not NotificationRequest.objects.exists()


class GroupMembers(AudienceFilter):
    """A platform's own filter: members of Django groups named by the producer."""

    def user_ids(self, course_id: str, values: list) -> QuerySet:
        return Group.objects.filter(name__in=values).values_list("user__id", flat=True)


@override_settings(NOTIFICATION_AUDIENCE_FILTERS={"groups": f"{__name__}.GroupMembers"})
def test_platform_plugs_its_own_filter(send_course):
    editors = Group.objects.create(name="editors")
    inside, outside = UserFactory(), UserFactory()
    inside.groups.add(editors)
    send_course({"groups": ["editors"]})
    assert list(Notification.objects.values_list("user_id", flat=True)) == [inside.id]
    assert outside.id not in Notification.objects.values_list("user_id", flat=True)
    # Keys of the replaced set are unknown now.
    with pytest.raises(errors.UnknownAudienceFilter):
        send_course({"cohorts": [1]})
