"""The tray endpoints: counts, list, mark seen and mark read, with flags, expiry and pinned query counts."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from platform_notifications.models import Notification

pytestmark = pytest.mark.django_db


def count(api):
    response = api.get("count/")
    assert response.status_code == 200
    return response.json()


class TestCount:
    def test_counts_unseen_web_rows_per_app_with_every_app_listed(
        self, api, user, other, make_notifications, notifications_on
    ):
        make_notifications(user, 3)
        make_notifications(user, 2, app_name="grading", notification_type="ora_grade_assigned")
        make_notifications(user, 1, last_seen=Notification._meta.get_field("created").default())
        make_notifications(user, 1, web=False)  # email-only row: not in the tray
        make_notifications(other, 4)
        body = count(api)
        assert body == {
            "show_notifications_tray": True,
            "count": 5,
            "count_by_app_name": {"discussion": 3, "updates": 0, "grading": 2},
            "notification_expiry_days": 60,
            "is_new_notification_view_enabled": False,
        }

    def test_expired_rows_are_not_counted(self, api, user, make_notifications, notifications_on):
        make_notifications(user, 2, age=timedelta(days=61))
        make_notifications(user, 1)
        assert count(api)["count"] == 1
        with override_settings(NOTIFICATIONS_EXPIRY=90):
            body = count(api)
        assert body["count"] == 3
        assert body["notification_expiry_days"] == 90

    def test_master_flag_off_hides_the_tray(self, api, user, make_notifications):
        make_notifications(user, 2)
        body = count(api)
        assert body["show_notifications_tray"] is False
        assert body["count"] == 0
        assert body["count_by_app_name"] == {"discussion": 0, "updates": 0, "grading": 0}

    def test_rows_of_an_unconfigured_app_do_not_break_the_sum(self, api, user, make_notifications, notifications_on):
        make_notifications(user, 2, app_name="retired", notification_type="gone")
        make_notifications(user, 1)
        body = count(api)
        assert body["count"] == sum(body["count_by_app_name"].values()) == 1

    @pytest.mark.parametrize("rows", [1, 40])
    def test_fixed_number_of_queries(self, api, user, make_notifications, notifications_on, rows):
        make_notifications(user, rows)
        make_notifications(user, rows, app_name="grading", notification_type="ora_reminder")
        count(api)  # warms the flag cache (and the cached count)
        cache.clear()
        count(api)  # warms the flag cache again; the count is computed and cached
        with CaptureQueriesContext(connection) as queries:
            count(api)
        # session, user: the count comes from the cache (tests/api/test_count_cache.py pins the miss)
        assert len(queries) == 2


class TestList:
    def test_envelope_and_items_newest_first(self, api, user, make_notifications, notifications_on):
        rows = make_notifications(user, 12)
        response = api.get("", {"app_name": "discussion", "page": 1, "page_size": 10, "tray_opened": "true"})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"next", "previous", "count", "num_pages", "current_page", "start", "results"}
        assert (body["count"], body["num_pages"], body["current_page"], body["start"]) == (12, 2, 1, 0)
        assert body["previous"] is None and "page=2" in body["next"]
        assert [item["id"] for item in body["results"]] == [row.id for row in reversed(rows)][:10]
        item = body["results"][0]
        assert set(item) == {
            "id",
            "app_name",
            "notification_type",
            "content_context",
            "content",
            "content_url",
            "course_id",
            "last_read",
            "last_seen",
            "created",
            # Every Open edX field stays; kinds add these.
            "kind",
            "title",
            "body",
            "level",
            "priority",
            "links",
            "scope",
            "occurrences",
            # Attention: the thread can be muted, and is.
            "threaded",
            "muted",
        }
        assert (item["kind"], item["level"], item["priority"], item["links"], item["occurrences"]) == (
            "discussion.new_response",
            "info",
            3,
            [],
            1,
        )
        assert item["content"] == "<p><strong>Ana</strong> replied to your post <strong>Week 1</strong></p>"
        assert item["created"].endswith("Z") and item["last_seen"] is None
        second = api.get("", {"app_name": "discussion", "page": 2}).json()
        assert (second["current_page"], second["start"], len(second["results"])) == (2, 10, 2)
        assert second["next"] is None and second["previous"]

    def test_default_page_size_is_ten_and_app_filter_applies(self, api, user, make_notifications, notifications_on):
        make_notifications(user, 11)
        make_notifications(user, 3, app_name="grading", notification_type="ora_reminder")
        assert len(api.get("").json()["results"]) == 10
        grading = api.get("", {"app_name": "grading"}).json()
        assert grading["count"] == 3
        assert {item["app_name"] for item in grading["results"]} == {"grading"}

    def test_hides_expired_and_email_only_rows(self, api, user, make_notifications, notifications_on):
        make_notifications(user, 1, age=timedelta(days=61))
        make_notifications(user, 1, web=False)
        kept = make_notifications(user, 1)
        assert [item["id"] for item in api.get("").json()["results"]] == [kept[0].id]

    def test_master_flag_off_lists_nothing(self, api, user, make_notifications):
        make_notifications(user, 3)
        body = api.get("").json()
        assert (body["count"], body["results"]) == (0, [])

    def test_page_size_up_to_100(self, api, user, make_notifications, notifications_on):
        make_notifications(user, 101)
        assert len(api.get("", {"page_size": 100}).json()["results"]) == 100
        response = api.get("", {"page_size": 101})
        assert response.status_code == 400
        assert "page_size" in response.json()["error"]

    def test_page_past_the_end_is_404(self, api, user, make_notifications, notifications_on):
        make_notifications(user, 3)
        response = api.get("", {"page": 2})
        assert response.status_code == 404
        assert response.json() == {"error": "page 2 does not exist"}

    @pytest.mark.parametrize("page_size", [1, 100])
    def test_fixed_number_of_queries_whatever_the_page_size(
        self, api, user, make_notifications, notifications_on, page_size
    ):
        make_notifications(user, 120)
        api.get("")  # warms the flag cache
        with CaptureQueriesContext(connection) as queries:
            response = api.get("", {"page_size": page_size, "app_name": "discussion"})
        assert len(response.json()["results"]) == page_size
        # session, user, COUNT, the page
        assert len(queries) == 4


class TestMarkSeen:
    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_marks_that_apps_unseen_rows_only(self, api, user, other, make_notifications, notifications_on, method):
        make_notifications(user, 3)
        grading = make_notifications(user, 2, app_name="grading", notification_type="ora_reminder")
        theirs = make_notifications(other, 2)
        response = getattr(api, method)("mark-seen/discussion/")
        assert response.status_code == 200
        assert response.json() == {"message": "3 notifications marked seen."}
        assert count(api)["count_by_app_name"] == {"discussion": 0, "updates": 0, "grading": 2}
        assert Notification.objects.filter(pk__in=[r.pk for r in grading + theirs], last_seen__isnull=True).count() == 4

    def test_unknown_app_is_400(self, api):
        response = api.put("mark-seen/nope/")
        assert response.status_code == 400
        assert response.json() == {"error": "app_name: unknown notification app 'nope'"}

    def test_get_does_not_change_state(self, api, user, make_notifications):
        make_notifications(user, 1)
        assert api.get("mark-seen/discussion/").status_code == 405
        assert Notification.objects.filter(last_seen__isnull=True).count() == 1


class TestMarkRead:
    def test_one_notification(self, api, user, make_notifications):
        first, second = make_notifications(user, 2)
        response = api.patch("read/", {"notification_id": first.id})
        assert response.status_code == 200
        assert response.json() == {"message": "Notification marked read."}
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.last_read is not None and first.last_seen is not None
        assert second.last_read is None

    def test_every_unread_row_of_an_app(self, api, user, other, make_notifications):
        mine = make_notifications(user, 3)
        grading = make_notifications(user, 1, app_name="grading", notification_type="ora_reminder")
        theirs = make_notifications(other, 1)
        response = api.patch("read/", {"app_name": "discussion"})
        assert response.json() == {"message": "3 notifications marked read."}
        assert not Notification.objects.filter(pk__in=[r.pk for r in mine], last_read__isnull=True).exists()
        assert Notification.objects.filter(pk__in=[grading[0].pk, theirs[0].pk], last_read__isnull=True).count() == 2

    @pytest.mark.parametrize(
        ("body", "error"),
        [
            ({}, "send notification_id or app_name"),
            ({"notification_id": "abc"}, "notification_id: A valid integer is required."),
            ({"notification_id": 1.5}, "notification_id: A valid integer is required."),
            ({"notification_id": True}, "notification_id: A valid integer is required."),
            ({"notification_id": 0}, "notification_id: Ensure this value is greater than or equal to 1."),
            ({"app_name": "nope"}, "app_name: unknown notification app 'nope'"),
            ([1, 2], "Invalid data. Expected a dictionary, but got list."),
        ],
    )
    def test_invalid_bodies_are_400_with_an_error(self, api, user, make_notifications, body, error):
        make_notifications(user, 1)
        response = api.patch("read/", body)
        assert response.status_code == 400
        assert response.json() == {"error": error}
        assert Notification.objects.filter(last_read__isnull=True).count() == 1

    def test_missing_id_is_404(self, api):
        response = api.patch("read/", {"notification_id": 999999})
        assert response.status_code == 404
        assert response.json() == {"error": "Notification not found."}
