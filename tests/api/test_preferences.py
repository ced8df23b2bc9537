"""The account-settings preferences endpoints: GET shape, flags, visible_to, non_editable, PUT and its errors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from platform_notifications.models import NotificationPreference, UserNotificationSettings
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PATHS = ["v3/configurations/", "v2/configurations/"]


def change(app="discussion", type_="grouped_notification", channel="web", **extra):
    return {"notification_app": app, "notification_type": type_, "notification_channel": channel, **extra}


def stored(user, app="discussion", key="grouped_notification"):
    return (
        NotificationPreference.objects.filter(user=user, app_name=app, notification_type=key)
        .values("web", "email", "push", "email_cadence")
        .first()
    )


class TestGet:
    @pytest.mark.parametrize("path", PATHS)
    def test_shape_with_bundled_row_and_defaults(self, api, path, all_flags_on):
        body = api.get(path).json()
        assert set(body) == {"status", "message", "show_preferences", "show_email_preferences", "data"}
        assert (body["status"], body["show_preferences"], body["show_email_preferences"]) == ("success", True, True)
        discussion = body["data"]["discussion"]
        assert set(discussion) == {"enabled", "notification_types", "non_editable"}
        types = discussion["notification_types"]
        assert list(types)[0] == "grouped_notification"
        # Bundled types appear only through their row; moderator-only types are hidden from a learner.
        assert "new_response" not in types and "content_reported" not in types
        assert types["grouped_notification"] == {
            "web": True,
            "push": True,  # Open edX's apps default push on for the bundled row
            "email": True,
            "email_cadence": "Daily",
            "info": "Activity in the course discussion forums",
        }
        assert types["new_discussion_post"]["web"] is False
        assert discussion["non_editable"] == {
            "new_discussion_post": ["push"],
            "new_question_post": ["push"],
            "new_instructor_all_learners_post": ["push"],
        }
        assert "ora_staff_notifications" not in body["data"]["grading"]["notification_types"]

    def test_flags_drive_the_show_switches(self, api, flags):
        body = api.get(PATHS[0]).json()
        assert (body["show_preferences"], body["show_email_preferences"]) == (False, False)
        flags("notifications.enable_notifications")
        body = api.get(PATHS[0]).json()
        assert (body["show_preferences"], body["show_email_preferences"]) == (True, False)

    @pytest.mark.parametrize(
        ("membership", "visible"),
        [
            ({"discussion_role": "Moderator"}, {"content_reported"}),
            ({"course_role": "staff", "discussion_role": "Student"}, {"ora_staff_notifications"}),
            ({"discussion_role": "Student"}, set()),
            ({"discussion_role": "Moderator", "is_active": False}, set()),
        ],
    )
    def test_visible_to_follows_roles_in_any_course(self, api, user, membership, visible):
        MembershipFactory(user=user, **membership)
        data = api.get(PATHS[0]).json()["data"]
        shown = set(data["discussion"]["notification_types"]) | set(data["grading"]["notification_types"])
        assert shown & {"content_reported", "ora_staff_notifications"} == visible

    def test_staff_see_every_row(self, db):
        from tests.api.conftest import ApiClient

        staff = ApiClient(UserFactory(is_staff=True))
        data = staff.get(PATHS[0]).json()["data"]
        assert "content_reported" in data["discussion"]["notification_types"]
        assert "ora_staff_notifications" in data["grading"]["notification_types"]

    def test_roles_function_is_pluggable(self, api):
        with override_settings(NOTIFICATION_USER_ROLES_FUNCTION="tests.api.test_preferences.moderator_roles"):
            data = api.get(PATHS[0]).json()["data"]
        assert "content_reported" in data["discussion"]["notification_types"]

    def test_choices_and_overrides_both_show(self, api, user):
        NotificationPreference.objects.create(
            user=user, app_name="discussion", notification_type="grouped_notification", web=False
        )
        with override_settings(NOTIFICATION_APPS_OVERRIDE={"discussion": {"email_cadence": "Weekly", "push": True}}):
            row = api.get(PATHS[0]).json()["data"]["discussion"]["notification_types"]["grouped_notification"]
        # The user's choice wins where made; the operator's override reaches the rest.
        assert (row["web"], row["push"], row["email_cadence"]) == (False, True, "Weekly")

    def test_non_editable_reported_for_types_and_for_the_bundled_row(self, api):
        overrides = {
            "NOTIFICATION_APPS_OVERRIDE": {"discussion": {"non_editable": ["web", "email"]}},
            "NOTIFICATION_TYPES_OVERRIDE": {"ora_grade_assigned": {"non_editable": ["push"]}},
        }
        with override_settings(**overrides):
            data = api.get(PATHS[0]).json()["data"]
        locked_push = ["push"]  # every own-row type locks push in Open edX
        assert data["discussion"]["non_editable"] == {
            "grouped_notification": ["email", "web"],
            "new_discussion_post": locked_push,
            "new_question_post": locked_push,
            "new_instructor_all_learners_post": locked_push,
        }
        assert data["grading"]["non_editable"] == {"ora_grade_assigned": locked_push, "ora_reminder": locked_push}

    def test_never_cadence_shows_email_off_and_global_opt_out_applies(self, api, user):
        NotificationPreference.objects.create(
            user=user, app_name="discussion", notification_type="grouped_notification", email_cadence="Never"
        )
        UserNotificationSettings.objects.create(user=user, email_opt_out=True)
        data = api.get(PATHS[0]).json()["data"]
        assert data["discussion"]["notification_types"]["grouped_notification"]["email"] is False
        # Never is not offered by the front ends: the row shows email off with a cadence they can show.
        assert data["discussion"]["notification_types"]["grouped_notification"]["email_cadence"] == "Daily"
        assert data["grading"]["notification_types"]["ora_reminder"]["email"] is False

    def test_fixed_number_of_queries(self, api, user):
        MembershipFactory(user=user, discussion_role="Moderator")
        for key in ("grouped_notification", "new_discussion_post", "content_reported"):
            NotificationPreference.objects.create(user=user, app_name="discussion", notification_type=key, web=True)
        api.get(PATHS[0])
        with CaptureQueriesContext(connection) as queries:
            api.get(PATHS[0])
        # session, user, roles, stored choices, global opt-out
        assert len(queries) == 5


def moderator_roles(user):
    return {"Moderator"}


class TestPut:
    @pytest.mark.parametrize("path", PATHS)
    def test_switch_one_channel_of_the_bundled_row(self, api, user, path, notifications_on):
        response = api.put(path, change(channel="web", value=False))
        assert response.status_code == 200
        assert response.json() == {
            "status": "success",
            "message": "Notification preferences update completed.",
            "show_preferences": True,
            # Every key the client reads afterwards: the email flag is off here, and the answer says so.
            "show_email_preferences": False,
            "data": {
                "updated_value": False,
                "notification_type": "grouped_notification",
                "channel": "web",
                "app": "discussion",
            },
        }
        # Only the chosen field is stored; the others keep following the defaults.
        assert stored(user) == {"web": False, "email": None, "push": None, "email_cadence": None}
        row = api.get(path).json()["data"]["discussion"]["notification_types"]["grouped_notification"]
        assert (row["web"], row["email"]) == (False, True)

    def test_cadence(self, api, user):
        response = api.put(
            PATHS[0], change(app="grading", type_="ora_reminder", channel="email_cadence", email_cadence="Weekly")
        )
        assert response.json()["data"]["updated_value"] == "Weekly"
        assert stored(user, "grading", "ora_reminder") == {
            "web": None,
            "email": None,
            "push": None,
            "email_cadence": "Weekly",
        }

    def test_email_on_after_never_restores_a_sending_cadence(self, api, user):
        api.put(PATHS[0], change(channel="email_cadence", email_cadence="Never"))
        assert (
            api.get(PATHS[0]).json()["data"]["discussion"]["notification_types"]["grouped_notification"]["email"]
            is False
        )
        api.put(PATHS[0], change(channel="email", value=True))
        row = api.get(PATHS[0]).json()["data"]["discussion"]["notification_types"]["grouped_notification"]
        assert (row["email"], row["email_cadence"]) == (True, "Daily")
        assert stored(user)["email_cadence"] is None

    def test_a_second_change_keeps_the_first(self, api, user):
        api.put(PATHS[0], change(channel="web", value=False))
        api.put(PATHS[0], change(channel="push", value=True))
        assert stored(user) == {"web": False, "email": None, "push": True, "email_cadence": None}
        assert NotificationPreference.objects.filter(user=user).count() == 1

    def test_moderator_may_change_a_moderator_row(self, api, user):
        MembershipFactory(user=user, discussion_role="Moderator")
        assert api.put(PATHS[0], change(type_="content_reported", value=False)).status_code == 200

    @pytest.mark.parametrize(
        ("body", "errors"),
        [
            (
                {},
                {
                    "notification_app": "This field is required.",
                    "notification_type": "This field is required.",
                    "notification_channel": "This field is required.",
                },
            ),
            (change(app="nope", value=True), {"notification_app": "unknown notification app 'nope'"}),
            (
                change(type_="nope", value=True),
                {"notification_type": "unknown notification type 'nope' for app 'discussion'"},
            ),
            (
                change(type_="new_response", value=True),
                {
                    "notification_type": "'new_response' is part of the 'grouped_notification' row of 'discussion'; "
                    "change that row"
                },
            ),
            (
                change(app="grading", type_="new_discussion_post", value=True),
                {"notification_type": "unknown notification type 'new_discussion_post' for app 'grading'"},
            ),
            # Hidden by visible_to: reported exactly like a type that does not exist.
            (
                change(type_="content_reported", value=True),
                {"notification_type": "unknown notification type 'content_reported' for app 'discussion'"},
            ),
            (
                change(channel="sms", value=True),
                {"notification_channel": "unknown channel 'sms' (expected one of web, email, push, email_cadence)"},
            ),
            (change(channel="web"), {"value": "This field is required."}),
            (change(channel="web", value="yes"), {"value": "must be true or false, got 'yes'"}),
            (change(channel="web", value=1), {"value": "must be true or false, got 1"}),
            # Open edX answers 500 for a cadence change without a channel.
            (
                {
                    "notification_app": "discussion",
                    "notification_type": "grouped_notification",
                    "email_cadence": "Daily",
                },
                {"notification_channel": "This field is required."},
            ),
            (
                change(channel="email_cadence"),
                {"email_cadence": "This field is required when notification_channel is email_cadence."},
            ),
            (
                change(channel="email_cadence", email_cadence="Hourly"),
                {"email_cadence": "unknown cadence 'Hourly' (expected one of Immediately, Daily, Weekly, Never)"},
            ),
            ([1], {"non_field_errors": "expected a JSON object"}),
        ],
    )
    def test_invalid_changes_are_400_and_store_nothing(self, api, user, body, errors):
        response = api.put(PATHS[0], body)
        assert response.status_code == 400
        answer = response.json()
        assert {key: answer[key] for key in ("status", "message")} == {"status": "error", "message": errors}
        # The keys a client reads from every answer come along, so a refusal leaves its page as it was.
        assert {"show_preferences", "show_email_preferences", "data"} <= set(answer)
        assert not NotificationPreference.objects.filter(user=user).exists()

    @pytest.mark.parametrize(
        ("override", "body"),
        [
            (
                {"NOTIFICATION_TYPES_OVERRIDE": {"ora_reminder": {"non_editable": ["web"]}}},
                change(app="grading", type_="ora_reminder", channel="web", value=False),
            ),
            # Contract fault 6: app-level non_editable governs the bundled row.
            (
                {"NOTIFICATION_APPS_OVERRIDE": {"discussion": {"non_editable": ["push"]}}},
                change(channel="push", value=True),
            ),
            # The cadence belongs to the email channel.
            (
                {"NOTIFICATION_APPS_OVERRIDE": {"discussion": {"non_editable": ["email"]}}},
                change(channel="email_cadence", email_cadence="Weekly"),
            ),
        ],
    )
    def test_non_editable_channels_are_refused(self, api, user, override, body):
        with override_settings(**override):
            response = api.put(PATHS[0], body)
        assert response.status_code == 400
        assert "cannot be changed" in response.json()["message"]["notification_channel"]
        assert not NotificationPreference.objects.filter(user=user).exists()

    def test_app_level_lock_leaves_the_apps_own_types_editable(self, api, user):
        with override_settings(NOTIFICATION_APPS_OVERRIDE={"discussion": {"non_editable": ["web"]}}):
            response = api.put(PATHS[0], change(type_="new_discussion_post", channel="web", value=True))
        assert response.status_code == 200
