"""Replays the exact calls of the Open edX tray and account-settings front ends, through their key conversion.

Every response is camelCased as the clients do, every request body is built from camelCased keys and
snake_cased back, and every field the clients read is checked.
"""

import pytest

from platform_notifications.config import registry
from tests.api.frontend import camel_case, camel_case_object, snake_case, snake_case_object

pytestmark = pytest.mark.django_db


def test_key_conversion_matches_lodash():
    assert camel_case("count_by_app_name") == "countByAppName"
    assert camel_case("grouped_notification") == "groupedNotification"
    assert snake_case("groupedNotification") == "grouped_notification"
    assert camel_case("my_app") == "myApp"  # why app names must be single words


def test_every_configured_name_survives_the_round_trip():
    names = list(registry.apps()) + list(registry.types()) + ["grouped_notification"]
    assert [snake_case(camel_case(name)) for name in names] == names
    assert [camel_case(app) for app in registry.apps()] == list(registry.apps())


def test_tray_session(api, user, make_notifications, all_flags_on):
    make_notifications(
        user, 12, content_context={"replier_name": "Ana", "post_title": "Week 1", "course_name": "Demo course"}
    )
    make_notifications(
        user,
        1,
        app_name="grading",
        notification_type="ora_reminder",
        content_context={"ora_name": "Essay", "pending_step": "peer"},
    )

    # Every page change: the counts.
    counts = camel_case_object(api.get("count/").json())
    assert counts["showNotificationsTray"] is True
    assert counts["count"] == 13
    tabs = counts["countByAppName"]
    assert tabs == {"discussion": 12, "updates": 0, "grading": 1}
    assert counts["notificationExpiryDays"] == 60
    assert counts["isNewNotificationViewEnabled"] is False

    # The tray opens on a tab (the tab key is sent back as app_name).
    app = next(iter(tabs))
    page = camel_case_object(api.get("", {"app_name": app, "page": 1, "page_size": 10, "tray_opened": True}).json())
    assert (page["count"], page["numPages"], page["currentPage"], page["start"]) == (12, 2, 1, 0)
    item = page["results"][0]
    for key in (
        "id",
        "appName",
        "notificationType",
        "contentContext",
        "content",
        "contentUrl",
        "courseId",
        "lastRead",
        "lastSeen",
        "created",
    ):
        assert key in item
    assert item["contentContext"]["courseName"] == "Demo course"
    assert isinstance(item["id"], int)
    assert page["next"] is not None
    more = camel_case_object(api.get("", {"app_name": app, "page": 2, "page_size": 10}).json())
    assert len(more["results"]) == 2 and more["next"] is None

    # Opening the tab marks it seen; the badge drops by that tab's count.
    assert api.put(f"mark-seen/{app}/").status_code == 200
    counts = camel_case_object(api.get("count/").json())
    assert counts["count"] == 1 and counts["countByAppName"]["discussion"] == 0

    # Clicking one notification marks it read; "mark all as read" marks the tab.
    assert api.patch("read/", snake_case_object({"notificationId": item["id"]})).status_code == 200
    marked = api.patch("read/", snake_case_object({"appName": "grading"}))
    assert "message" in camel_case_object(marked.json())
    final = camel_case_object(api.get("", {"app_name": "grading", "page": 1, "page_size": 10}).json())
    assert final["results"][0]["lastRead"] is not None


def test_preferences_page_session(api, user, all_flags_on):
    body = camel_case_object(api.get("v3/configurations/").json())
    assert body["status"] == "success"
    assert body["showPreferences"] is True and body["showEmailPreferences"] is True
    for forbidden in ("preferences", "apps", "nonEditable"):
        assert forbidden not in body
    apps = body["data"]
    assert set(apps) == {"discussion", "updates", "grading"}
    discussion = apps["discussion"]
    assert discussion["enabled"] is True
    # As Open edX ships: push locked on every own-row type, nothing on the bundled row.
    assert discussion["nonEditable"] == {
        "newDiscussionPost": ["push"],
        "newQuestionPost": ["push"],
        "newInstructorAllLearnersPost": ["push"],
    }
    row = discussion["notificationTypes"]["groupedNotification"]
    assert set(row) == {"web", "push", "email", "emailCadence", "info"}

    # Toggling a channel: the client sends the camelCased type name, snake_cased.
    for type_key in discussion["notificationTypes"]:
        request = snake_case_object(
            {
                "notificationApp": "discussion",
                "notificationType": snake_case(type_key),
                "notificationChannel": "web",
                "value": False,
            }
        )
        updated = camel_case_object(api.put("v3/configurations/", request).json())
        assert updated["status"] == "success"
        assert updated["data"] == {
            "updatedValue": False,
            "notificationType": snake_case(type_key),
            "channel": "web",
            "app": "discussion",
        }

    # Changing the cadence: no value, the cadence in email_cadence.
    request = snake_case_object(
        {
            "notificationApp": "discussion",
            "notificationType": "grouped_notification",
            "notificationChannel": "email_cadence",
            "emailCadence": "Weekly",
        }
    )
    updated = camel_case_object(api.put("v3/configurations/", request).json())
    assert updated["data"]["updatedValue"] == "Weekly"
    again = camel_case_object(api.get("v3/configurations/").json())
    row = again["data"]["discussion"]["notificationTypes"]["groupedNotification"]
    assert (row["push"], row["emailCadence"]) == (True, "Weekly")


def test_ulmo_clients_use_v2_with_the_same_shapes(api, all_flags_on):
    assert api.get("v2/configurations/").json() == api.get("v3/configurations/").json()
