"""Endpoints beyond Open edX: mark unread, mark everything read, remove one, list filters."""

import pytest

from platform_notifications.models import Notification
from tests.factories import COURSE

pytestmark = pytest.mark.django_db


def ids(response):
    return [item["id"] for item in response.json()["results"]]


def test_mark_unread_keeps_it_seen(api, user, make_notifications, notifications_on):
    (row,) = make_notifications(user, 1)
    api.patch("read/", {"notification_id": row.id})
    response = api.patch("unread/", {"notification_id": row.id})
    assert response.status_code == 200
    assert response.json() == {"message": "Notification marked unread."}
    row.refresh_from_db()
    assert row.last_read is None and row.last_seen is not None
    assert api.get("count/").json()["count"] == 0


def test_mark_unread_rejects_a_malformed_id(api):
    response = api.patch("unread/", {"notification_id": "1; DROP TABLE"})
    assert response.status_code == 400
    assert response.json() == {"error": "notification_id: A valid integer is required."}


def test_mark_all_read_across_apps(api, user, other, make_notifications):
    make_notifications(user, 2)
    make_notifications(user, 2, app_name="grading", notification_type="ora_reminder")
    theirs = make_notifications(other, 1)
    response = api.patch("read-all/")
    assert response.json() == {"message": "4 notifications marked read."}
    assert list(Notification.objects.filter(last_read__isnull=True)) == theirs


def test_remove_deletes_only_that_row(api, user, make_notifications):
    first, second = make_notifications(user, 2)
    response = api.delete(f"{first.id}/")
    assert response.status_code == 204
    assert list(Notification.objects.all()) == [second]
    assert api.delete(f"{first.id}/").status_code == 404


@pytest.mark.parametrize("raw", ["abc", "-1", "1.0", "9" * 30, "١"])
def test_remove_rejects_a_malformed_id(api, user, make_notifications, raw):
    make_notifications(user, 1)
    response = api.delete(f"{raw}/")
    assert response.status_code == 400
    assert response.json() == {"error": "notification_id must be a positive integer"}
    assert Notification.objects.count() == 1


def test_unread_and_course_filters(api, user, make_notifications, notifications_on):
    read = make_notifications(user, 1, last_read=Notification._meta.get_field("created").default())
    unread = make_notifications(user, 2)
    elsewhere = make_notifications(user, 1, course_id="course-v1:Other+X+Y")
    assert set(ids(api.get("", {"unread": "true"}))) == {r.id for r in unread + elsewhere}
    assert ids(api.get("", {"unread": "false"})) == [read[0].id]
    assert set(ids(api.get("", {"course_id": COURSE}))) == {r.id for r in read + unread}
    assert ids(api.get("", {"course_id": COURSE, "unread": "false"})) == [read[0].id]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"unread": "yes"}, "unread must be true or false"),
        ({"course_id": "x" * 256}, "course_id is too long"),
        # PostgreSQL would refuse the NUL with a server error.
        ({"course_id": "a\x00b"}, "course_id contains invalid characters"),
        ({"course_id": "a\nb"}, "course_id contains invalid characters"),
    ],
)
def test_bad_filters_are_400(api, notifications_on, params, error):
    response = api.get("", params)
    assert response.status_code == 400
    assert response.json() == {"error": error}
