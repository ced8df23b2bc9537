"""The inbox page's API: list filters by kind, level and text, and bulk read, unread, archive and unarchive."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications.inbox.bulk import MAX_BULK_IDS
from platform_notifications.models import Notification

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def bulk(api, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return api.client.post("/api/notifications/bulk/", data, content_type="application/json")


@pytest.fixture
def mixed(user, make_notifications):
    """A reply, a grade and two free-text rows of different levels."""
    reply = make_notifications(user, 1, content_context={"replier_name": "Ana", "post_title": "Photosynthesis"})
    grade = make_notifications(
        user,
        1,
        app_name="grading",
        notification_type="ora_grade_assigned",
        content_context={"ora_name": "Essay 2", "points_earned": 8, "points_possible": 10},
    )
    warning = make_notifications(user, 1, title="Disk almost full", body="Volume /data at 91%", level="warning")
    error = make_notifications(user, 1, title="Backup failed", body="The nightly backup did not run", level="error")
    return {"reply": reply[0].id, "grade": grade[0].id, "warning": warning[0].id, "error": error[0].id}


def test_kind_filter(api, mixed, notifications_on):
    assert ids(api.get("", {"kind": "grading.ora_grade_assigned"})) == {mixed["grade"]}
    assert mixed["reply"] in ids(api.get("", {"kind": "discussion.new_response"}))
    assert mixed["grade"] not in ids(api.get("", {"kind": "discussion.new_response"}))


def test_level_filter(api, mixed, notifications_on):
    assert ids(api.get("", {"level": "error"})) == {mixed["error"]}
    assert ids(api.get("", {"level": "warning"})) == {mixed["warning"]}
    assert ids(api.get("", {"level": "info"})) == {mixed["reply"], mixed["grade"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("backup", {"error"}),  # title, any case
        ("/DATA", {"warning"}),  # body
        ("photosynthesis", {"reply"}),  # a template type's context
        ("essay 2", {"grade"}),
        ("nothing like this", set()),
    ],
)
def test_search_over_title_body_and_context(api, mixed, notifications_on, text, expected):
    assert ids(api.get("", {"q": text})) == {mixed[name] for name in expected}


def test_filters_combine_with_archived_and_unread(api, user, mixed, notifications_on):
    Notification.objects.filter(pk=mixed["error"]).update(archived_at=timezone.now())
    assert ids(api.get("", {"q": "backup"})) == set()
    assert ids(api.get("", {"q": "backup", "archived": "true", "level": "error", "unread": "true"})) == {mixed["error"]}


def test_another_users_rows_never_match(api, other, make_notifications, notifications_on):
    make_notifications(other, 1, title="Backup failed", level="error")
    assert ids(api.get("", {"q": "backup"})) == set()
    assert ids(api.get("", {"level": "error"})) == set()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"kind": "nope.nothing"}, "kind: unknown kind (a dotted name such as 'discussion.new_response')"),
        ({"kind": "new_response"}, "kind: unknown kind (a dotted name such as 'discussion.new_response')"),
        ({"kind": "a\x00b"}, "kind: unknown kind (a dotted name such as 'discussion.new_response')"),
        ({"level": "critical"}, "level must be one of info, warning, error"),
        ({"level": ""}, "level must be one of info, warning, error"),
        ({"kind": ""}, "kind: unknown kind (a dotted name such as 'discussion.new_response')"),
        ({"q": "x" * 201}, "q: at most 200 characters"),
        ({"q": "a\x00b"}, "q contains invalid characters"),
    ],
)
def test_bad_filters_are_400(api, mixed, notifications_on, params, error):
    response = api.get("", params)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_filtered_list_takes_a_fixed_number_of_queries(api, user, make_notifications, notifications_on):
    make_notifications(user, 60, title="Backup failed", level="error")
    api.get("")  # warms the flag cache
    with CaptureQueriesContext(connection) as queries:
        response = api.get("", {"q": "backup", "level": "error", "kind": "discussion.new_response", "page_size": 50})
    assert len(response.json()["results"]) == 50
    # session, user, COUNT, the page
    assert len(queries) == 4


class TestBulk:
    def test_read_then_unread(self, api, user, make_notifications, notifications_on):
        rows = make_notifications(user, 3)
        response = bulk(api, {"action": "read", "ids": [rows[0].id, rows[1].id]})
        assert response.status_code == 200
        assert response.json() == {"message": "2 notifications changed.", "changed": 2}
        assert set(Notification.objects.filter(last_read__isnull=False).values_list("pk", flat=True)) == {
            rows[0].id,
            rows[1].id,
        }
        assert api.get("count/").json()["count"] == 1
        assert bulk(api, {"action": "unread", "ids": [rows[0].id]}).json()["changed"] == 1
        row = Notification.objects.get(pk=rows[0].id)
        # Unread brings it back to attention, but it stays seen.
        assert row.last_read is None and row.last_seen is not None

    def test_archive_and_unarchive(self, api, user, make_notifications, notifications_on):
        rows = make_notifications(user, 3)
        assert bulk(api, {"action": "archive", "ids": [r.id for r in rows[:2]]}).json()["changed"] == 2
        assert ids(api.get("")) == {rows[2].id}
        assert ids(api.get("", {"archived": "true"})) == {rows[0].id, rows[1].id}
        assert api.get("count/").json()["count"] == 1
        assert bulk(api, {"action": "unarchive", "ids": [rows[0].id]}).json()["changed"] == 1
        assert ids(api.get("")) == {rows[0].id, rows[2].id}

    def test_another_users_ids_are_left_alone(self, api, user, other, make_notifications, notifications_on):
        mine = make_notifications(user, 1)
        theirs = make_notifications(other, 2)
        response = bulk(api, {"action": "archive", "ids": [mine[0].id] + [r.id for r in theirs]})
        assert response.json()["changed"] == 1
        assert not Notification.objects.filter(user=other, archived_at__isnull=False).exists()

    @pytest.mark.parametrize(
        ("body", "error"),
        [
            ({"action": "delete", "ids": [1]}, 'action: "delete" is not a valid choice.'),
            ({"action": "read", "ids": []}, "ids: Ensure this field has at least 1 elements."),
            ({"action": "read", "ids": ["x"]}, "ids: every id must be a positive integer"),
            (
                {"action": "read", "ids": list(range(1, MAX_BULK_IDS + 2))},
                "ids: Ensure this field has no more than 100 elements.",
            ),
            ({"action": "read", "ids": [0]}, "ids: every id must be a positive integer"),
            ({"action": "read", "ids": [True]}, "ids: every id must be a positive integer"),
            ({"action": "read", "ids": 5}, 'ids: Expected a list of items but got type "int".'),
            ({"ids": [1]}, "action: This field is required."),
            ([1, 2], "action: This field is required."),
        ],
    )
    def test_bad_bodies_are_400_and_change_nothing(self, api, user, make_notifications, body, error):
        rows = make_notifications(user, 1)
        response = bulk(api, body)
        assert response.status_code == 400
        assert response.json() == {"error": error}
        assert Notification.objects.get(pk=rows[0].id).last_read is None

    @pytest.mark.parametrize("action", ["read", "unread", "archive", "unarchive"])
    @pytest.mark.parametrize("n", [1, 100])
    def test_fixed_number_of_queries(self, api, user, make_notifications, notifications_on, action, n):
        rows = make_notifications(user, n)
        with CaptureQueriesContext(connection) as queries:
            response = bulk(api, {"action": action, "ids": [r.id for r in rows]})
        assert response.status_code == 200
        # session, user, the ids the action changes, then the action's statements (read: the tracking events'
        # SELECT and two UPDATEs; archive: two UPDATEs) and, when rows changed, one live event for the other tabs
        # (fresh rows are unread and in the inbox: unread and unarchive change none); the same for 1 or 100 rows.
        expected = {"read": 7, "unread": 4, "archive": 6, "unarchive": 4}[action]
        assert len(queries) == expected, [q["sql"] for q in queries]

    def test_anonymous_is_401(self, anonymous):
        response = anonymous.client.post("/api/notifications/bulk/", "{}", content_type="application/json")
        assert response.status_code == 401
