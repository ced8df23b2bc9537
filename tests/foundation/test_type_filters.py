"""A type's ``filters`` take effect in the audience stage: Open edX's audit-expired filter, standalone and Open edX.

Learners whose audit access expired and who hold no course or forum role receive nothing of a filtered type;
everyone else, and every type without the filter, is unaffected. The standalone rule reads
``CourseMembership.audit_access_expires``; the Open edX one reads Open edX's models (faked here, ``fake_openedx``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey

from platform_notifications.audience.resolver import OPENEDX_FILTERS
from platform_notifications.audience.typefilters import AUDIT_EXPIRED, OPENEDX_TYPE_FILTERS, type_filter_paths
from platform_notifications.fanout import run as fanout
from platform_notifications.intake import send as sending
from platform_notifications.models import Notification
from tests.factories import COURSE, COURSE_KEY, RESPONSE_CONTEXT, MembershipFactory, UserFactory
from tests.foundation import fake_openedx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notifications_on")]

PAST, FUTURE = timedelta(days=-1), timedelta(days=30)

# name -> (mode, access ends in (None: never), course role, forum role, global staff)
WORLD = {
    "expired": ("audit", PAST, "", "Student", False),
    "expired_no_forum_role": ("audit", PAST, "", "", False),
    "current": ("audit", FUTURE, "", "Student", False),
    "unlimited": ("audit", None, "", "Student", False),
    "expired_staff": ("audit", PAST, "staff", "Student", False),
    "expired_moderator": ("audit", PAST, "", "Moderator", False),
    "expired_ta": ("audit", PAST, "", "Community TA", False),
    "verified": ("verified", PAST, "", "Student", False),
    "global_staff": ("audit", PAST, "", "Student", True),
}
DROPPED = {"expired", "expired_no_forum_role"}
REPORT = {"username": "a", "content_type": "post", "content": "c"}


def _standalone() -> dict[str, int]:
    now = timezone.now()
    ids = {}
    for name, (mode, ends, course_role, forum_role, is_staff) in WORLD.items():
        user = UserFactory(username=name, is_staff=is_staff)
        MembershipFactory(
            user=user,
            mode=mode,
            course_role=course_role,
            discussion_role=forum_role,
            audit_access_expires=None if ends is None else now + ends,
        )
        ids[name] = user.id
    return ids


def _openedx(verified_mode: bool = True) -> dict[str, int]:
    """The same world in Open edX's terms: the course started 60 days ago, access lasts four weeks."""
    from tests.foundation.fake_openedx import models as m

    now = timezone.now()
    key = CourseKey.from_string(COURSE)
    course = m.CourseOverview.objects.create(id=key, start=now - timedelta(days=60))
    if verified_mode:
        m.CourseMode.objects.create(course_id=key, mode_slug="verified", expiration_datetime=now - timedelta(days=9))
    ids = {}
    for name, (mode, ends, course_role, forum_role, is_staff) in WORLD.items():
        user = UserFactory(username=name, is_staff=is_staff)
        # Enrolled so that (later of enrollment and course start) + four weeks falls where WORLD says.
        created = now - timedelta(weeks=4) + (ends if ends is not None else timedelta(days=3650))
        m.CourseEnrollment.objects.create(user=user, course=course, mode=mode, created=created)
        if course_role:
            m.CourseAccessRole.objects.create(user=user, org="Org", course_id=key, role=course_role)
        if forum_role:
            role, _ = m.Role.objects.get_or_create(name=forum_role, course_id=key)
            role.users.add(user)
        ids[name] = user.id
    return ids


@contextmanager
def openedx_host() -> Iterator[None]:
    """Open edX's models (the fakes) installed, and Open edX's filters selected."""
    openedx = {"NOTIFICATION_AUDIENCE_FILTERS": OPENEDX_FILTERS, "NOTIFICATION_TYPE_FILTERS": OPENEDX_TYPE_FILTERS}
    with fake_openedx.installed(), override_settings(**openedx):
        yield


