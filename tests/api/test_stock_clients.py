"""What the stock account page does with the answers, and that nothing it does goes wrong.

It offers Immediately, Daily and Weekly only and sends back the cadence it holds with every email toggle; it reads
``show_email_preferences`` from PUT answers too; a locked channel ignores whatever a learner stored.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from platform_notifications.models import Notification, NotificationPreference
from tests.api.conftest import ApiClient
from tests.factories import PreferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

CONFIG = "v3/configurations/"
OFFERED = {"Immediately", "Daily", "Weekly"}


def body(channel, value=None, cadence="Daily", app="discussion", key="grouped_notification") -> dict:
    """A PUT as the stock client builds it: the cadence it holds travels with every toggle."""
    request = {"notification_app": app, "notification_type": key, "notification_channel": channel}
    if channel != "email_cadence":
        request["value"] = value
    request["email_cadence"] = cadence
    return request


def rows(api) -> dict:
    data = api.get(CONFIG).json()["data"]
    return {(app, key): row for app, entry in data.items() for key, row in entry["notification_types"].items()}


def test_no_answer_reports_a_cadence_the_client_cannot_show(api, user, all_flags_on):
    PreferenceFactory(user=user, notification_type="grouped_notification", email_cadence="Never")
    with override_settings(NOTIFICATION_TYPES_OVERRIDE={"course_updates": {"email_cadence": "Never"}}):
        shown = rows(api)
    assert {row["email_cadence"] for row in shown.values()} <= OFFERED
    # Never is email off, with a real cadence.
    assert (shown["discussion", "grouped_notification"]["email"], shown["updates", "course_updates"]["email"]) == (
        False,
        False,
    )


def test_a_never_from_another_client_keeps_the_last_real_cadence(api, user, all_flags_on):
    api.put(CONFIG, body("email_cadence", cadence="Weekly"))
    assert api.put(CONFIG, body("email_cadence", cadence="Never")).status_code == 200
    row = rows(api)["discussion", "grouped_notification"]
    assert (row["email"], row["email_cadence"]) == (False, "Weekly")


def test_an_email_toggle_changes_only_the_email_flag(api, user, all_flags_on):
    api.put(CONFIG, body("email_cadence", cadence="Weekly"))
    # The client may hold a stale cadence; the toggle must not apply it.
    response = api.put(CONFIG, body("email", False, cadence="Immediately"))
    assert response.status_code == 200 and response.json()["data"]["updated_value"] is False
    stored = NotificationPreference.objects.get(user=user)
    assert (stored.email, stored.email_cadence) == (False, "Weekly")
    api.put(CONFIG, body("email", True, cadence="Daily"))
    row = rows(api)["discussion", "grouped_notification"]
    assert (row["email"], row["email_cadence"]) == (True, "Weekly")


def test_every_put_answer_carries_the_show_switches(api, user, flags):
    flags("notifications.enable_notifications")  # email flag off: the email column must stay hidden
    for request in (body("web", False), body("email_cadence", cadence="Weekly"), body("push", True)):
        answer = api.put(CONFIG, request).json()
        assert (answer["show_preferences"], answer["show_email_preferences"]) == (True, False)
    assert api.get(CONFIG).json()["show_email_preferences"] is False


@override_settings(NOTIFICATION_TYPES_OVERRIDE={"course_updates": {"non_editable": ["email", "push"]}})
def test_a_refused_change_answers_with_the_row_as_it_stands(api, user, all_flags_on):
    response = api.put(CONFIG, body("email", False, app="updates", key="course_updates"))
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "error" and "cannot be changed" in answer["message"]["notification_channel"]
    assert (answer["show_preferences"], answer["show_email_preferences"]) == (True, True)
    # The row as it stands (email still on), in the shape a client applies after a PUT.
    assert answer["data"] == {
        "updated_value": True,
        "notification_type": "course_updates",
        "channel": "email",
        "app": "updates",
    }
    assert not NotificationPreference.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    "request_body",
    [
        body("sms", True),
        body("email_cadence", cadence="Hourly"),
        body("web", True, app="updates", key="ora_staff_notifications"),  # not this user's row
        body("web", "yes"),
    ],
)
def test_bad_changes_are_refused_in_the_same_shape_and_change_nothing(api, user, all_flags_on, request_body):
    response = api.put(CONFIG, request_body)
    assert response.status_code == 400
    assert {"status", "message", "show_preferences", "show_email_preferences", "data"} <= set(response.json())
    assert not NotificationPreference.objects.filter(user=user).exists()


# -- a locked channel ignores stored choices (issue section 3) ----------------------------------------------
LOCKED_EMAIL = {"course_updates": {"email": True, "email_cadence": "Daily", "non_editable": ["email"]}}
UPDATE = {"course_update_content": "Exam moved"}


@pytest.mark.parametrize(
    "stored",
    [
        {"email_cadence": "Never"},
        {"email": False},
        {"email": False, "email_cadence": "Never"},
        {"email_cadence": "Weekly"},
    ],
)
def test_locked_email_ignores_a_stored_cadence_or_flag(all_flags_on, send, stored):
    learner = UserFactory()
    PreferenceFactory(user=learner, app_name="updates", notification_type="course_updates", **stored)
    # The app-wide row and the global opt-out are stored choices too.
    PreferenceFactory(user=learner, app_name="updates", notification_type="*", email=False, email_cadence="Never")
    with override_settings(NOTIFICATION_TYPES_OVERRIDE=LOCKED_EMAIL):
        send([learner.id], "course_updates", app_name="updates", context=UPDATE)
        shown = rows(ApiClient(learner))["updates", "course_updates"]
    row = Notification.objects.get(user=learner)
    assert (row.email, row.email_cadence) == (True, "Daily")
    assert (shown["email"], shown["email_cadence"]) == (True, "Daily")


@pytest.mark.parametrize("channel", ["web", "push"])
def test_every_locked_channel_ignores_stored_choices(all_flags_on, send, channel):
    learner = UserFactory()
    PreferenceFactory(user=learner, app_name="updates", notification_type="course_updates", **{channel: False})
    override = {"course_updates": {channel: True, "non_editable": [channel]}}
    with override_settings(NOTIFICATION_TYPES_OVERRIDE=override):
        send([learner.id], "course_updates", app_name="updates", context=UPDATE)
    assert getattr(Notification.objects.get(user=learner), channel) is True


def test_locked_bundled_row_ignores_stored_choices(all_flags_on, send):
    learner = UserFactory()
    PreferenceFactory(user=learner, notification_type="grouped_notification", email=False, email_cadence="Never")
    locked = {"discussion": {"email": True, "email_cadence": "Weekly", "non_editable": ["email"]}}
    with override_settings(NOTIFICATION_APPS_OVERRIDE=locked):
        send([learner.id])
    row = Notification.objects.get(user=learner)
    assert (row.email, row.email_cadence) == (True, "Weekly")
