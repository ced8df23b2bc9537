"""The fan-out's fast paths: one INSERT per chunk, lazily built rows, range lookups, audience keyset walking."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications.audience.resolver import Audience
from platform_notifications.channels.base import ChunkRows
from platform_notifications.config import Cadence, registry
from platform_notifications.core import idsets
from platform_notifications.fanout import insert as chunk_insert
from platform_notifications.fanout import run as fanout
from platform_notifications.fanout.insert import NewRow
from platform_notifications.intake import send as sending
from platform_notifications.models import (
    Notification,
    NotificationPreference,
    NotificationRequest,
    UserNotificationSettings,
)
from platform_notifications.preferences import effective as preferences
from tests.factories import COURSE, MembershipFactory, PreferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

CONTEXT = {"replier_name": "Ana", "post_title": "Week 1"}
SHARED = {
    "course_id": COURSE,
    "app_name": "discussion",
    "notification_type": "new_response",
    "content_context": {"replier_name": "<b>Ana</b>", "post_title": 'It\'s "quoted" ; DROP TABLE x'},
    "content_url": "/courses/x/posts/1",
    "group_by_id": "post-1",
}


def test_insert_writes_one_row_per_user_with_its_channels_in_one_statement():
    users = UserFactory.create_batch(3)
    rows = [
        NewRow(users[0].id, True, False, False, ""),
        NewRow(users[1].id, False, True, False, Cadence.DAILY.value),
        NewRow(users[2].id, True, True, True, Cadence.IMMEDIATELY.value),
    ]
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        ids = chunk_insert.insert(SHARED, rows, now)
    assert len(queries) == 1
    stored = {n.user_id: n for n in Notification.objects.all()}
    assert ids == {uid: n.pk for uid, n in stored.items()}
    for row in rows:
        notification = stored[row.user_id]
        assert (notification.web, notification.email, notification.push) == (row.web, row.email, row.push)
        assert notification.email_cadence == row.email_cadence
        for name, value in SHARED.items():
            assert getattr(notification, name) == value  # quotes and markup stored verbatim, never as SQL
        assert (notification.created, notification.modified) == (now, now)
        assert (notification.last_read, notification.last_seen, notification.email_sent_on) == (None, None, None)
        assert notification.email_scheduled is False


def test_insert_of_nothing_sends_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert chunk_insert.insert(SHARED, [], timezone.now()) == {}
    assert len(queries) == 0


def test_insert_falls_back_to_bulk_create_where_the_sql_is_unsupported(monkeypatch):
    monkeypatch.setattr(chunk_insert, "expands_json_rows", lambda connection: False)
    user = UserFactory()
    ids = chunk_insert.insert(SHARED, [NewRow(user.id, True, False, True, "")], timezone.now())
    assert ids == {user.id: Notification.objects.get(user=user).pk}
    assert Notification.objects.get(user=user).push is True


@pytest.mark.parametrize("returned_ids", [True, False], ids=["returning", "read-back"])
def test_chunk_rows_are_built_on_first_use_with_their_primary_keys(returned_ids):
    users = UserFactory.create_batch(2)
    now = timezone.now()
    rows = [NewRow(u.id, True, True, False, Cadence.WEEKLY.value) for u in users]
    ids = chunk_insert.insert(SHARED, rows, now)
    lazy = ChunkRows(SHARED, rows, ids if returned_ids else None, now)
    assert len(lazy) == 2
    with CaptureQueriesContext(connection) as queries:
        built = list(lazy)
        again = list(lazy)
    # Engines without RETURNING read the new ids back, once.
    assert len(queries) == (0 if returned_ids else 1)
    assert built == again == list(Notification.objects.order_by("user_id"))
    assert [(n.pk, n.email_cadence, n._state.adding) for n in built] == [
        (ids[u.id], Cadence.WEEKLY.value, False) for u in users
    ]


def test_range_lookup_ignores_users_inside_the_range_but_outside_the_list():
    users = UserFactory.create_batch(idsets.RANGE_FROM + 2)
    outsider = users[50]
    chunk = [u.id for u in users if u != outsider]
    PreferenceFactory(user=outsider, app_name="discussion", notification_type="grouped_notification", web=False)
    UserNotificationSettings.objects.create(user=outsider, email_opt_out=True)
    PreferenceFactory(user=users[0], app_name="discussion", notification_type="grouped_notification", web=False)
    ntype = registry.get_type("new_response")
    with CaptureQueriesContext(connection) as queries:
        result = preferences.for_users(ntype, chunk)
    assert sorted(result) == sorted(chunk)
    assert result[users[0].id].web is False
    assert all(result[uid].web for uid in chunk[1:])
    # Two parameters for the users, not one per user.
    assert all("BETWEEN" in q["sql"] or ">=" in q["sql"] for q in queries.captured_queries)
    assert NotificationPreference.objects.count() == 2


def test_sparse_ids_are_looked_up_as_a_list():
    assert idsets.lookup("user_id", [1, 5000]) == {"user_id__in": [1, 5000]}
    dense = list(range(10, 10 + idsets.RANGE_FROM))
    assert idsets.lookup("user_id", dense) == {"user_id__gte": 10, "user_id__lte": 10 + idsets.RANGE_FROM - 1}
    assert "user_id__in" in idsets.lookup("user_id", dense[::3])


def test_course_audience_keeps_only_active_members_when_their_ids_are_read_as_a_range():
    """Active non-members inside the chunk's id range must not join the audience."""
    members = UserFactory.create_batch(idsets.RANGE_FROM + 4)
    outsider, inactive = members[10], members[20]
    inactive.is_active = False
    inactive.save()
    for user in members:
        if user != outsider:
            MembershipFactory(user=user, course_id=COURSE)
    request = NotificationRequest.objects.create(
        event_id=uuid.uuid4(),
        kind="course",
        app_name="discussion",
        notification_type="new_response",
        course_id=COURSE,
        context={"replier_name": "Ana", "post_title": "T"},
    )
    chunk = Audience(request).next_chunk(after=0, size=1000)
    assert chunk.user_ids == [u.id for u in members if u not in (outsider, inactive)]
    assert chunk.cursor == members[-1].id


