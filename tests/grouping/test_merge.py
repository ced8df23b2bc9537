"""Joining rows through the real fan-out: which rows join, what a joined row looks like, the flag."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from platform_notifications.models import Notification, NotificationRequest
from tests.factories import COURSE, PreferenceFactory

pytestmark = pytest.mark.django_db
OTHER_COURSE = "course-v1:Org+Other+Run"


def rows(user):
    return list(Notification.objects.filter(user=user).order_by("created", "pk"))


def test_several_actors_end_in_one_row_per_user(grouping_on, users, send):
    for name in ("Ana", "Bob", "Cy", "Dee"):
        send(users[:3], name)
    for user in users[:3]:
        (row,) = rows(user)
        assert row.content_context["others_count"] == 3
        assert row.content == "<p><strong>Dee</strong> and 3 others replied to your post <strong>Week 1</strong></p>"
    assert not Notification.objects.filter(user__in=users[3:]).exists()
    assert list(NotificationRequest.objects.values_list("created_count", "grouped_count").order_by("pk")) == [
        (3, 0),
        (0, 3),
        (0, 3),
        (0, 3),
    ]


def test_repeated_actor_counts_once(grouping_on, users, send):
    send([users[0]], "Ana", sender_id=users[1].pk)
    send([users[0]], "Bob", sender_id=users[2].pk)
    send([users[0]], "Ana", sender_id=users[1].pk)
    (row,) = rows(users[0])
    assert row.content_context["others_count"] == 1
    assert row.content.startswith("<p><strong>Ana</strong> and 1 other replied")


def test_namesakes_with_different_sender_ids_are_two_people(grouping_on, users, send):
    send([users[0]], "Sam", sender_id=users[1].pk)
    send([users[0]], "Sam", sender_id=users[2].pk)
    (row,) = rows(users[0])
    assert row.content_context["others_count"] == 1
    assert "sender_id" not in row.content_context


def test_seen_row_is_not_joined(grouping_on, users, send):
    send([users[0]], "Ana")
    Notification.objects.filter(user=users[0]).mark_seen()
    send([users[0]], "Bob")
    seen, fresh = rows(users[0])
    assert seen.last_seen is not None and seen.content_context["replier_name"] == "Ana"
    assert fresh.last_seen is None and fresh.content_context["others_count"] == 0
    assert fresh.content == "<p><strong>Bob</strong> replied to your post <strong>Week 1</strong></p>"


def test_read_row_is_seen_and_not_joined(grouping_on, users, send):
    send([users[0]], "Ana")
    Notification.objects.filter(user=users[0]).mark_read()
    send([users[0]], "Bob")
    assert len(rows(users[0])) == 2


@pytest.mark.parametrize(
    "second",
    [
        {"course": OTHER_COURSE},
        {"group": "post-2"},
        {"group": None},
        {"ntype": "response_on_followed_post"},
    ],
    ids=["other course", "other group", "no group", "other type"],
)
def test_only_same_type_group_and_course_join(grouping_on, users, send, second):
    send([users[0]], "Ana")
    send([users[0]], "Bob", **second)
    assert len(rows(users[0])) == 2
    assert all(row.content_context.get("others_count", 0) == 0 for row in rows(users[0]))


def test_users_with_and_without_a_row_in_one_chunk(grouping_on, users, send):
    send(users[:2], "Ana")
    Notification.objects.filter(user=users[1]).mark_seen()
    send(users[:3], "Bob")
    assert [len(rows(user)) for user in users[:3]] == [1, 2, 1]
    assert rows(users[0])[0].content_context["others_count"] == 1


def test_flag_off_every_notification_is_its_own_row(notifications_on, users, send):
    send([users[0]], "Ana")
    send([users[0]], "Bob")
    assert len(rows(users[0])) == 2


def test_row_created_while_flag_off_joins_once_it_is_on(notifications_on, flags, users, send):
    send([users[0]], "Ana", sender_id=users[1].pk)
    flags("notifications.enable_notification_grouping")
    send([users[0]], "Ana (renamed)", sender_id=users[1].pk)
    (row,) = rows(users[0])
    assert row.content_context["others_count"] == 0
    assert row.content_context["replier_name"] == "Ana (renamed)"


def test_joining_moves_the_row_to_the_top_unread_with_newest_url(grouping_on, users, send):
    user = users[0]
    start = timezone.now()
    with time_machine.travel(start - timedelta(hours=3)):
        send([user], "Ana", url="/posts/1#response-1")
    send([user], "Ana", group="post-9")  # another row, newer than the first
    # Read (but, unusually, never seen): still a candidate, and joining makes it unread again.
    Notification.objects.filter(user=user, group_by_id="post-1").update(last_read=start - timedelta(hours=2))
    with time_machine.travel(start + timedelta(minutes=5)):
        send([user], "Bob", url="/posts/1#response-2")
    newest = Notification.objects.filter(user=user).order_by("-created").first()
    assert newest.group_by_id == "post-1"
    assert newest.created >= start + timedelta(minutes=5)
    assert newest.content_url == "/posts/1#response-2"
    assert newest.last_read is None and newest.last_seen is None


def test_expired_row_is_not_joined(grouping_on, users, send, settings):
    settings.NOTIFICATIONS_EXPIRY = 10
    with time_machine.travel(timezone.now() - timedelta(days=11)):
        send([users[0]], "Ana")
    send([users[0]], "Bob")
    assert [row.content_context["others_count"] for row in rows(users[0])] == [0, 0]


def test_newest_of_several_unseen_rows_keeps_up(notifications_on, flags, users, send):
    with time_machine.travel(timezone.now() - timedelta(minutes=10)):
        send([users[0]], "Ana")
    send([users[0]], "Bob")  # grouping off: a second unseen row of the same group
    flags("notifications.enable_notification_grouping")
    send([users[0]], "Cy")
    older, newer = rows(users[0])
    assert older.content_context["replier_name"] == "Ana" and older.content_context["others_count"] == 0
    assert newer.content_context["replier_name"] == "Cy" and newer.content_context["others_count"] == 1


def test_joined_row_takes_the_current_channels(grouping_on, flags, users, send):
    flags("notifications.enable_push_notifications")
    send([users[0]], "Ana")
    assert (rows(users[0])[0].web, rows(users[0])[0].push) == (True, True)  # the bundled row's defaults
    PreferenceFactory(user=users[0], notification_type="grouped_notification", web=False, email=True)
    send([users[0]], "Bob")
    (row,) = rows(users[0])
    # Email stays off: its channel is disabled (its flag is off); web follows the new choice.
    assert (row.web, row.email, row.push) == (False, False, True)
    assert row.content_context["others_count"] == 1


def test_user_with_every_channel_off_keeps_the_row_untouched(grouping_on, users, send):
    send([users[0]], "Ana")
    PreferenceFactory(user=users[0], notification_type="grouped_notification", web=False, email=False, push=False)
    send([users[0]], "Bob")
    (row,) = rows(users[0])
    assert row.content_context["replier_name"] == "Ana"


def test_course_is_part_of_the_group(grouping_on, users, send):
    send([users[0]], "Ana", course=COURSE)
    send([users[0]], "Bob", course=OTHER_COURSE)
    send([users[0]], "Cy", course=COURSE)
    by_course = {row.course_id: row.content_context["others_count"] for row in rows(users[0])}
    assert by_course == {COURSE: 1, OTHER_COURSE: 0}