@pytest.fixture(scope="module")
def fake_openedx_tables(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        fake_openedx.create_tables(connection)


@pytest.fixture(params=["standalone", "openedx"])
def world(request, fake_openedx_tables):
    if request.param == "standalone":
        yield _standalone()
        return
    with openedx_host():
        yield _openedx()


def _received(ids: dict[str, int], **filters) -> set[str]:
    by_id = {uid: name for name, uid in ids.items()}
    return {by_id[uid] for uid in Notification.objects.filter(**filters).values_list("user_id", flat=True)}


def test_course_audience_drops_expired_audit_learners_without_a_role(world, send_course):
    send_course()
    assert _received(world) == set(WORLD) - DROPPED


def test_explicit_recipients_are_filtered_too(world, send):
    send(list(world.values()))
    assert _received(world) == set(WORLD) - DROPPED


def test_a_type_without_the_filter_reaches_everyone(world, send):
    # content_reported has no filters in Open edX (moderators are told whatever their enrollment).
    send(list(world.values()), "content_reported", context=REPORT)
    assert _received(world) == set(WORLD)


@pytest.mark.parametrize("batch_size", [1, 3, 100])
def test_filter_applies_in_every_chunk(world, send_course, batch_size):
    with override_settings(NOTIFICATION_CREATION_BATCH_SIZE=batch_size):
        send_course()
    assert _received(world) == set(WORLD) - DROPPED


def test_openedx_course_without_a_verified_mode_filters_nobody(fake_openedx_tables, send_course):
    with openedx_host():
        ids = _openedx(verified_mode=False)
        send_course()
    assert _received(ids) == set(WORLD)


def test_openedx_counts_only_enrollments_since_duration_limits_were_enabled(fake_openedx_tables, send_course):
    from tests.foundation.fake_openedx import models as m

    m.CourseDurationLimitConfig.ENABLED[COURSE] = timezone.now() - timedelta(days=1)
    try:
        with openedx_host():
            ids = _openedx()
            send_course()
    finally:
        m.CourseDurationLimitConfig.ENABLED.clear()
    # Every expired enrollment predates the limits: none is dropped.
    assert _received(ids) == set(WORLD)


def test_openedx_filter_reads_course_facts_once_and_one_query_per_chunk(fake_openedx_tables, send_course):
    def queries(audience_size: int) -> int:
        users = UserFactory.create_batch(audience_size)
        ids = [u.id for u in users]
        request = sending.notify(ids, "new_response", "/x", "discussion", COURSE_KEY, RESPONSE_CONTEXT)
        with override_settings(NOTIFICATION_CREATION_BATCH_SIZE=2), CaptureQueriesContext(connection) as captured:
            fanout.process_request(request.pk)
        return len(captured)

    with openedx_host():
        _openedx()
        queries(2)  # warm the flag cache
        two, three, four = queries(4), queries(6), queries(8)
    assert three - two == four - three  # each chunk costs the same; the course is read once per fan-out


def standalone_rule(course_id: str, user_ids: list[int]) -> list[int]:
    """A platform's own rule under Open edX's name: drops odd user ids."""
    return [uid for uid in user_ids if uid % 2]


def test_a_standalone_host_plugs_its_own_rule(send):
    users = UserFactory.create_batch(4)
    rule = f"{__name__}.standalone_rule"
    with override_settings(NOTIFICATION_TYPE_FILTERS={AUDIT_EXPIRED: rule}):
        assert type_filter_paths()[AUDIT_EXPIRED] == rule
        send([u.id for u in users])
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted(u.id for u in users if not u.id % 2)


def test_openedx_rule_chosen_when_openedx_is_installed(monkeypatch):
    from django.apps import apps

    installed = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name == "common.djangoapps.student" or installed(name))
    assert type_filter_paths() == OPENEDX_TYPE_FILTERS