@override_settings(NOTIFICATION_CREATION_BATCH_SIZE=2)
def test_a_chunk_of_only_inactive_members_does_not_end_the_course_fan_out(notifications_on):
    inactive = [MembershipFactory(user=UserFactory(is_active=False)).user for _ in range(3)]
    active = [MembershipFactory().user for _ in range(3)]
    sender = active[1]
    request = sending.notify_course(COURSE, "discussion", "new_response", "/x", {**CONTEXT, "sender_id": sender.id})
    fanout.process_request(request.pk)  # eager on_commit is not run inside the test transaction
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == [active[0].id, active[2].id]
    request.refresh_from_db()
    assert (request.state, request.cursor) == ("done", active[2].id)
    assert all(u.id < active[0].id for u in inactive)


@override_settings(NOTIFICATION_CREATION_BATCH_SIZE=1)
def test_union_of_filters_reaches_every_member_once_across_chunk_boundaries(notifications_on):
    members = [
        MembershipFactory(mode="verified", course_role="staff"),  # in both filters
        MembershipFactory(mode="audit", course_role="staff"),
        MembershipFactory(mode="verified"),
        MembershipFactory(mode="audit"),  # in neither
        MembershipFactory(mode="verified", course_role="staff"),
    ]
    filters = {"enrollments": ["verified"], "course_roles": ["staff"]}
    request = sending.notify_course(COURSE, "discussion", "new_response", "/x", CONTEXT, filters)
    result = fanout.process_request(request.pk)
    expected = sorted(m.user_id for m in members if m.mode == "verified" or m.course_role == "staff")
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == expected
    assert result.chunks == len(expected)
